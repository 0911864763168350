// Tensor contents as typed arrays, one array type per element type, row-major.

import { invariant } from "../../base/source/diagnostic.js";
import type { DType, Shape } from "./ops.js";

/** Row-major tensor contents: Float32Array, Float64Array, BigInt64Array (int64), Uint8Array (bool, 0/1) or strings. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint8Array | readonly string[];

/** The contents type that holds each element type. */
export interface TensorDataOf {
  float32: Float32Array;
  float64: Float64Array;
  int64: BigInt64Array;
  bool: Uint8Array;
  string: readonly string[];
}

/** A scalar element as written in code. */
export type Element = number | bigint | boolean | string;

/** Packs plain values into the typed array of `dtype`. */
export function tensorData<D extends DType>(dtype: D, values: readonly Element[]): TensorDataOf[D] {
  const wrong = (v: Element) => `Value ${String(v)} does not fit element type ${dtype}.`;
  switch (dtype) {
    case "float32":
    case "float64": {
      const out = dtype === "float32" ? new Float32Array(values.length) : new Float64Array(values.length);
      values.forEach((v, i) => {
        invariant(typeof v === "number", wrong(v));
        out[i] = v;
      });
      return out as TensorDataOf[D];
    }
    case "int64": {
      const out = new BigInt64Array(values.length);
      values.forEach((v, i) => {
        invariant(typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v)), wrong(v));
        out[i] = BigInt(v);
      });
      return out as TensorDataOf[D];
    }
    case "bool": {
      const out = new Uint8Array(values.length);
      values.forEach((v, i) => {
        invariant(typeof v === "boolean" || v === 0 || v === 1, wrong(v));
        out[i] = v ? 1 : 0;
      });
      return out as TensorDataOf[D];
    }
    default:
      values.forEach((v) => invariant(typeof v === "string", wrong(v)));
      return [...(values as string[])] as unknown as TensorDataOf[D];
  }
}

/** True when `data` is the array type that holds `dtype`. */
export function dataHolds(dtype: DType, data: TensorData): boolean {
  switch (dtype) {
    case "float32":
      return data instanceof Float32Array;
    case "float64":
      return data instanceof Float64Array;
    case "int64":
      return data instanceof BigInt64Array;
    case "bool":
      return data instanceof Uint8Array;
    default:
      return Array.isArray(data) && data.every((s) => typeof s === "string");
  }
}

/** The shortest decimal that reads back as the same float32 (0.1, not 0.10000000149011612). */
function float32Text(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(v.toPrecision(digits)));
    if (Math.fround(Number(text)) === v) return text;
  }
  return String(Number(v.toPrecision(9)));
}

/** One element written for names and the text form: shortest round-trip decimal for its type, -0 kept. */
export function elementText(data: TensorData, i: number): string {
  const v = data[i]!;
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" && Object.is(v, -0)) return "-0";
  if (data instanceof Uint8Array) return v ? "true" : "false";
  if (data instanceof Float32Array) return float32Text(v as number);
  return String(v);
}

/** All elements, comma-separated (for small tensors). */
export function dataText(data: TensorData): string {
  return Array.from({ length: data.length }, (_v, i) => elementText(data, i)).join(",");
}

/** Tensors of at most this many elements are named and printed by their contents. */
export const SMALL_TENSOR = 8;

/**
 * The name of a constant, from its contents when small (`const/float32/0.5`, `const/int64[2]/0,1`),
 * so equal constants share one name in every graph; larger ones need a caller-given tag.
 */
export function constantName(dtype: DType, shape: Shape, data: TensorData, tag?: string): string {
  const type = shape.length === 0 ? dtype : `${dtype}[${shape.join(",")}]`;
  if (data.length <= SMALL_TENSOR) return `const/${type}/${dataText(data)}`;
  invariant(tag !== undefined, `A constant of ${data.length} elements needs a tag for its name.`);
  return `const/${type}/#${tag}`;
}

/**
 * A key equal for two constants exactly when type, shape and every element are equal (bitwise for
 * floats). Numbers are keyed by their bytes: printing them costs ~1 µs an element, which made the
 * FSCM segment matrices of a 500-field spec (millions of elements) dominate compile time.
 */
export function constantKey(dtype: DType, shape: Shape, data: TensorData): string {
  const contents = ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64") : JSON.stringify(data);
  return `${dtype}[${shape.join(",")}]:${contents}`;
}
