// The embedding store: every field's table and the optimizer state of its rows live here, in the
// runtime, not in the training graph (DESIGN §4). A step gathers the rows its batch touches,
// the graph updates them, and the step scatters them back, so a step costs O(batch · dim)
// whatever the vocabulary size. This class is the seam where a sharded store can stand in.

import type { Manifest } from "../../compiler/compile.js";
import { invariant } from "../../compiler/source/diagnostic.js";
import { Random } from "../../compiler/ir/random.js";
import type { Preprocessing } from "../data/dataset.js";
import { vocabRows } from "../data/vocab.js";

/** Initial embedding values are drawn from U(-INIT_RANGE, INIT_RANGE). */
export const INIT_RANGE = 0.05;

/** One field's table and the optimizer state tables of its rows, all [rows, dim] row-major. */
export interface StoredTable {
  field: string;
  rows: number;
  dim: number;
  data: Float32Array;
  /** By state kind (`adam_m`, `adam_v`, ...), in the order the training graph takes them. */
  states: Map<string, Float32Array>;
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

  /** Wraps existing tables (for example read from a checkpoint). */
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
      const rows = tableRows(preprocessing, t.field);
      const data = new Float32Array(rows * t.dim);
      const rng = Random.derive(seed, t.rows);
      for (let i = 0; i < data.length; i++) data[i] = rng.uniformIn(-INIT_RANGE, INIT_RANGE);
      const states = new Map<string, Float32Array>();
      for (const input of manifest.graphs.train.inputs) {
        if (input.role !== "state" || input.of !== t.rows) continue;
        invariant(input.state !== undefined, `state input ${input.name} names no state kind`);
        const s = new Float32Array(rows * t.dim);
        // Written even when the value is 0: a fresh buffer's pages are mapped on first write, and
        // that page fault would otherwise land inside training steps (5x slower steps at 10^6 rows).
        s.fill(input.init ?? 0);
        states.set(input.state, s);
      }
      tables.push({ field: t.field, rows, dim: t.dim, data, states });
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
    const rows = new Float32Array(ids.length * d);
    const states = withStates ? [...t.states.values()].map(() => new Float32Array(ids.length * d)) : [];
    const sources = withStates ? [...t.states.values()] : [];
    // Plain index loops: rows are short (dim 8 is typical), where a subarray view per row costs more than the copy.
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      invariant(id >= 0 && id < t.rows, `row ${id} is outside the table of field "${field}" (${t.rows} rows)`);
      copyRow(t.data, id * d, rows, k * d, d);
      for (let s = 0; s < states.length; s++) copyRow(sources[s]!, id * d, states[s]!, k * d, d);
    }
    return { rows, states };
  }

  /** Writes updated rows (and their optimizer state, in the table's state order) back at `ids`. */
  scatter(field: string, ids: Int32Array, rows: Float32Array, states: readonly Float32Array[]): void {
    const t = this.table(field);
    const d = t.dim;
    invariant(rows.length === ids.length * d, `scatter into "${field}": ${rows.length} values for ${ids.length} rows of width ${d}`);
    invariant(states.length === t.states.size, `scatter into "${field}": ${states.length} state blocks, the table has ${t.states.size}`);
    const targets = [...t.states.values()];
    for (let k = 0; k < ids.length; k++) {
      const at = ids[k]! * d;
      copyRow(rows, k * d, t.data, at, d);
      for (let s = 0; s < targets.length; s++) copyRow(states[s]!, k * d, targets[s]!, at, d);
    }
  }

  /** A deep copy, for keeping the best weights while training goes on. */
  clone(): EmbeddingStore {
    return new EmbeddingStore(
      [...this.tables.values()].map((t) => ({ ...t, data: t.data.slice(), states: new Map([...t.states].map(([k, v]) => [k, v.slice()])) })),
    );
  }
}

/** Copies `n` floats from `from[at..]` to `to[into..]`. */
function copyRow(from: Float32Array, at: number, to: Float32Array, into: number, n: number): void {
  for (let i = 0; i < n; i++) to[into + i] = from[at + i]!;
}
