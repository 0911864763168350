// Mini-batches in the shape the training graph takes them. Embedding tables stay outside the
// graph (docs/design.md, "The compiled artifact"): for each table a batch names the distinct rows it touches (`unique`, which
// the embedding store gathers and later scatters back) and, per example, the position of its row
// among them (`index`, int64 for ONNX Gather). A step then costs O(batch), whatever the
// vocabulary size.

import { invariant } from "../../base/source/diagnostic.js";
import { type Field, type Spec } from "../../compiler/index.js";
import { gatherRows, type Dataset } from "./dataset.js";
import type { FieldColumn } from "./types.js";
import { isMissingLabel } from "./labels.js";
import { takeValues } from "./select-rows.js";
import { permutation, Random, STREAM } from "../../base/random.js";
import { int64Of } from "../../base/int64.js";

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
  let order: Int32Array;
  if (options.shuffle ?? true) order = permutation(data.rows, Random.stream(options.seed ?? 0, STREAM.shuffle, options.epoch ?? 0));
  else {
    order = new Int32Array(data.rows);
    for (let i = 0; i < order.length; i++) order[i] = i;
  }
  const count = batchCount(data.rows, batchSize, options.dropLast ?? false);
  for (let b = 0; b < count; b++) yield batchOf(spec, data, order.subarray(b * batchSize, Math.min(data.rows, (b + 1) * batchSize)));
}

/** The batch of the rows `rows` of `data`, in that order. */
export function batchOf(spec: Spec, data: Dataset, rows: Int32Array): Batch {
  const size = rows.length;
  const embeddings: Record<string, EmbeddingLookup> = {};
  for (const f of spec.fields) if (f.kind !== "numeric") embeddings[f.name] = embeddingLookup(f, data.fields[f.name], rows);

  const labels: Record<string, Float32Array | BigInt64Array> = {};
  const rowWeights: Record<string, Float32Array> = {};
  for (const [task, col] of Object.entries(data.labels)) {
    const sample = data.weights?.[task];
    let weights: Float32Array | undefined = sample ? takeValues(sample, rows) : undefined;
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
  return { size, rows: rows.slice(), embeddings, numeric: numericBlock(spec, data, rows), labels, rowWeights };
}

/** The standardized numeric features of the rows `rows` of `data`: [rows.length, numericFields(spec).length], row-major (Batch.numeric). */
export function numericBlock(spec: Spec, data: Dataset, rows: Int32Array): Float32Array {
  const names = numericFields(spec);
  const width = names.length;
  if (data.numericRows) return gatherRows(data.numericRows, width, rows);
  const size = rows.length;
  const out = new Float32Array(size * width);
  names.forEach((name, j) => {
    const col = data.fields[name];
    invariant(col?.kind === "numeric", `the dataset has no numeric column for field "${name}"`);
    const values = col.values;
    for (let k = 0; k < size; k++) out[k * width + j] = values[rows[k]!]!;
  });
  return out;
}

/** The lookup of embedding field `field` (categorical or multi-hot) for the rows `rows` of its column `col`. */
export function embeddingLookup(field: Field, col: FieldColumn | undefined, rows: Int32Array): EmbeddingLookup {
  invariant(col !== undefined && col.kind === field.kind, `the dataset has no ${field.kind} column for field "${field.name}"`);
  const size = rows.length;
  if (col.kind === "categorical") {
    const ids = new Int32Array(size);
    for (let k = 0; k < size; k++) ids[k] = col.ids[rows[k]!]!;
    return categoricalLookup(ids);
  }
  invariant(col.kind === "multi_hot", `field "${field.name}" has no embedding table`);
  const mean = field.kind === "multi_hot" && field.pooling === "mean";
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
  const at = new Int32Array(total);
  let unique = distinctPositions(all, at);
  // Padding slots point at position 0, so the table must give at least one row.
  if (unique.length === 0) unique = new Int32Array([0]);
  const slots = new Int32Array(size * width);
  const weights = new Float32Array(size * width);
  t = 0;
  for (let k = 0; k < size; k++) {
    const len = col.offsets[rows[k]! + 1]! - col.offsets[rows[k]!]!;
    for (let j = 0; j < len; j++) {
      slots[k * width + j] = at[t++]!;
      weights[k * width + j] = mean ? 1 / len : 1;
    }
  }
  return { unique, index: int64Of(slots), width, weights };
}

/** A categorical field's lookup for the batch whose table ids are `ids`, one per example. */
export function categoricalLookup(ids: Int32Array): EmbeddingLookup {
  const at = new Int32Array(ids.length);
  const unique = distinctPositions(ids, at);
  return { unique, index: int64Of(at), width: 1 };
}

/**
 * Distinct ids are found by marking them in a scratch array indexed by id, O(ids + largest id),
 * when the largest id is below this or below 4 times the ids looked up (up to 2^22); otherwise by
 * sorting, O(ids log ids). Both give the same ascending `unique` and positions.
 */
const MARKED_IDS = 1 << 16;

/** Scratch for distinctPositions: at each id, 0, or 1 + its position in `unique` while one call runs. */
let marks = new Int32Array(MARKED_IDS);

/** The distinct values of `ids`, ascending; writes into `at` the position in them of each id (`unique[at[k]] === ids[k]`). */
function distinctPositions(ids: Int32Array, at: Int32Array): Int32Array {
  let min = 0;
  let max = -1;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    if (id > max) max = id;
    if (id < min) min = id;
  }
  if (min < 0 || max >= Math.max(MARKED_IDS, Math.min(1 << 22, 4 * ids.length))) {
    const sorted = ids.slice().sort();
    let n = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
    const unique = sorted.slice(0, n);
    for (let k = 0; k < ids.length; k++) at[k] = search(unique, ids[k]!);
    return unique;
  }
  if (marks.length <= max) marks = new Int32Array(max + 1);
  const m = marks;
  let n = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    if (m[id] === 0) {
      m[id] = 1;
      n++;
    }
  }
  const unique = new Int32Array(n);
  for (let id = 0, p = 0; p < n; id++) {
    if (m[id] === 0) continue;
    unique[p] = id;
    m[id] = ++p;
  }
  for (let k = 0; k < ids.length; k++) at[k] = m[ids[k]!]! - 1;
  for (let p = 0; p < n; p++) m[unique[p]!] = 0;
  return unique;
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
