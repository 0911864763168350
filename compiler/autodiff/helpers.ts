// Small graph-building helpers the gradient rules share. Shapes may hold symbolic dimensions
// ("batch", "rows_<field>"): zeros and element counts are built with Expand and ReduceSum so
// they take the run-time size, never a constant baked at compile time.

import type { Builder, Value } from "../ir/graph.js";
import { isStatic, sizeOf } from "../ir/ops.js";
import type { TensorType } from "../ir/shapes.js";

/** A scalar constant of `like`'s element type. */
export function scalar(b: Builder, value: number, like: TensorType): Value {
  return b.constant(value, like.dtype);
}

/** Zeros of a type: a scalar constant broadcast to the (possibly symbolic) shape. */
export function zeros(b: Builder, t: TensorType): Value {
  const zero = scalar(b, 0, t);
  return t.shape.length === 0 ? zero : b.expand(zero, t.shape);
}

/** The gradient of a reduction, spread back over the reduced axes: expand(dy with the axes kept, x's shape). */
export function unreduce(b: Builder, dy: Value, x: TensorType, axes: readonly number[], keepdims: boolean): Value {
  const kept = keepdims || axes.length === x.shape.length ? dy : b.unsqueeze(dy, axes);
  return b.expand(kept, x.shape);
}

/** How many elements the axes of x hold: a constant when static, else counted at run time. */
export function count(b: Builder, x: TensorType, axes: readonly number[]): Value {
  const dims = axes.map((a) => x.shape[a]!);
  if (isStatic(dims)) return scalar(b, sizeOf(dims), x);
  // Sum of ones over a tensor that has only the reduced dimensions: O(count), no Shape op needed.
  const ones = b.expand(scalar(b, 1, x), x.shape.map((d, i) => (axes.includes(i) ? d : 1)));
  return b.reduceSum(ones, x.shape.map((_d, i) => i), false);
}

/** Makes a thunk that builds its value once, for gradients two inputs share. */
export function once<T>(build: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: build() }).value;
}
