// Sample weights (`sample_weight: <column>` on a task or the model; docs/design.md, "Partial labels
// and sample weights"): each row's weight in a task's loss and metrics, read from a column. A
// weight must be a number, 0 or more; anything else (empty, negative, not a number) is a bad cell
// naming file, row and column, like any other.

import type { Task } from "../../compiler/index.js";
import type { ColumnUse } from "./csv.js";
import { badCell } from "./errors.js";
import { parseNumber } from "./numeric.js";

/** What a weight cell must hold, for `expected X, found "Y"`. */
const EXPECTED = "a sample weight (a number, 0 or more)";
const FLOAT32_MAX = 3.4028234663852886e38;

/** A weight cell's value, or undefined when it is not a finite number of 0 or more. */
export function readWeight(cell: string): number | undefined {
  const w = parseNumber(cell);
  return w !== undefined && w >= 0 && w <= FLOAT32_MAX ? w : undefined;
}

/** Reads the sample weight columns of `tasks` row by row (each column once, however many tasks share it). */
export class SampleWeightReader {
  /** The distinct weight columns, in order of first use. */
  readonly columns: string[];
  private readonly staged: Float64Array;
  private readonly values: number[][];

  constructor(private readonly tasks: readonly Task[]) {
    this.columns = [...new Set(tasks.flatMap((t) => (t.sample_weight !== undefined ? [t.sample_weight] : [])))];
    this.staged = new Float64Array(this.columns.length);
    this.values = this.columns.map(() => []);
  }

  /** The columns to read, after every other one. */
  uses(): ColumnUse[] {
    return this.columns.map((column) => ({
      column,
      usedBy: `the sample weight of ${this.tasks.filter((t) => t.sample_weight === column).map((t) => `task "${t.name}"`).join(", ")}`,
      type: { kind: "number" as const },
    }));
  }

  /** Reads a row's weight cells, `cells[from ..]`: the bad-cell message of the first unreadable one, else undefined (the row is staged). */
  stage(cells: readonly string[], from: number, file: string, line: number): string | undefined {
    for (let j = 0; j < this.columns.length; j++) {
      const cell = cells[from + j]!;
      const w = readWeight(cell);
      if (w === undefined) return badCell(file, line, this.columns[j]!, EXPECTED, cell);
      this.staged[j] = w;
    }
    return undefined;
  }

  /** Keeps the staged row. */
  push(): void {
    for (let j = 0; j < this.columns.length; j++) this.values[j]!.push(this.staged[j]!);
  }

  /** Each weighted task's weights, by task name, in row order. */
  done(): Map<string, Float32Array> {
    const byColumn = this.columns.map((_, j) => Float32Array.from(this.values[j]!));
    const out = new Map<string, Float32Array>();
    for (const t of this.tasks) if (t.sample_weight !== undefined) out.set(t.name, byColumn[this.columns.indexOf(t.sample_weight)]!);
    return out;
  }
}
