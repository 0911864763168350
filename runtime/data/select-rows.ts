// Row subsets and column permutations of an encoded data set, for measurements that re-run a model
// on changed data (runtime/importance.ts): the arrays are copied, the input left as it was.

import type { Dataset, FieldColumn, LabelColumn } from "./dataset.js";

/** `values[rows[k]]` for each k, in an array of the same type: a plain loop, where `from` with a function costs about 50x more. */
export function takeValues<T extends Int32Array | Float32Array>(values: T, rows: ArrayLike<number>): T {
  const out = new (values.constructor as new (n: number) => T)(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = values[rows[k]!]!;
  return out;
}

/** Column `c` with its row r taken from row `rows[r]` (a subset, a reordering or both). */
export function takeRows(c: FieldColumn, rows: Int32Array): FieldColumn {
  if (c.kind === "numeric") return { kind: "numeric", values: takeValues(c.values, rows) };
  if (c.kind === "categorical") return { kind: "categorical", ids: takeValues(c.ids, rows) };
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i]! + c.offsets[r + 1]! - c.offsets[r]!));
  const ids = new Int32Array(offsets[rows.length]!);
  rows.forEach((r, i) => ids.set(c.ids.subarray(c.offsets[r]!, c.offsets[r + 1]!), offsets[i]!));
  return { kind: "multi_hot", offsets, ids };
}

/** The rows `rows` of `data` (fields, labels, sample weights, kept columns and file lines), in that order. */
export function selectRows(data: Dataset, rows: Int32Array): Dataset {
  const map = <T, U>(o: Record<string, T>, f: (v: T) => U) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
  return {
    file: data.file,
    rows: rows.length,
    lines: takeValues(data.lines, rows),
    fields: map(data.fields, (c) => takeRows(c, rows)),
    labels: map(data.labels, (y: LabelColumn) => takeValues(y, rows)),
    ...(data.weights ? { weights: map(data.weights, (w) => takeValues(w, rows)) } : {}),
    ...(data.kept ? { kept: map(data.kept, (v) => Array.from(rows, (r) => v[r]!)) } : {}),
  };
}
