// Whether a label column looks like the kind of task that reads it. A binary task over a column
// of seven values, or a regression task over a 0/1 column, trains without complaint and may be
// exactly what was meant (one-vs-rest; a probability fitted by squared error), so these are
// warnings that say how to make the intent explicit, never errors.

import { type Task } from "../../compiler/index.js";
import { isMissing } from "./csv.js";
import { quoteValues } from "./labels.js";
import { readNumeric } from "./numeric.js";

/** How many distinct values of a label column are counted; a column with more is not a class label. */
export const DISTINCT_CAP = 1000;
/** How many negative values a suggested `negative: [...]` lists before it is cut short. */
const SUGGESTED = 10;

/** The distinct cells of one label column with their rows (the first DISTINCT_CAP values), and whether all are numbers. */
export class LabelCensus {
  /** By value (a text cell, or a typed file's number), in order of first appearance: its rows. */
  private readonly values = new Map<string | number, number>();
  /** More than DISTINCT_CAP distinct values were seen. */
  overflow = false;
  /** Every cell read as a number. */
  allNumbers = true;
  /** Missing cells (no label for the task in that row), which are not values. */
  missing = 0;

  /** By value as text, in order of first appearance: its rows (a number as the shortest text that reads back to it, what a CSV copy holds). */
  get counts(): Map<string, number> {
    return new Map(Array.from(this.values, ([v, n]) => [String(v), n]));
  }

  /** Counts one label cell of an accepted row. */
  add(cell: string): void {
    if (isMissing(cell)) this.missing++;
    else this.count(cell, () => readNumeric(cell, "none") !== undefined);
  }

  /**
   * Counts one label of an accepted row of a typed file's number column (null: missing). An
   * accepted label is finite and in float32 range, so its text reads as a number; keyed by the
   * number, the census is the one its text cells give (String is one-to-one on doubles but for
   * -0 and 0, which a Map key does not tell apart either).
   */
  addNumber(value: number | null): void {
    if (value === null) this.missing++;
    else this.count(value, () => true);
  }

  private count(key: string | number, isNumber: () => boolean): void {
    const seen = this.values.get(key);
    if (seen !== undefined) {
      this.values.set(key, seen + 1);
      return;
    }
    if (this.allNumbers && !isNumber()) this.allNumbers = false;
    if (this.values.size < DISTINCT_CAP) this.values.set(key, 1);
    else this.overflow = true;
  }

  /** Adds the census of a later chunk of the same column: counts summed, new values in order of first appearance (up to the cap). */
  merge(later: LabelCensus): void {
    for (const [value, n] of later.values) {
      const seen = this.values.get(value);
      if (seen !== undefined) this.values.set(value, seen + n);
      else if (!this.overflow && this.values.size < DISTINCT_CAP) this.values.set(value, n);
      else this.overflow = true;
    }
    this.overflow ||= later.overflow;
    this.allNumbers &&= later.allNumbers;
    this.missing += later.missing;
  }

  /** "7 distinct values", or "more than 1000 distinct values". */
  distinct(): string {
    return this.overflow ? `more than ${DISTINCT_CAP} distinct values` : `${this.values.size} distinct values`;
  }
}

/**
 * The warning for a task whose label column (counted in `census`, over the training file) looks like
 * another kind of label, or undefined. Binary tasks with both classes present and no `negative`:
 * a column of numbers other than 0/1 under the default positive ["1"], or more than two values.
 * Regression tasks: a column holding just the numbers 0 and 1. A binary task whose rows hold one
 * class is an error elsewhere (labels.ts, oneClassError) and gets no warning here.
 */
export function labelKindWarning(file: string, task: Task, census: LabelCensus): string | undefined {
  if (task.kind === "regression") {
    const numbers = new Set([...census.counts.keys()].map((v) => readNumeric(v, "none")));
    if (census.overflow || numbers.size !== 2 || !numbers.has(0) || !numbers.has(1)) return undefined;
    return `${file}: warning: regression task "${task.name}" reads only the values 0 and 1 in column "${task.label}"; if it is a yes/no label, declare the task binary (it then learns a probability, scored by AUC).`;
  }
  if (task.kind !== "binary" || task.negative !== undefined) return undefined;
  const values = [...census.counts.keys()];
  const positive = new Set(task.positive);
  const seenPositive = values.filter((v) => positive.has(v));
  const seenNegative = values.filter((v) => !positive.has(v));
  if (seenPositive.length === 0 || (seenNegative.length === 0 && !census.overflow)) return undefined;
  const defaultPositive = task.positive.length === 1 && task.positive[0] === "1";
  const numeric = defaultPositive && census.allNumbers && values.some((v) => v !== "0" && v !== "1");
  if (!numeric && values.length <= 2 && !census.overflow) return undefined;
  const others = census.overflow ? `the other values` : `the other ${seenNegative.length === 1 ? "value" : `${seenNegative.length}`}`;
  const counted = `${quoteValues(seenPositive)} ${seenPositive.length === 1 ? "counts" : "count"} as positive and ${others} as negative`;
  const explicit = `say so with negative: [${suggestedNegatives(seenNegative, census.overflow)}]`;
  return numeric
    ? `${file}: warning: binary task "${task.name}" reads numbers in column "${task.label}" (${census.distinct()}); ${counted}. ` +
        `If the column is a quantity, declare the task regression; if one-vs-rest is meant, ${explicit}.`
    : `${file}: warning: binary task "${task.name}" reads ${census.distinct()} in column "${task.label}"; ${counted}. ` +
        `If one-vs-rest is meant, ${explicit}; if not, check the task's positive values and its label column.`;
}

/** The inside of a suggested `negative: [...]`: the values seen that are not positive, cut short after SUGGESTED. */
function suggestedNegatives(seen: readonly string[], overflow: boolean): string {
  const shown = quoteValues(seen.slice(0, SUGGESTED));
  return seen.length > SUGGESTED || overflow ? `${shown}, ...` : shown;
}
