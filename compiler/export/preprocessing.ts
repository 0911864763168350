// The preprocessing an exported model does inside the graph, from the description the runtime gives
// of what it fitted on the training data: per field, a vocabulary lookup (ai.onnx.ml LabelEncoder,
// unknown and missing -> row 0) or a hash (onnxruntime's com.microsoft MurmurHash3, modulo the
// buckets, missing -> bucket 0), and for numeric fields the transform (log1p x = Log(1 + x)),
// z = (x - mean) / std, clamped, and missing -> 0 (the training mean); a multi_hot field's
// pooling weights too.

import type { Builder, Value } from "../ir/graph.js";
import type { NumericTransform } from "../load/types.js";

/** How the runtime turns one field's raw cells into what the eval graph reads, as fitted on the training data. */
export type FieldPreprocessing =
  /** z = (t(x) - mean) / std with t = log1p or the identity; missing (NaN) -> 0. */
  | { kind: "numeric"; transform: NumericTransform; mean: number; std: number }
  /** `values[i]` is row i + 1 of the field's table; any other cell (missing, unseen) row 0. */
  | { kind: "vocabulary"; values: readonly string[] }
  /** The row of a cell: MurmurHash3 (x86 32-bit, seed 0) of its UTF-8 bytes, modulo `buckets`; missing -> row 0. */
  | { kind: "hash"; buckets: number };

/** The preprocessing of every field, and what counts as a missing cell. */
export interface ExportPreprocessing {
  fields: Readonly<Record<string, FieldPreprocessing>>;
  /** The cells that mean "no value" ("" and "?", as the runtime reads CSV cells). */
  missing: readonly string[];
}

/** The rows of a field's embedding table its preprocessing addresses. */
export function tableRows(p: Exclude<FieldPreprocessing, { kind: "numeric" }>): number {
  return p.kind === "vocabulary" ? p.values.length + 1 : p.buckets;
}

/** The largest finite float32: standardized values are clamped to it, as the runtime does. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** The id of each vocabulary value as LabelEncoder keys; missing markers stay unknown (id 0), as the runtime reads them. */
function lookupTable(values: readonly string[], missing: readonly string[]): { keys: string[]; values: number[] } {
  const keys: string[] = [];
  const ids: number[] = [];
  values.forEach((v, i) => {
    if (missing.includes(v)) return;
    keys.push(v);
    ids.push(i + 1);
  });
  // onnxruntime rejects a LabelEncoder without keys; "" is missing, so it maps to 0 anyway.
  if (keys.length === 0) return { keys: [""], values: [0] };
  return { keys, values: ids };
}

/** 1 where a cell is missing, else 0 (int64, the shape of `cells`). */
function missingFlags(b: Builder, cells: Value, missing: readonly string[], name: string): Value {
  return b.node("LabelEncoder", [cells], { keys: [...missing], values: missing.map(() => 1), defaultValue: 0 }, [name])[0]!;
}

/**
 * A multi_hot field's pooling weights, [batch, tokens], as the runtime makes them: 0 for a missing
 * token (padding included), else 1 (sum) or 1 / the row's count of tokens that are not missing
 * (mean); a row without any gives 0 everywhere.
 */
export function poolingWeights(b: Builder, tokens: Value, pooling: "sum" | "mean", missing: readonly string[]): Value {
  const flags = missingFlags(b, tokens, missing, "token_missing");
  const present = b.sub(b.constant(1, "float32"), b.cast(flags, "float32", "token_missing_f"), pooling === "sum" ? "weight" : "token_present");
  if (pooling === "sum") return present;
  const count = b.max(b.reduceSum(present, [1], true, "token_count"), b.constant(1, "float32"), "token_count_at_least_1");
  return b.div(present, count, "weight");
}

/** A categorical column's row ids (of each token, for multi_hot): a vocabulary lookup, or a hash whose missing values go to bucket 0. */
export function categoryIds(b: Builder, column: Value, p: Exclude<FieldPreprocessing, { kind: "numeric" }>, missing: readonly string[]): Value {
  if (p.kind === "vocabulary") {
    const { keys, values } = lookupTable(p.values, missing);
    return b.node("LabelEncoder", [column], { keys, values, defaultValue: 0 }, ["id"])[0]!;
  }
  const hashed = b.node("StringHash", [column], { buckets: p.buckets }, ["bucket"])[0]!;
  const flags = missingFlags(b, column, missing, "missing");
  return b.where(b.cast(flags, "bool", "is_missing"), b.constant(0, "int64"), hashed, "id");
}

/** x -> z = clip((t(x) - mean) / std) with NaN (missing, or outside log1p's domain) -> 0, as [batch, 1]. */
export function standardized(b: Builder, x: Value, p: Extract<FieldPreprocessing, { kind: "numeric" }>): Value {
  const t = p.transform === "log1p" ? b.log(b.add(x, b.constant(1, "float32"), "one_plus_x"), "log1p") : x;
  const z = b.div(b.sub(t, b.constant(p.mean, "float32"), "centered"), b.constant(p.std, "float32"), "scaled");
  const clamped = b.clip(z, -FLOAT32_MAX, FLOAT32_MAX, "clamped");
  // NaN is the one value not equal to itself.
  const present = b.equal(clamped, clamped, "present");
  return b.unsqueeze(b.where(present, clamped, b.constant(0, "float32"), "value"), [1], "column");
}
