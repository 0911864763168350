// Mini-batches in the shape the training graph takes them. Embedding tables stay outside the
// graph (docs/design.md, "The compiled artifact"): for each table a batch names the distinct rows it touches (`unique`, which
// the embedding store gathers and later scatters back) and, per example, the position of its row
// among them (`index`, int64 for ONNX Gather). A step then costs O(batch), whatever the
// vocabulary size.

import { invariant } from "../../base/source/diagnostic.js";
import { type Spec } from "../../compiler/index.js";
import { gatherRows, type Dataset } from "./dataset.js";
import { isMissingLabel } from "./labels.js";
import { permutation, Random, STREAM } from "../../base/random.js";

/** One embedding table's part of a batch. */
export interface EmbeddingLookup {
  /** The distinct table rows the batch touches, ascending. */
  unique: Int32Array;
  /** Per example and slot, the position of its row in `unique`; shape [size, width], row-major. */
  index: BigInt64Array;
  /** Slots per example: 1 for a categorical field; for multi-hot the longest list in the batch (at least 1). */
  width: number;
  /**
   * Multi-hot only, shape [size, width]: each slot's pooling weight, 1 (sum) or 1/length (mean),
   * and 0 for padding slots (whose index is 0), so pooling is ReduceSum(gathered * weights).
   */
  weights?: Float32Array;
}

/** One mini-batch. */
export interface Batch {
  size: number;
  /** The dataset rows in this batch, in batch order. */
  rows: Int32Array;
  /** By field name, for every categorical and multi-hot field. */
  embeddings: Record<string, EmbeddingLookup>;
  /** Standardized numeric features, shape [size, numericFields(spec).length], row-major. */
  numeric: Float32Array;
  /**
   * By task name: Float32Array for binary (0/1) and regression, BigInt64Array classes for
   * multiclass; a missing label is fed as 0 (class 0), and its row weight is 0.
   */
  labels: Record<string, Float32Array | BigInt64Array>;
  /**
   * By task name, for the tasks with sample weights and those whose rows in this batch have a
   * missing label: each row's loss weight, 0 where the label is missing, else its sample weight (1
   * without one) (docs/design.md, "Partial labels and sample weights"). A task not here weighs
   * every row 1.
   */
  rowWeights: Record<string, Float32Array>;
}

export interface BatchOptions {
  batchSize: number;
  /** Visit rows in a seeded random order (default true); false keeps file order, for evaluation. */
  shuffle?: boolean;
  /** Seed of the order (default 0); the order of epoch e depends only on (seed, e). */
  seed?: number;
  epoch?: number;
  /** Drop the last batch when it is smaller than batchSize (default false: keep it). */
  dropLast?: boolean;
}

/** The numeric fields in the order of the columns of `Batch.numeric`: spec order. */
export function numericFields(spec: Spec): string[] {
  return spec.fields.filter((f) => f.kind === "numeric").map((f) => f.name);
}

/** The fields that have an embedding table (categorical and multi-hot), in spec order. */
export function embeddingFields(spec: Spec): string[] {
  return spec.fields.filter((f) => f.kind !== "numeric").map((f) => f.name);
}

/** How many batches an epoch over `rows` rows has. */
export function batchCount(rows: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(rows / batchSize) : Math.ceil(rows / batchSize);
}

/** The batches of one epoch over `data`. */
export function* batches(spec: Spec, data: Dataset, options: BatchOptions): Generator<Batch> {
  const { batchSize } = options;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  const order =
    (options.shuffle ?? true) ? permutation(data.rows, Random.stream(options.seed ?? 0, STREAM.shuffle, options.epoch ?? 0)) : Int32Array.from({ length: data.rows }, (_, i) => i);
  const count = batchCount(data.rows, batchSize, options.dropLast ?? false);
  for (let b = 0; b < count; b++) yield batchOf(spec, data, order.subarray(b * batchSize, Math.min(data.rows, (b + 1) * batchSize)));
}

/** The batch of the rows `rows` of `data`, in that order. */
export function batchOf(spec: Spec, data: Dataset, rows: Int32Array): Batch {
  const size = rows.length;
  const numeric = data.numericRows
    ? []
    : numericFields(spec).map((name) => {
        const col = data.fields[name];
        invariant(col?.kind === "numeric", `the dataset has no numeric column for field "${name}"`);
        return col.values;
      });

  const embeddings: Record<string, EmbeddingLookup> = {};
  for (const f of spec.fields) {
    if (f.kind === "numeric") continue;
    const col = data.fields[f.name];
    invariant(col !== undefined && col.kind === f.kind, `the dataset has no ${f.kind} column for field "${f.name}"`);
    if (col.kind === "categorical") {
      const ids = new Int32Array(size);
      for (let k = 0; k < size; k++) ids[k] = col.ids[rows[k]!]!;
      const unique = distinct(ids);
      embeddings[f.name] = { unique, index: positions(unique, ids), width: 1 };
    } else if (col.kind === "multi_hot") {
      const mean = f.kind === "multi_hot" && f.pooling === "mean";
      let width = 1;
      let total = 0;
      for (const r of rows) {
        const len = col.offsets[r + 1]! - col.offsets[r]!;
        width = Math.max(width, len);
        total += len;
      }
      const all = new Int32Array(total);
      let t = 0;
      for (const r of rows) for (let j = col.offsets[r]!; j < col.offsets[r + 1]!; j++) all[t++] = col.ids[j]!;
      let unique = distinct(all);
      // Padding slots point at position 0, so the table must give at least one row.
      if (unique.length === 0) unique = new Int32Array([0]);
      const index = new BigInt64Array(size * width);
      const weights = new Float32Array(size * width);
      for (let k = 0; k < size; k++) {
        const from = col.offsets[rows[k]!]!;
        const len = col.offsets[rows[k]! + 1]! - from;
        for (let j = 0; j < len; j++) {
          index[k * width + j] = BigInt(search(unique, col.ids[from + j]!));
          weights[k * width + j] = mean ? 1 / len : 1;
        }
      }
      embeddings[f.name] = { unique, index, width, weights };
    }
  }

  const width = numericFields(spec).length;
  let numericOut: Float32Array;
  if (data.numericRows) numericOut = gatherRows(data.numericRows, width, rows);
  else {
    numericOut = new Float32Array(size * width);
    for (let k = 0; k < size; k++) for (let j = 0; j < width; j++) numericOut[k * width + j] = numeric[j]![rows[k]!]!;
  }

  const labels: Record<string, Float32Array | BigInt64Array> = {};
  const rowWeights: Record<string, Float32Array> = {};
  for (const [task, col] of Object.entries(data.labels)) {
    const sample = data.weights?.[task];
    let weights: Float32Array | undefined = sample ? Float32Array.from(rows, (r) => sample[r]!) : undefined;
    const label = (k: number): number => {
      const y = col[rows[k]!]!;
      if (!isMissingLabel(y)) return y;
      if (!weights) weights = new Float32Array(size).fill(1);
      weights[k] = 0;
      return 0;
    };
    if (col instanceof Int32Array) {
      const out = new BigInt64Array(size);
      for (let k = 0; k < size; k++) out[k] = BigInt(label(k));
      labels[task] = out;
    } else {
      const out = new Float32Array(size);
      for (let k = 0; k < size; k++) out[k] = label(k);
      labels[task] = out;
    }
    if (weights) rowWeights[task] = weights;
  }
  return { size, rows: rows.slice(), embeddings, numeric: numericOut, labels, rowWeights };
}

/** The distinct values of `ids`, ascending. */
function distinct(ids: Int32Array): Int32Array {
  const sorted = ids.slice().sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  return sorted.slice(0, n);
}

/** For each id, its position in the ascending `unique` (binary search), as int64. */
function positions(unique: Int32Array, ids: Int32Array): BigInt64Array {
  const out = new BigInt64Array(ids.length);
  for (let k = 0; k < ids.length; k++) out[k] = BigInt(search(unique, ids[k]!));
  return out;
}

/** The position of `id` in the ascending `unique`, which contains it. */
function search(unique: Int32Array, id: number): number {
  let lo = 0;
  let hi = unique.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (unique[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
