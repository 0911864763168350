// The batches of an evaluation pass (runtime/evaluate.ts): a data set's rows in file order, with
// their features only (evaluation reads no labels). A training run evaluates the same validation
// rows many times: each epoch's validation pass, and the field check's up to 4F + 1 passes at each
// epoch end (runtime/field-check.ts), all on the same columns but one at a time shuffled. Building
// a pass's embedding lookups (each field's distinct ids and positions) cost about a fifth of the
// pass, so each field's lookups are kept per column (held weakly: they go with the column) and
// batch size, and a pass builds only those of a column it has not seen, such as a shuffled one.
// The numeric block is a view of Dataset.numericRows, or copied from the columns (a small part of
// a pass).

import type { Spec } from "../../compiler/index.js";
import { categoricalLookup, embeddingLookup, numericBlock, numericFields, type Batch, type EmbeddingLookup } from "./batches.js";
import type { Dataset, FieldColumn } from "./types.js";

/** A batch's features: what an eval.onnx run is fed. */
export type FeatureBatch = Pick<Batch, "size" | "embeddings" | "numeric">;

/**
 * Data sets of more rows than this do not keep their lookups (a validation set that large is
 * read once an epoch, and its lookups would hold 8 bytes per row and field); the field check's
 * sample (at most 20,000 rows) and validation sets up to this size do.
 */
export const KEPT_LOOKUP_ROWS = 1 << 17;

/** Per column, per batch size and pooling: each batch's lookup, in pass order. */
const kept = new WeakMap<FieldColumn, Map<string, EmbeddingLookup[]>>();

/** The batches of one pass over every row of `data` in file order, `batchSize` rows each (the last one the rest). */
export function* evalBatches(spec: Spec, data: Dataset, batchSize: number): Generator<FeatureBatch> {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  const keep = data.rows <= KEPT_LOOKUP_ROWS;
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
  const width = numericFields(spec).length;
  for (let b = 0, at = 0; at < data.rows; b++, at += batchSize) {
    const size = Math.min(batchSize, data.rows - at);
    let rows: Int32Array | undefined;
    const range = () => (rows ??= Int32Array.from({ length: size }, (_, k) => at + k));
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
    const numeric = data.numericRows ? data.numericRows.subarray(at * width, (at + size) * width) : numericBlock(spec, data, range());
    yield { size, embeddings, numeric };
  }
}
