// Task labels. A label is what the model is graded against, so unlike an input it is never filled
// in: an unreadable label makes the row bad, and a missing one (an empty cell, or "?") leaves the
// row out of that task's loss and metrics (docs/design.md, "Partial labels and sample weights")
// while the other tasks still learn from it.

import { type BinaryTask, type Task } from "../../compiler/index.js";
import { UserError } from "../../base/user-error.js";
import { isMissing } from "./csv.js";
import { readNumeric, transformNumber } from "./numeric.js";

/** A missing label in a binary or regression label column (Float32Array). */
export const MISSING_LABEL = NaN;
/** A missing label in a multiclass label column (Int32Array of classes). */
export const MISSING_CLASS = -1;

/** True when a label column's entry is a missing label. */
export function isMissingLabel(y: number): boolean {
  return Number.isNaN(y) || y === MISSING_CLASS;
}

/**
 * The mean label of each regression task over `labels` (by task), weighted by `weights` where a
 * task has them, rows without a label left out: where a regression tower's output bias starts
 * (the `label_mean` initialiser, docs/design.md "Initial values"). A task with no weight is left out.
 */
export function regressionLabelMeans(tasks: readonly Task[], labels: Readonly<Record<string, ArrayLike<number>>>, weights: Readonly<Record<string, ArrayLike<number>>> = {}): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of tasks) {
    const y = labels[t.name];
    if (t.kind !== "regression" || !y) continue;
    const w = weights[t.name];
    let sum = 0;
    let total = 0;
    for (let i = 0; i < y.length; i++) {
      if (isMissingLabel(y[i]!)) continue;
      const wi = w ? w[i]! : 1;
      sum += wi * y[i]!;
      total += wi;
    }
    if (total > 0) out.set(t.name, sum / total);
  }
  return out;
}

/** The tasks (keys of `labels`, in order) whose label column has a missing label. */
export function partialLabelTasks(labels: Readonly<Record<string, ArrayLike<number>>>): string[] {
  return Object.entries(labels).flatMap(([task, y]) => {
    for (let i = 0; i < y.length; i++) if (isMissingLabel(y[i]!)) return [task];
    return [];
  });
}

/** Reads one task's label cells: the label value, or undefined when the cell is not a valid label. */
export interface LabelReader {
  /**
   * Turns a trimmed cell into the label: 0/1 (binary), a float (regression) or a class (multiclass);
   * MISSING_LABEL (MISSING_CLASS for multiclass) for a missing cell.
   */
  read(cell: string): number | undefined;
  /** What a valid cell looks like, for `expected X, found "Y"`. */
  expected: string;
}

/** The label reader of `task`. */
export function labelReader(task: Task): LabelReader {
  const reader = presentLabelReader(task);
  const missing = task.kind === "multiclass" ? MISSING_CLASS : MISSING_LABEL;
  return { read: (cell) => (isMissing(cell) ? missing : reader.read(cell)), expected: reader.expected };
}

/**
 * A regression label read from a typed file's number column (not null): what `read` gives for
 * the number's text, String(value): the value when finite and in float32 range (undefined
 * otherwise), -0 as 0, since it prints as "0".
 */
export function numberLabel(value: number): number | undefined {
  const y = transformNumber(value, "none");
  return y === undefined ? undefined : y + 0;
}

/** The reader of a task's label cells that are not missing. */
function presentLabelReader(task: Task): LabelReader {
  switch (task.kind) {
    case "binary": {
      const positive = new Set(task.positive);
      if (task.negative === undefined) return { read: (cell) => (positive.has(cell) ? 1 : 0), expected: "a label" };
      const negative = new Set(task.negative);
      return {
        read: (cell) => (positive.has(cell) ? 1 : negative.has(cell) ? 0 : undefined),
        expected: `${quoteValues(task.positive)} (positive) or ${quoteValues(task.negative)} (negative)`,
      };
    }
    case "regression":
      return { read: (cell) => readNumeric(cell, "none"), expected: "a number" };
    case "multiclass":
      return {
        read: (cell) => {
          if (!/^\d+$/.test(cell)) return undefined;
          const k = Number(cell);
          return k < task.classes ? k : undefined;
        },
        expected: `a class 0..${task.classes - 1}`,
      };
  }
}

/**
 * Why a task cannot be trained on its training `labels` (and sample `weights`, when it has them),
 * or undefined: every label missing, or every labelled row weighted 0 (nothing to learn from), or
 * for a binary task one class among the labelled rows (oneClassError).
 */
export function trainingLabelError(file: string, task: Task, labels: ArrayLike<number>, examples: readonly string[], weights?: ArrayLike<number>): UserError | undefined {
  let labelled = 0;
  let weighted = 0;
  for (let i = 0; i < labels.length; i++) {
    if (isMissingLabel(labels[i]!)) continue;
    labelled++;
    if (weights === undefined || weights[i]! > 0) weighted++;
  }
  if (labelled === 0) {
    return new UserError(
      `${file}: task "${task.name}" has no label in any of its ${labels.length} training rows (column "${task.label}" is empty or "?" in every row); give the column values or leave the task out of the model (tasks ...).`,
      "no-labels",
    );
  }
  if (weighted === 0) {
    return new UserError(
      `${file}: task "${task.name}" has sample weight 0 (column "${task.sample_weight}") in every one of its ${labelled} labelled training rows, so it would learn nothing; give some rows a positive weight or leave the task out of the model (tasks ...).`,
      "no-labels",
    );
  }
  return task.kind === "binary" ? oneClassError(file, task, labels, examples) : undefined;
}

/**
 * The error for a binary task whose labelled training rows (0/1; missing ones do not count) hold
 * one class: nothing can be learnt, and AUC is undefined. It usually means `positive` does not
 * name the column's positive value ("yes", ">50K") or the column is not the label. Undefined when
 * both classes occur.
 */
export function oneClassError(file: string, task: BinaryTask, labels: ArrayLike<number>, examples: readonly string[], rowsWhat = "training rows"): UserError | undefined {
  let n = 0;
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (isMissingLabel(y)) continue;
    n++;
    positives += y;
  }
  if (positives > 0 && positives < n) return undefined;
  return new UserError(
    `${file}: binary task "${task.name}" has one class in its ${n} ${rowsWhat} of column "${task.label}": ${positives} positive, ${n - positives} negative ` +
      `(positive: ${quoteValues(task.positive)}; values seen: ${quoteValues(examples)}). Set the task's positive values to the label of the positive class.`,
    "one-class",
  );
}

/** Label values as a message quotes them: `"a", "b"`, each cut to 40 characters. */
export function quoteValues(xs: readonly string[]): string {
  return xs.map((x) => JSON.stringify(x.length > 40 ? `${x.slice(0, 37)}...` : x)).join(", ");
}

/** How many of a task's stray label values the error names, each with its count. */
const STRAY_EXAMPLES = 5;
/** How many distinct stray values are counted; beyond, they are only "other values". */
const STRAY_DISTINCT = 1000;

/**
 * The label cells of a binary task with `negative` that are in neither list, over a whole file:
 * a stray value usually means one class was misspelt or forgotten, so the error gives every count
 * at once rather than stopping at the first row.
 */
export class StrayLabels {
  /** Rows with a stray label. */
  rows = 0;
  /** The file line of the first such row. */
  firstLine = 0;
  /** Per distinct stray value (the first STRAY_DISTINCT), its rows. */
  readonly values = new Map<string, number>();

  constructor(
    readonly file: string,
    readonly task: BinaryTask,
  ) {}

  /** Counts a row at `line` whose label `cell` is neither positive nor negative. */
  add(line: number, cell: string): void {
    if (this.rows++ === 0) this.firstLine = line;
    const seen = this.values.get(cell);
    if (seen !== undefined) this.values.set(cell, seen + 1);
    else if (this.values.size < STRAY_DISTINCT) this.values.set(cell, 1);
  }

  /** The error for the rows counted, or undefined when there were none. */
  error(): UserError | undefined {
    if (this.rows === 0) return undefined;
    const t = this.task;
    const examples = [...this.values].slice(0, STRAY_EXAMPLES).map(([v, n]) => `${quoteValues([v])} (${rows(n)})`);
    const named = [...this.values].slice(0, STRAY_EXAMPLES).reduce((sum, [, n]) => sum + n, 0);
    const rest = this.rows - named;
    const others = rest > 0 ? `, and ${rows(rest)} with other values` : "";
    return new UserError(
      `${this.file}:${this.firstLine}:${t.label}: binary task "${t.name}" has ${rows(this.rows)} whose label is neither positive (${quoteValues(t.positive)}) nor negative (${quoteValues(t.negative!)}): ` +
        `${examples.join(", ")}${others}. Add each value to positive or negative, or skip these rows with --skip-bad-rows.`,
      "bad-label",
    );
  }
}

const rows = (n: number): string => `${n} ${n === 1 ? "row" : "rows"}`;
