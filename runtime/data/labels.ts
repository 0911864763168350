// Task labels. A label is what the model is graded against, so unlike an input a missing or
// unreadable label is never filled in: the row is bad.

import { type Task } from "../../compiler/index.js";
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
