// Runs emitted models in onnxruntime-node (CPU) with RefTensor inputs and outputs.

import { InferenceSession, Tensor } from "onnxruntime-node";
import type { RefTensor } from "../ir/reference.js";

/** A RefTensor as an onnxruntime Tensor. */
export function toOrt(t: RefTensor): Tensor {
  switch (t.dtype) {
    case "float32":
      return new Tensor("float32", Float32Array.from(t.data as number[]), t.shape);
    case "float64":
      return new Tensor("float64", Float64Array.from(t.data as number[]), t.shape);
    case "int64":
      return new Tensor("int64", BigInt64Array.from(t.data as number[], (v) => BigInt(v)), t.shape);
    case "bool":
      return new Tensor("bool", Uint8Array.from(t.data as number[]), t.shape);
    case "string":
      return new Tensor("string", t.data as string[], t.shape);
  }
}

/** An onnxruntime Tensor as a RefTensor (int64 and bool as numbers). */
export function fromOrt(t: Tensor): RefTensor {
  const dtype = t.type === "float32" || t.type === "float64" || t.type === "int64" || t.type === "bool" || t.type === "string" ? t.type : undefined;
  if (!dtype) throw new Error(`unexpected ORT output type ${t.type}`);
  const data = Array.from(t.data as ArrayLike<number | bigint | boolean | string>, (v) => (typeof v === "bigint" ? Number(v) : typeof v === "boolean" ? (v ? 1 : 0) : v));
  return { dtype, shape: t.dims.map(Number), data };
}

/** Loads a model from bytes in a single-threaded CPU session. */
export async function loadModel(bytes: Uint8Array): Promise<InferenceSession> {
  return InferenceSession.create(bytes, { executionProviders: ["cpu"], intraOpNumThreads: 1, interOpNumThreads: 1 });
}

/** Runs a model once and returns every output by name. */
export async function runModel(bytes: Uint8Array, feeds: Record<string, RefTensor>): Promise<Record<string, RefTensor>> {
  const session = await loadModel(bytes);
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)]));
    const results = await session.run(inputs);
    return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, fromOrt(v)]));
  } finally {
    await session.release();
  }
}
