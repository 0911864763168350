// Reads a file's rows into raw columns, before fitting (docs/design.md, "Data"): categorical and
// multi-hot values interned per column, numbers transformed, labels and sample weights read.
// Rows come in chunks, column by column (row-chunk.ts), and are read a column at a time; a row
// whose cell cannot be read is rejected whole, and its message names the first bad cell in the
// order fields, labels, weights, exactly as if the row's cells were read one after another: a
// column is only read for the rows that are still good, so a row's later cells are never looked
// at (and add no vocabulary value) once an earlier one was bad.

import type { Field, Spec, Task } from "../../compiler/index.js";
import { isMissing, type ColumnUse } from "./csv.js";
import type { LabelColumn, LoadOptions } from "./dataset.js";
import { BadRows, badCell } from "./errors.js";
import { LabelCensus } from "./label-kind.js";
import { labelReader, StrayLabels } from "./labels.js";
import { expectedNumber, readNumeric, transformNumber } from "./numeric.js";
import { isPresent, textCells, type RowChunk } from "./row-chunk.js";
import { SampleWeightReader } from "./sample-weights.js";
import { readSource, resolveSource } from "./source.js";

/** A column built from pieces (one per chunk), joined once at the end. */
class Pieces<T extends Int32Array | Float64Array> {
  private readonly parts: T[] = [];
  length = 0;
  constructor(private readonly type: new (n: number) => T) {}
  add(part: T): void {
    this.parts.push(part);
    this.length += part.length;
  }
  done(): T {
    const out = new this.type(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
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

/** A field as read, before fitting: local codes (-1 = missing) or transformed numbers (NaN = missing). */
export type RawField =
  | { kind: "categorical"; dict: Dictionary; codes: Int32Array }
  | { kind: "multi_hot"; dict: Dictionary; offsets: Int32Array; codes: Int32Array }
  | { kind: "numeric"; values: Float64Array };

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
}

/** What a typed column (Parquet, JSON) must hold to feed field `f`. */
function fieldColumnType(f: Field): ColumnUse["type"] {
  if (f.kind === "numeric") return { kind: "number" };
  return f.kind === "multi_hot" ? { kind: "tokens", separator: f.separator } : { kind: "text" };
}

/** A row of a chunk being read: still good, rejected for a bad cell, or left out for a stray label (labels.ts, StrayLabels). */
const GOOD = 0;
const BAD = 1;
const STRAY = 2;

/** A field's column as it grows, chunk after chunk. */
type Growing =
  | { kind: "numeric"; transform: Extract<Field, { kind: "numeric" }>["transform"]; values: Pieces<Float64Array> }
  | { kind: "categorical"; dict: Dictionary; codes: Pieces<Int32Array> }
  /** Each row's token count, made offsets at the end. */
  | { kind: "multi_hot"; separator: string; dict: Dictionary; counts: Pieces<Int32Array>; codes: Pieces<Int32Array> };

/** A field's cells of one chunk, read: numbers (NaN missing), codes (-1 missing), or each row's token codes (with whether the cell was missing). */
type Staged = Float64Array | Int32Array | { offsets: Int32Array; codes: readonly number[]; missing: Uint8Array };

/** Reads every row of `file` (or of `options.read`) into raw columns, sending unreadable rows to the bad-row policy. */
export async function readRaw(spec: Spec, file: string, options: LoadOptions): Promise<RawTable> {
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

  const fields: Growing[] = spec.fields.map((f) => {
    if (f.kind === "numeric") return { kind: "numeric", transform: f.transform, values: new Pieces(Float64Array) };
    if (f.kind === "categorical") return { kind: "categorical", dict: new Dictionary(), codes: new Pieces(Int32Array) };
    return { kind: "multi_hot", separator: f.separator, dict: new Dictionary(), counts: new Pieces(Int32Array), codes: new Pieces(Int32Array) };
  });
  const labels = tasks.map(() => new Pieces(Float64Array));
  const labelValues = new Map(tasks.map((t) => [t.name, new LabelCensus()]));
  const lines = new Pieces<Int32Array<ArrayBufferLike>>(Int32Array);
  const missing = spec.fields.map(() => 0);
  const kept = keep.map(() => [] as string[]);

  const source = options.read ? options.read(columns, badRows) : readSource(await resolveSource(file), columns, badRows, options.delimiter);
  for await (const chunk of source) {
    const n = chunk.rows;
    const state = new Uint8Array(n);
    const messages = new Map<number, string>();
    const reject = (r: number, column: string, expected: string, found: string): void => {
      state[r] = BAD;
      messages.set(r, badCell(chunk.file, chunk.lines[r]!, column, expected, found));
    };
    const staged = fields.map((g, i) => stageField(g, spec.fields[i]!.column, chunk, i, state, reject));
    const labelCells = tasks.map((_, k) => textCells(chunk.columns[nf + k]!));
    const stagedLabels = tasks.map((task, k) => {
      const out = new Float64Array(n);
      const cells = labelCells[k]!;
      for (let r = 0; r < n; r++) {
        if (state[r] !== GOOD) continue;
        const y = readers[k]!.read(cells[r]!);
        if (y !== undefined) out[r] = y;
        else if (strays[k] && !isMissing(cells[r]!)) {
          strays[k]!.add(chunk.lines[r]!, cells[r]!);
          state[r] = STRAY;
        } else reject(r, task.label, readers[k]!.expected, cells[r]!);
      }
      return out;
    });
    weights.stage(chunk, nf + nt + keep.length, state, reject);
    if (messages.size > 0) for (let r = 0; r < n; r++) if (state[r] === BAD) badRows.report(messages.get(r)!);

    // The rows kept: all of them, or those still good.
    let keptRows: Int32Array | undefined;
    if (state.some((s) => s !== GOOD)) {
      const list: number[] = [];
      for (let r = 0; r < n; r++) if (state[r] === GOOD) list.push(r);
      keptRows = Int32Array.from(list);
    }
    const m = keptRows ? keptRows.length : n;
    const at = (k: number): number => (keptRows ? keptRows[k]! : k);
    lines.add(pick(chunk.lines, keptRows));
    weights.keep(keptRows);
    for (let j = 0; j < keep.length; j++) {
      const cells = textCells(chunk.columns[nf + nt + j]!);
      for (let k = 0; k < m; k++) kept[j]!.push(cells[at(k)]!);
    }
    fields.forEach((g, i) => (missing[i]! += keepField(g, staged[i]!, keptRows)));
    for (let t = 0; t < nt; t++) {
      labels[t]!.add(pick(stagedLabels[t]!, keptRows));
      const census = labelValues.get(tasks[t]!.name)!;
      const cells = labelCells[t]!;
      for (let k = 0; k < m; k++) census.add(cells[at(k)]!);
    }
  }
  for (const s of strays) {
    const error = s?.error();
    if (error) throw error;
  }

  const raw = new Map<string, RawField>();
  spec.fields.forEach((f, i) => {
    const g = fields[i]!;
    if (g.kind === "numeric") raw.set(f.name, { kind: "numeric", values: g.values.done() });
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
  };
}

/** Reads field column i of a chunk for the rows still good, rejecting a row whose cell is not a value of the field. */
function stageField(g: Growing, column: string, chunk: RowChunk, i: number, state: Uint8Array, reject: (r: number, column: string, expected: string, found: string) => void): Staged {
  const n = chunk.rows;
  const col = chunk.columns[i]!;
  if (g.kind === "numeric") {
    const out = new Float64Array(n);
    if (col.kind === "number") {
      // A typed file's number comes as a value (null: missing).
      const { values, valid } = col;
      for (let r = 0; r < n; r++) {
        if (state[r] !== GOOD) continue;
        if (!isPresent(valid, r)) {
          out[r] = NaN;
          continue;
        }
        const x = transformNumber(values[r]!, g.transform);
        if (x === undefined) reject(r, column, expectedNumber(g.transform), String(values[r]));
        else out[r] = x;
      }
    } else {
      for (let r = 0; r < n; r++) {
        if (state[r] !== GOOD) continue;
        const cell = col.cells[r]!;
        const x = isMissing(cell) ? NaN : readNumeric(cell, g.transform);
        if (x === undefined) reject(r, column, expectedNumber(g.transform), cell);
        else out[r] = x;
      }
    }
    return out;
  }
  const cells = textCells(col);
  if (g.kind === "categorical") {
    const out = new Int32Array(n);
    for (let r = 0; r < n; r++) if (state[r] === GOOD) out[r] = isMissing(cells[r]!) ? -1 : g.dict.code(cells[r]!);
    return out;
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

/** Appends a field's staged cells of the rows kept (all when `rows` is absent) to its column; the missing cells among them. */
function keepField(g: Growing, staged: Staged, rows: Int32Array | undefined): number {
  let missing = 0;
  if (g.kind === "numeric") {
    const values = pick(staged as Float64Array, rows);
    g.values.add(values);
    for (const x of values) if (Number.isNaN(x)) missing++;
  } else if (g.kind === "categorical") {
    const codes = pick(staged as Int32Array, rows);
    g.codes.add(codes);
    for (const c of codes) if (c < 0) missing++;
  } else {
    const s = staged as Exclude<Staged, Float64Array | Int32Array>;
    const n = rows ? rows.length : s.missing.length;
    const counts = new Int32Array(n);
    const codes: number[] = [];
    for (let k = 0; k < n; k++) {
      const r = rows ? rows[k]! : k;
      if (s.missing[r]) missing++;
      counts[k] = s.offsets[r + 1]! - s.offsets[r]!;
      for (let j = s.offsets[r]!; j < s.offsets[r + 1]!; j++) codes.push(s.codes[j]!);
    }
    g.counts.add(counts);
    g.codes.add(Int32Array.from(codes));
  }
  return missing;
}
