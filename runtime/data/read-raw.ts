// Reads a file's rows into raw columns, before fitting (docs/design.md, "Data"): categorical and
// multi-hot values interned per column, numbers transformed, labels and sample weights read.
// Rows come in chunks, column by column (row-chunk.ts), and are read a column at a time; a row
// whose cell cannot be read is rejected whole, and its message names the first bad cell in the
// order fields, labels, weights, exactly as if the row's cells were read one after another: a
// column is only read for the rows that are still good, so a row's later cells are never looked
// at (and add no vocabulary value) once an earlier one was bad.

import type { Field, Spec, Task } from "../../compiler/index.js";
import { isMissing, type ColumnUse } from "./csv.js";
import type { LabelColumn, LoadOptions, Preprocessing } from "./types.js";
import { BadRows, badCell } from "./errors.js";
import { LabelCensus } from "./label-kind.js";
import { labelReader, MISSING_LABEL, numberLabel, StrayLabels } from "./labels.js";
import { expectedNumber, readNumeric, standardize, transformNumber, type NumericStats } from "./numeric.js";
import { isPresent, sliceChunk, textCells, type RowChunk } from "./row-chunk.js";
import { SampleWeightReader } from "./sample-weights.js";
import { readSource, resolveSource } from "./source.js";

/**
 * A typed column grown a chunk at a time, `width` values a row (a row-major matrix when more than
 * one): a chunk's rows are written in place at its end (reserve), then the rows kept are moved
 * down over the rejected ones (commit). Sized for the rows expected, it is never copied; else it
 * doubles as it grows.
 */
class Column<T extends Int32Array | Float64Array | Float32Array> {
  private data: T;
  /** Values held (rows × width). */
  length = 0;
  constructor(
    private readonly type: new (n: number) => T,
    capacity: number,
    private readonly width = 1,
  ) {
    this.data = new type(Math.max(1, capacity * width));
  }
  /** The view `n` more rows are written into, until commit. */
  reserve(n: number): T {
    const size = n * this.width;
    if (this.length + size > this.data.length) {
      const bigger = new this.type(Math.max(2 * this.data.length, this.length + size));
      bigger.set(this.data.subarray(0, this.length));
      this.data = bigger;
    }
    return this.data.subarray(this.length, this.length + size) as T;
  }
  /** Keeps the reserved rows `rows` (ascending; all `n` when absent), in order; the values kept. */
  commit(n: number, rows: Int32Array | undefined): T {
    const w = this.width;
    const view = this.data.subarray(this.length, this.length + n * w) as T;
    if (!rows) {
      this.length += n * w;
      return view;
    }
    for (let k = 0; k < rows.length; k++) if (rows[k] !== k) view.copyWithin(k * w, rows[k]! * w, (rows[k]! + 1) * w);
    this.length += rows.length * w;
    return view.subarray(0, rows.length * w) as T;
  }
  append(xs: ArrayLike<number>): void {
    this.reserve(xs.length / this.width).set(xs);
    this.length += xs.length;
  }
  done(): T {
    return this.length === this.data.length ? this.data : (this.data.slice(0, this.length) as T);
  }
}

/** The entries `rows` of `xs` (all of `xs` when `rows` is absent). */
function pick<T extends Int32Array | Float64Array>(xs: T, rows: Int32Array | undefined): T {
  if (!rows) return xs;
  const out = new (xs.constructor as new (n: number) => T)(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = xs[rows[k]!]!;
  return out;
}

/** The distinct values of one column, each with a local code in order of first appearance. */
export class Dictionary {
  readonly values: string[] = [];
  private readonly codes = new Map<string, number>();
  code(value: string): number {
    let c = this.codes.get(value);
    if (c === undefined) {
      c = this.values.length;
      this.codes.set(value, c);
      this.values.push(value);
    }
    return c;
  }
}

/**
 * A field as read, before fitting: local codes (-1 = missing) or transformed numbers (NaN =
 * missing). A numeric field read with fitted statistics (readRaw's `fitted`) is standardized as it
 * is read, as encoding would make it (missing: 0), into column `column` of RawTable.numericRows.
 */
export type RawField =
  | { kind: "categorical"; dict: Dictionary; codes: Int32Array }
  | { kind: "multi_hot"; dict: Dictionary; offsets: Int32Array; codes: Int32Array }
  | { kind: "numeric"; values: Float64Array }
  | { kind: "standardized"; column: number };

export interface RawTable {
  file: string;
  lines: Int32Array;
  fields: Map<string, RawField>;
  labels: Map<string, LabelColumn>;
  missing: Map<string, number>;
  badRows: BadRows;
  /** Per task, the distinct label cells of the rows read, for messages about the labels. */
  labelValues: Map<string, LabelCensus>;
  /** The `keep` columns' cells, by column name. */
  kept: Record<string, string[]>;
  /** By task, the sample weights of the rows read (sample-weights.ts). */
  weights: Map<string, Float32Array>;
  /** With fitted statistics, the standardized numeric fields, row-major [rows, numeric fields in spec order] (`Batch.numeric`'s layout). */
  numericRows?: Float32Array;
}

/** What a typed column (Parquet, JSON) must hold to feed field `f`. */
function fieldColumnType(f: Field): ColumnUse["type"] {
  if (f.kind === "numeric") return { kind: "number" };
  return f.kind === "multi_hot" ? { kind: "tokens", separator: f.separator } : { kind: "text" };
}

/** Rows read at a time: a chunk is read in parts of this many rows. */
const STAGE_ROWS = 256;

/** A row of a chunk being read: still good, rejected for a bad cell, or left out for a stray label (labels.ts, StrayLabels). */
const GOOD = 0;
const BAD = 1;
const STRAY = 2;

/** A field's column as it grows, chunk after chunk. */
type Growing =
  /** Transformed doubles in `values`; or, with `stats`, standardized into column `column` of the numeric matrix. */
  | { kind: "numeric"; transform: Extract<Field, { kind: "numeric" }>["transform"]; stats: undefined; values: Column<Float64Array> }
  | { kind: "numeric"; transform: Extract<Field, { kind: "numeric" }>["transform"]; stats: NumericStats; column: number }
  | { kind: "categorical"; dict: Dictionary; codes: Column<Int32Array> }
  /** Each row's token count, made offsets at the end. */
  | { kind: "multi_hot"; separator: string; dict: Dictionary; counts: Column<Int32Array>; codes: Column<Int32Array> };

/**
 * What a field's reading of one chunk leaves beside its column's reserved room: a multi-hot
 * field's token codes per row, and for it and a standardized numeric field which cells were missing.
 */
type Staged = { offsets: Int32Array; codes: readonly number[]; missing: Uint8Array } | { missing: Uint8Array; count: number };

/** Reads every row of `file` (or of `options.read`) into raw columns, sending unreadable rows to the bad-row policy; numeric fields standardized as they are read when `fitted` preprocessing is given. */
export async function readRaw(spec: Spec, file: string, options: LoadOptions, fitted?: Preprocessing): Promise<RawTable> {
  const withLabels = options.labels ?? true;
  const keep = options.keep ?? [];
  const tasks: Task[] = withLabels ? spec.tasks : [];
  const weights = new SampleWeightReader(tasks);
  const columns: ColumnUse[] = [
    ...spec.fields.map((f) => ({ column: f.column, usedBy: `field "${f.name}"`, type: fieldColumnType(f) })),
    ...tasks.map((t) => ({ column: t.label, usedBy: `the label of task "${t.name}"`, type: { kind: t.kind === "regression" ? ("number" as const) : ("text" as const) } })),
    ...keep.map((column) => ({ column, usedBy: "--keep" })),
    ...weights.uses(),
  ];
  const badRows = new BadRows(options.skipBadRows ?? false);
  const readers = tasks.map(labelReader);
  // With `negative` declared, a label in neither list is counted over the file before it stops the load.
  const strays = tasks.map((t) => (t.kind === "binary" && t.negative !== undefined && !badRows.skip ? new StrayLabels(file, t) : undefined));
  const nf = spec.fields.length;
  const nt = tasks.length;

  const capacity = options.expectedRows ?? 1024;
  // With fitted statistics for every numeric field, they are standardized into one row-major matrix.
  const numericFields = spec.fields.filter((f) => f.kind === "numeric");
  const statsOf = (name: string) => {
    const state = fitted?.fields[name];
    return state?.kind === "numeric" ? state.stats : undefined;
  };
  const standardizing = numericFields.length > 0 && numericFields.every((f) => statsOf(f.name) !== undefined);
  const matrix = standardizing ? new Column(Float32Array, capacity, numericFields.length) : undefined;
  const fields: Growing[] = spec.fields.map((f) => {
    if (f.kind === "numeric") {
      const stats = standardizing ? statsOf(f.name) : undefined;
      if (stats) return { kind: "numeric", transform: f.transform, stats, column: numericFields.indexOf(f) };
      return { kind: "numeric", transform: f.transform, stats: undefined, values: new Column(Float64Array, capacity) };
    }
    if (f.kind === "categorical") return { kind: "categorical", dict: new Dictionary(), codes: new Column(Int32Array, capacity) };
    return { kind: "multi_hot", separator: f.separator, dict: new Dictionary(), counts: new Column(Int32Array, capacity), codes: new Column(Int32Array, capacity) };
  });
  const labels = tasks.map(() => new Column(Float64Array, capacity));
  const labelValues = new Map(tasks.map((t) => [t.name, new LabelCensus()]));
  const lines = new Column<Int32Array<ArrayBufferLike>>(Int32Array, capacity);
  const missing = spec.fields.map(() => 0);
  const kept = keep.map(() => [] as string[]);

  const source = options.read ? options.read(columns, badRows) : readSource(await resolveSource(file), columns, badRows, options.delimiter);
  for await (const whole of source) for (let from = 0; from < whole.rows; from += STAGE_ROWS) {
    // A few hundred rows at a time, so the rows of the numeric matrix being written stay in cache.
    const chunk = whole.rows <= STAGE_ROWS ? whole : sliceChunk(whole, from, Math.min(whole.rows, from + STAGE_ROWS));
    const n = chunk.rows;
    const state = new Uint8Array(n);
    const messages = new Map<number, string>();
    const reject = (r: number, column: string, expected: string, found: string): void => {
      state[r] = BAD;
      messages.set(r, badCell(chunk.file, chunk.lines[r]!, column, expected, found));
    };
    const rowsOut = matrix?.reserve(n);
    const staged = fields.map((g, i) => stageField(g, spec.fields[i]!.column, chunk, i, state, reject, rowsOut));
    tasks.forEach((task, k) => {
      const out = labels[k]!.reserve(n);
      const col = chunk.columns[nf + k]!;
      const reader = readers[k]!;
      if (col.kind === "number") {
        // A regression label of a typed file: its number, read as its text would be (labels.ts).
        for (let r = 0; r < n; r++) {
          if (state[r] !== GOOD) continue;
          if (!isPresent(col.valid, r)) out[r] = MISSING_LABEL;
          else {
            const y = numberLabel(col.values[r]!);
            if (y === undefined) reject(r, task.label, reader.expected, String(col.values[r]));
            else out[r] = y;
          }
        }
        return;
      }
      for (let r = 0; r < n; r++) {
        if (state[r] !== GOOD) continue;
        const cell = col.cells[r]!;
        const y = reader.read(cell);
        if (y !== undefined) out[r] = y;
        else if (strays[k] && !isMissing(cell)) {
          strays[k]!.add(chunk.lines[r]!, cell);
          state[r] = STRAY;
        } else reject(r, task.label, reader.expected, cell);
      }
    });
    weights.stage(chunk, nf + nt + keep.length, state, reject);
    if (messages.size > 0) for (let r = 0; r < n; r++) if (state[r] === BAD) badRows.report(messages.get(r)!);

    // The rows kept: all of them, or those still good.
    let keptRows: Int32Array | undefined;
    if (state.some((x) => x !== GOOD)) {
      const list: number[] = [];
      for (let r = 0; r < n; r++) if (state[r] === GOOD) list.push(r);
      keptRows = Int32Array.from(list);
    }
    lines.append(pick(chunk.lines, keptRows));
    weights.keep(keptRows);
    const m = keptRows ? keptRows.length : n;
    const at = (k: number): number => (keptRows ? keptRows[k]! : k);
    for (let j = 0; j < keep.length; j++) {
      const cells = textCells(chunk.columns[nf + nt + j]!);
      for (let k = 0; k < m; k++) kept[j]!.push(cells[at(k)]!);
    }
    fields.forEach((g, i) => (missing[i]! += keepField(g, staged[i], n, keptRows)));
    matrix?.commit(n, keptRows);
    for (let t = 0; t < nt; t++) {
      const census = labelValues.get(tasks[t]!.name)!;
      const col = chunk.columns[nf + t]!;
      if (col.kind === "number") for (let k = 0; k < m; k++) census.addNumber(isPresent(col.valid, at(k)) ? col.values[at(k)]! : null);
      else for (let k = 0; k < m; k++) census.add(col.cells[at(k)]!);
      labels[t]!.commit(n, keptRows);
    }
  }
  for (const s of strays) {
    const error = s?.error();
    if (error) throw error;
  }

  const raw = new Map<string, RawField>();
  spec.fields.forEach((f, i) => {
    const g = fields[i]!;
    if (g.kind === "numeric") raw.set(f.name, g.stats ? { kind: "standardized", column: g.column } : { kind: "numeric", values: g.values.done() });
    else if (g.kind === "categorical") raw.set(f.name, { kind: "categorical", dict: g.dict, codes: g.codes.done() });
    else {
      const counts = g.counts.done();
      const offsets = new Int32Array(counts.length + 1);
      for (let r = 0; r < counts.length; r++) offsets[r + 1] = offsets[r]! + counts[r]!;
      raw.set(f.name, { kind: "multi_hot", dict: g.dict, offsets, codes: g.codes.done() });
    }
  });
  const labelColumns = new Map<string, LabelColumn>();
  tasks.forEach((t, k) => {
    const values = labels[k]!.done();
    labelColumns.set(t.name, t.kind === "multiclass" ? Int32Array.from(values) : Float32Array.from(values));
  });
  return {
    file,
    lines: lines.done(),
    fields: raw,
    labels: labelColumns,
    missing: new Map(spec.fields.map((f, i) => [f.name, missing[i]!])),
    badRows,
    labelValues,
    kept: Object.fromEntries(keep.map((k, j) => [k, kept[j]!])),
    weights: weights.done(),
    ...(matrix ? { numericRows: matrix.done() } : {}),
  };
}

let scratchValues = new Float64Array(0);

/** A Float64Array of at least `n` values, reused from one field to the next (its contents are stale). */
function scratch(n: number): Float64Array {
  if (scratchValues.length < n) scratchValues = new Float64Array(n);
  return scratchValues;
}

/**
 * Reads field column i of a chunk for the rows still good into its column's reserved room (a
 * standardized numeric field: its column of `rowsOut`, the numeric matrix's reserved rows),
 * rejecting a row whose cell is not a value of the field; what it leaves beside (Staged).
 */
function stageField(g: Growing, column: string, chunk: RowChunk, i: number, state: Uint8Array, reject: (r: number, column: string, expected: string, found: string) => void, rowsOut: Float32Array | undefined): Staged | undefined {
  const n = chunk.rows;
  const col = chunk.columns[i]!;
  if (g.kind === "numeric") {
    const { transform, stats } = g;
    // The transformed values first (NaN: missing), then where they go.
    const xs = scratch(n);
    if (col.kind === "number") {
      // A typed file's number comes as a value (null: missing).
      const { values, valid } = col;
      for (let r = 0; r < n; r++) {
        if (state[r] !== GOOD) continue;
        if (valid !== null && !isPresent(valid, r)) {
          xs[r] = NaN;
          continue;
        }
        const x = transformNumber(values[r]!, transform);
        if (x === undefined) reject(r, column, expectedNumber(transform), String(values[r]));
        else xs[r] = x;
      }
    } else {
      for (let r = 0; r < n; r++) {
        if (state[r] !== GOOD) continue;
        const cell = col.cells[r]!;
        const x = isMissing(cell) ? NaN : readNumeric(cell, transform);
        if (x === undefined) reject(r, column, expectedNumber(transform), cell);
        else xs[r] = x;
      }
    }
    if (!stats) {
      g.values.reserve(n).set(xs.subarray(0, n));
      return undefined;
    }
    const absent = new Uint8Array(n);
    let count = 0;
    const width = rowsOut!.length / n;
    for (let r = 0; r < n; r++) {
      const x = xs[r]!;
      if (Number.isNaN(x)) {
        absent[r] = 1;
        count++;
      }
      rowsOut![r * width + g.column] = standardize(x, stats);
    }
    return { missing: absent, count };
  }
  const cells = textCells(col);
  if (g.kind === "categorical") {
    const out = g.codes.reserve(n);
    for (let r = 0; r < n; r++) if (state[r] === GOOD) out[r] = isMissing(cells[r]!) ? -1 : g.dict.code(cells[r]!);
    return undefined;
  }
  const offsets = new Int32Array(n + 1);
  const codes: number[] = [];
  const absent = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const cell = cells[r]!;
    if (state[r] === GOOD) {
      if (isMissing(cell)) absent[r] = 1;
      else {
        for (const t of cell.split(g.separator)) {
          const token = t.trim();
          if (!isMissing(token)) codes.push(g.dict.code(token));
        }
      }
    }
    offsets[r + 1] = codes.length;
  }
  return { offsets, codes, missing: absent };
}

/** Keeps a field's staged cells of the chunk's rows `rows` (all `n` when absent) in its column; the missing cells among them. */
function keepField(g: Growing, staged: Staged | undefined, n: number, rows: Int32Array | undefined): number {
  let missing = 0;
  if (g.kind === "numeric") {
    if (g.stats === undefined) {
      for (const x of g.values.commit(n, rows)) if (Number.isNaN(x)) missing++;
    } else if (rows) for (const r of rows) missing += staged!.missing[r]!;
    else missing += (staged as { count: number }).count;
  } else if (g.kind === "categorical") {
    for (const c of g.codes.commit(n, rows)) if (c < 0) missing++;
  } else {
    const s = staged as Extract<Staged, { offsets: Int32Array }>;
    const m = rows ? rows.length : n;
    const counts = new Int32Array(m);
    const codes: number[] = [];
    for (let k = 0; k < m; k++) {
      const r = rows ? rows[k]! : k;
      if (s.missing[r]) missing++;
      counts[k] = s.offsets[r + 1]! - s.offsets[r]!;
      for (let j = s.offsets[r]!; j < s.offsets[r + 1]!; j++) codes.push(s.codes[j]!);
    }
    g.counts.append(counts);
    g.codes.append(codes);
  }
  return missing;
}
