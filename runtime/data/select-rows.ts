// Row subsets and column permutations of an encoded data set, for measurements that re-run a model
// on changed data (runtime/importance.ts): the arrays are copied, the input left as it was.

import type { Dataset, FieldColumn, LabelColumn } from "./dataset.js";

/** Column `c` with its row r taken from row `rows[r]` (a subset, a reordering or both). */
export function takeRows(c: FieldColumn, rows: Int32Array): FieldColumn {
  if (c.kind === "numeric") return { kind: "numeric", values: Float32Array.from(rows, (r) => c.values[r]!) };
  if (c.kind === "categorical") return { kind: "categorical", ids: Int32Array.from(rows, (r) => c.ids[r]!) };
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i]! + c.offsets[r + 1]! - c.offsets[r]!));
  const ids = new Int32Array(offsets[rows.length]!);
  rows.forEach((r, i) => ids.set(c.ids.subarray(c.offsets[r]!, c.offsets[r + 1]!), offsets[i]!));
  return { kind: "multi_hot", offsets, ids };
}

/** A label column's rows `rows`, in that order. */
function takeLabels(y: LabelColumn, rows: Int32Array): LabelColumn {
  return y instanceof Int32Array ? Int32Array.from(rows, (r) => y[r]!) : Float32Array.from(rows, (r) => y[r]!);
}

/** The rows `rows` of `data` (fields, labels, sample weights, kept columns and file lines), in that order. */
export function selectRows(data: Dataset, rows: Int32Array): Dataset {
  const map = <T, U>(o: Record<string, T>, f: (v: T) => U) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
  return {
    file: data.file,
    rows: rows.length,
    lines: Int32Array.from(rows, (r) => data.lines[r]!),
    fields: map(data.fields, (c) => takeRows(c, rows)),
    labels: map(data.labels, (y) => takeLabels(y, rows)),
    ...(data.weights ? { weights: map(data.weights, (w) => Float32Array.from(rows, (r) => w[r]!)) } : {}),
    ...(data.kept ? { kept: map(data.kept, (v) => Array.from(rows, (r) => v[r]!)) } : {}),
  };
}
