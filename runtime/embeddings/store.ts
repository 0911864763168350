// The embedding store: every field's table and the optimizer state of its rows live here, in the
// runtime, not in the training graph (docs/design.md, "The compiled artifact"). A step gathers the rows its batch touches,
// the graph updates them, and the step scatters them back, so a step costs O(batch · dim)
// whatever the vocabulary size. This class is the seam where a sharded store can stand in.

import { type Manifest } from "../../compiler/index.js";
import { invariant } from "../../base/source/diagnostic.js";
import { UserError } from "../../base/user-error.js";
import { Random } from "../../base/random.js";
import type { Preprocessing } from "../data/dataset.js";
import { vocabRows } from "../data/vocab.js";
import type { EmbeddingTable } from "../trained-model.js";

/** Initial embedding values are drawn from U(-INIT_RANGE, INIT_RANGE). */
export const INIT_RANGE = 0.05;

/**
 * One field's table in the store: its rows' values and their optimizer state interleaved in one
 * slab, row r = [values (dim) | state 1 (dim) | state 2 (dim) ...]. A step touches a random set
 * of rows of a possibly huge table; with one record per row an id costs one TLB entry and
 * adjacent cache lines instead of one random access per array (with three separate
 * arrays, gather + scatter of ~1024 rows cost 5-6x more at 10^6 rows than at 10^3).
 */
export interface StoredTable {
  field: string;
  rows: number;
  dim: number;
  /** State kinds (`adam_m`, `adam_v`, ...), in the order the training graph takes them. */
  stateKinds: readonly string[];
  /** [rows, (1 + stateKinds.length) · dim], row-major. */
  slab: Float32Array;
}

/** One field's table as separate [rows, dim] arrays: the checkpoint's layout. */
export interface TableColumns {
  field: string;
  rows: number;
  dim: number;
  values: Float32Array;
  /** By state kind, in the order the training graph takes them. */
  states: Map<string, Float32Array>;
}

/** Floats from one row's start to the next in a table's slab. */
export function rowStride(t: StoredTable): number {
  return (1 + t.stateKinds.length) * t.dim;
}

/** The most elements one typed array may hold in Node (a slab is one array). */
export const MAX_SLAB_ELEMENTS = 2 ** 32 - 1;

/** A fresh slab for a table, or a user error when it cannot be one array (too many rows × dim × parts). */
function newSlab(field: string, rows: number, dim: number, parts: number): Float32Array {
  const n = rows * dim * parts;
  if (n > MAX_SLAB_ELEMENTS) {
    throw new UserError(
      `the embedding table of field "${field}" needs ${rows.toLocaleString("en-US")} rows × dim ${dim} × ${parts} (values and optimizer state) = ${n.toLocaleString("en-US")} numbers (${(n * 4 / 2 ** 30).toFixed(1)} GiB), more than one array can hold (${MAX_SLAB_ELEMENTS.toLocaleString("en-US")}); use fewer hash_buckets, a smaller dim, or an embedding_optimizer with less state (adagrad keeps one array per table, sgd without momentum none)`,
      "table-too-large",
    );
  }
  return new Float32Array(n);
}

/** Interleaves separate [rows, dim] arrays into a table's slab. */
export function packTable(c: TableColumns): StoredTable {
  const d = c.dim;
  const parts = [c.values, ...c.states.values()];
  for (const p of parts) invariant(p.length === c.rows * d, `table of field "${c.field}": an array of ${p.length} values, [${c.rows}, ${d}] needs ${c.rows * d}`);
  const t: StoredTable = { field: c.field, rows: c.rows, dim: d, stateKinds: [...c.states.keys()], slab: newSlab(c.field, c.rows, d, parts.length) };
  const stride = rowStride(t);
  for (let r = 0; r < c.rows; r++) for (let p = 0; p < parts.length; p++) copyRow(parts[p]!, r * d, t.slab, r * stride + p * d, d);
  return t;
}

/** Splits a table's slab into separate [rows, dim] arrays (fresh copies). */
export function unpackTable(t: StoredTable): TableColumns {
  return { field: t.field, rows: t.rows, dim: t.dim, values: column(t, 0), states: new Map(t.stateKinds.map((kind, s) => [kind, column(t, s + 1)])) };
}

/** Part `p` of every row (0: the values, s + 1: state s) as one [rows, dim] array. */
function column(t: StoredTable, p: number): Float32Array {
  const d = t.dim;
  const stride = rowStride(t);
  const out = new Float32Array(t.rows * d);
  for (let r = 0; r < t.rows; r++) copyRow(t.slab, r * stride + p * d, out, r * d, d);
  return out;
}

/** The gathered rows of one table for one batch: [unique.length, dim] blocks. */
export interface GatheredRows {
  rows: Float32Array;
  /** One block per state kind, in the table's state order. */
  states: Float32Array[];
}

/** The number of rows of a field's table: its vocabulary size (id 0 included) or its hash buckets. */
export function tableRows(preprocessing: Preprocessing, field: string): number {
  const state = preprocessing.fields[field];
  invariant(state !== undefined && state.kind !== "numeric", `the preprocessing has no vocabulary for field "${field}"`);
  return vocabRows(state.vocab);
}

/** Every embedding table of a model, with gather and scatter by row id. */
export class EmbeddingStore {
  readonly tables = new Map<string, StoredTable>();

  /** Wraps existing tables (for example read from a checkpoint, through `packTable`). */
  constructor(tables: Iterable<StoredTable>) {
    for (const t of tables) this.tables.set(t.field, t);
  }

  /**
   * Fresh tables for a compiled model. Row values are U(-0.05, 0.05), drawn in row-major order
   * from the stream `Random.derive(seed, "emb/<field>/rows")` (the parameters' initialiser
   * derives its streams the same way, by name), rounded to float32; optimizer states start at
   * the `init` value the manifest gives for each state input of the rows (`emb/<field>/rows/<kind>`).
   */
  static initial(manifest: Manifest, preprocessing: Preprocessing, seed: number): EmbeddingStore {
    const tables: StoredTable[] = [];
    for (const t of manifest.tables) {
      const stateKinds: string[] = [];
      const inits: number[] = [];
      for (const input of manifest.graphs.train.inputs) {
        if (input.role !== "state" || input.of !== t.rows) continue;
        invariant(input.state !== undefined, `state input ${input.name} names no state kind`);
        stateKinds.push(input.state);
        inits.push(input.init ?? 0);
      }
      const rows = tableRows(preprocessing, t.field);
      const table: StoredTable = { field: t.field, rows, dim: t.dim, stateKinds, slab: newSlab(t.field, rows, t.dim, 1 + stateKinds.length) };
      const stride = rowStride(table);
      const d = t.dim;
      const slab = table.slab;
      const rng = Random.derive(seed, t.rows);
      for (let r = 0; r < rows; r++) {
        const at = r * stride;
        for (let i = 0; i < d; i++) slab[at + i] = rng.uniformIn(-INIT_RANGE, INIT_RANGE);
        // Written even when the value is 0: a fresh buffer's pages are mapped on first write, and
        // that page fault would otherwise land inside training steps (5x slower steps at 10^6 rows).
        for (let s = 0; s < inits.length; s++) slab.fill(inits[s]!, at + (s + 1) * d, at + (s + 2) * d);
      }
      tables.push(table);
    }
    return new EmbeddingStore(tables);
  }

  /** The table of a field. */
  table(field: string): StoredTable {
    const t = this.tables.get(field);
    invariant(t !== undefined, `the embedding store has no table for field "${field}"`);
    return t;
  }

  /** Copies the rows `ids` (and, with `withStates`, their optimizer state) into fresh blocks. */
  gather(field: string, ids: Int32Array, withStates = true): GatheredRows {
    const t = this.table(field);
    const d = t.dim;
    const stride = rowStride(t);
    const slab = t.slab;
    const rows = new Float32Array(ids.length * d);
    const states = withStates ? t.stateKinds.map(() => new Float32Array(ids.length * d)) : [];
    touchRecords(t, ids, (1 + states.length) * d);
    // Plain index loops: rows are short (dim 8 is typical), where a subarray view per row costs more than the copy.
    for (let k = 0; k < ids.length; k++) {
      const at = ids[k]! * stride;
      copyRow(slab, at, rows, k * d, d);
      for (let s = 0; s < states.length; s++) copyRow(slab, at + (s + 1) * d, states[s]!, k * d, d);
    }
    return { rows, states };
  }

  /** Writes updated rows (and their optimizer state, in the table's state order) back at `ids`. */
  scatter(field: string, ids: Int32Array, rows: Float32Array, states: readonly Float32Array[]): void {
    const t = this.table(field);
    const d = t.dim;
    const stride = rowStride(t);
    const slab = t.slab;
    invariant(rows.length === ids.length * d, `scatter into "${field}": ${rows.length} values for ${ids.length} rows of width ${d}`);
    invariant(states.length === t.stateKinds.length, `scatter into "${field}": ${states.length} state blocks, the table has ${t.stateKinds.length}`);
    touchRecords(t, ids, stride);
    for (let k = 0; k < ids.length; k++) {
      const at = ids[k]! * stride;
      copyRow(rows, k * d, slab, at, d);
      for (let s = 0; s < states.length; s++) copyRow(states[s]!, k * d, slab, at + (s + 1) * d, d);
    }
  }

  /** Every table's values alone, [rows, dim] each (fresh copies): what evaluation and export read. */
  valueTables(): Map<string, EmbeddingTable> {
    return new Map([...this.tables.values()].map((t) => [t.field, { rows: t.rows, dim: t.dim, data: column(t, 0) }]));
  }

  /** A deep copy, for keeping the best weights while training goes on. */
  clone(): EmbeddingStore {
    return new EmbeddingStore([...this.tables.values()].map((t) => ({ ...t, slab: t.slab.slice() })));
  }
}

/** Floats per cache line (64 bytes). */
const LINE = 16;

/** Keeps `touchRecords`' loads alive: V8 may drop loads whose values nothing uses. */
let touchSink = 0;

/**
 * Checks that every id is a row of `t` and reads each cache line of the first `span` floats of
 * its record. JavaScript has no prefetch instruction; this loop is its stand-in. A copy loop
 * runs dozens of instructions per row, so the CPU has at most one or two rows' misses (DRAM and
 * page walk) in flight; this loop is a few loads per row, all independent, so the misses of
 * many rows overlap, and the copy that follows finds its rows in cache.
 */
function touchRecords(t: StoredTable, ids: Int32Array, span: number): void {
  const stride = rowStride(t);
  const slab = t.slab;
  let sum = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    if (!(id >= 0 && id < t.rows)) invariant(false, `row ${id} is outside the table of field "${t.field}" (${t.rows} rows)`);
    const at = id * stride;
    for (let i = 0; i < span; i += LINE) sum += slab[at + i]!;
    sum += slab[at + span - 1]!;
  }
  touchSink += sum;
}

/** Copies `n` floats from `from[at..]` to `to[into..]`. */
function copyRow(from: Float32Array, at: number, to: Float32Array, into: number, n: number): void {
  for (let i = 0; i < n; i++) to[into + i] = from[at + i]!;
}
