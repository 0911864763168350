// Sample weights (`sample_weight: <column>` on a task or the model; docs/design.md, "Partial labels
// and sample weights"): each row's weight in a task's loss and metrics, read from a column. A
// weight must be a number, 0 or more; anything else (empty, negative, not a number) is a bad cell
// naming file, row and column, like any other (read-raw.ts).

import type { Task } from "../../compiler/index.js";
import type { ColumnUse } from "./csv.js";
import { parseNumber } from "./numeric.js";
import { textCells, type RowChunk } from "./row-chunk.js";

/** What a weight cell must hold, for `expected X, found "Y"`. */
const EXPECTED = "a sample weight (a number, 0 or more)";
const FLOAT32_MAX = 3.4028234663852886e38;

/** A weight cell's value, or undefined when it is not a finite number of 0 or more. */
export function readWeight(cell: string): number | undefined {
  const w = parseNumber(cell);
  return w !== undefined && w >= 0 && w <= FLOAT32_MAX ? w : undefined;
}

/** Reads the sample weight columns of `tasks` a chunk at a time (each column once, however many tasks share it). */
export class SampleWeightReader {
  /** The distinct weight columns, in order of first use. */
  readonly columns: string[];
  private staged: Float64Array[] = [];
  private readonly values: number[][];

  constructor(private readonly tasks: readonly Task[]) {
    this.columns = [...new Set(tasks.flatMap((t) => (t.sample_weight !== undefined ? [t.sample_weight] : [])))];
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

  /** Reads the weight columns, `chunk.columns[from ..]`, for the rows whose `state` is 0 (good); a row whose cell is not a weight goes to `reject`. */
  stage(chunk: RowChunk, from: number, state: Uint8Array, reject: (r: number, column: string, expected: string, found: string) => void): void {
    this.staged = this.columns.map((column, j) => {
      const cells = textCells(chunk.columns[from + j]!);
      const out = new Float64Array(chunk.rows);
      for (let r = 0; r < chunk.rows; r++) {
        if (state[r] !== 0) continue;
        const w = readWeight(cells[r]!);
        if (w === undefined) reject(r, column, EXPECTED, cells[r]!);
        else out[r] = w;
      }
      return out;
    });
  }

  /** Keeps the staged chunk's rows `rows` (all when absent). */
  keep(rows: Int32Array | undefined): void {
    this.staged.forEach((w, j) => {
      const into = this.values[j]!;
      if (rows) for (const r of rows) into.push(w[r]!);
      else for (const x of w) into.push(x);
    });
  }

  /** Each weighted task's weights, by task name, in row order. */
  done(): Map<string, Float32Array> {
    const byColumn = this.columns.map((_, j) => Float32Array.from(this.values[j]!));
    const out = new Map<string, Float32Array>();
    for (const t of this.tasks) if (t.sample_weight !== undefined) out.set(t.name, byColumn[this.columns.indexOf(t.sample_weight)]!);
    return out;
  }
}
