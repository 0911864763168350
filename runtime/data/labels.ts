// Task labels. A label is what the model is graded against, so unlike an input a missing or
// unreadable label is never filled in: the row is bad.

import { type Task } from "../../compiler/index.js";
import { UserError } from "../../base/user-error.js";
import { isMissing } from "./csv.js";
import { readNumeric } from "./numeric.js";

/** Reads one task's label cells: the label value, or undefined when the cell is not a valid label. */
export interface LabelReader {
  /** Turns a trimmed cell into the label: 0/1 (binary), a float (regression) or a class (multiclass). */
  read(cell: string): number | undefined;
  /** What a valid cell looks like, for `expected X, found "Y"`. */
  expected: string;
}

/** The label reader of `task`. */
export function labelReader(task: Task): LabelReader {
  switch (task.kind) {
    case "binary": {
      const positive = new Set(task.positive);
      return { read: (cell) => (isMissing(cell) ? undefined : positive.has(cell) ? 1 : 0), expected: "a label" };
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
 * The error for a binary task whose training `labels` (0/1) hold one class: nothing can be
 * learnt, and AUC is undefined. It usually means `positive` does not name the column's positive
 * value ("yes", ">50K") or the column is not the label. Undefined when both classes occur.
 */
export function oneClassError(file: string, task: Extract<Task, { kind: "binary" }>, labels: ArrayLike<number>, examples: readonly string[]): UserError | undefined {
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i]!;
  if (positives > 0 && positives < n) return undefined;
  const quote = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x.length > 40 ? `${x.slice(0, 37)}...` : x)).join(", ");
  return new UserError(
    `${file}: binary task "${task.name}" has one class in its ${n} training rows of column "${task.label}": ${positives} positive, ${n - positives} negative ` +
      `(positive: ${quote(task.positive)}; values seen: ${quote(examples)}). Set the task's positive values to the label of the positive class.`,
    "one-class",
  );
}
