// The batches of an evaluation pass (runtime/evaluate.ts): a data set's rows in file order, with
// their features only (evaluation reads no labels). A training run evaluates the same validation
// rows many times: each epoch's validation pass, and the field check's up to 4F + 1 passes at each
// epoch end (runtime/field-check.ts), all on the same columns but one at a time shuffled. Building
// a pass's embedding lookups (each field's distinct ids and positions) cost about a fifth of the
// pass, so each field's lookups are kept per column (held weakly: they go with the column) and
// batch size, and a pass builds only those of a column it has not seen, such as a shuffled one.
// The numeric block is a view of Dataset.numericRows, or interleaved from the numeric columns and
// kept likewise, per tuple of columns.

import type { Spec } from "../../compiler/index.js";
import { categoricalLookup, embeddingLookup, numericBlock, numericFields, type Batch, type EmbeddingLookup } from "./batches.js";
import type { Dataset, FieldColumn } from "./types.js";

/** A batch's features: what an eval.onnx run is fed. */
export type FeatureBatch = Pick<Batch, "size" | "embeddings" | "numeric">;

/**
 * Data sets of more rows than this keep nothing (a validation set that large is read once an
 * epoch, and its lookups would hold 8 bytes per row and field); the field check's sample (at most
 * 20,000 rows) and validation sets up to this size keep their lookups and numeric blocks.
 */
export const KEPT_ROWS = 1 << 17;

/** Per column, per batch size and pooling: each batch's lookup, in pass order. */
const kept = new WeakMap<FieldColumn, Map<string, EmbeddingLookup[]>>();

/** One level of the numeric blocks kept per tuple of columns: a weak map per column, in spec order. */
interface NumericLevel {
  next: WeakMap<FieldColumn, NumericLevel>;
  /** At the level of the tuple's last column: per batch size, each batch's block. */
  blocks: Map<number, Float32Array[]>;
}

const keptNumeric: NumericLevel = { next: new WeakMap(), blocks: new Map() };

/** The list that keeps the numeric blocks of the columns `columns` (at least one) at `batchSize`. */
function numericList(columns: readonly FieldColumn[], batchSize: number): Float32Array[] {
  let level = keptNumeric;
  for (const c of columns) {
    let next = level.next.get(c);
    if (!next) level.next.set(c, (next = { next: new WeakMap(), blocks: new Map() }));
    level = next;
  }
  let list = level.blocks.get(batchSize);
  if (!list) level.blocks.set(batchSize, (list = []));
  return list;
}

/** The batches of one pass over every row of `data` in file order, `batchSize` rows each (the last one the rest). */
export function* evalBatches(spec: Spec, data: Dataset, batchSize: number): Generator<FeatureBatch> {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  const keep = data.rows <= KEPT_ROWS;
  const fields = spec.fields.filter((f) => f.kind !== "numeric");
  const lookups = fields.map((f) => {
    const col = data.fields[f.name];
    if (!keep || col === undefined) return undefined;
    let byKey = kept.get(col);
    if (!byKey) kept.set(col, (byKey = new Map()));
    const key = `${batchSize} ${f.kind === "multi_hot" ? f.pooling : ""}`;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    return list;
  });
  const numericNames = numericFields(spec);
  const width = numericNames.length;
  const numericColumns = numericNames.map((name) => data.fields[name]);
  const blocks = keep && !data.numericRows && width > 0 && numericColumns.every((c) => c !== undefined) ? numericList(numericColumns as FieldColumn[], batchSize) : undefined;
  for (let b = 0, at = 0; at < data.rows; b++, at += batchSize) {
    const size = Math.min(batchSize, data.rows - at);
    let rows: Int32Array | undefined;
    const range = (): Int32Array => {
      if (!rows) {
        rows = new Int32Array(size);
        for (let k = 0; k < size; k++) rows[k] = at + k;
      }
      return rows;
    };
    const embeddings: Record<string, EmbeddingLookup> = {};
    fields.forEach((f, i) => {
      const list = lookups[i];
      let lookup = list?.[b];
      if (!lookup) {
        const col = data.fields[f.name];
        lookup = col?.kind === "categorical" && f.kind === "categorical" ? categoricalLookup(col.ids.subarray(at, at + size)) : embeddingLookup(f, col, range());
        if (list) list[b] = lookup;
      }
      embeddings[f.name] = lookup;
    });
    let numeric = data.numericRows ? data.numericRows.subarray(at * width, (at + size) * width) : blocks?.[b];
    if (!numeric) {
      numeric = numericBlock(spec, data, range());
      if (blocks) blocks[b] = numeric;
    }
    yield { size, embeddings, numeric };
  }
}
