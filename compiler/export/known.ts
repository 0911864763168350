// What pruning reads of a graph before any input arrives: the float32 params (with their trained
// values) and constants.

import type { Graph, Value } from "../ir/graph.js";
import { isStatic } from "../ir/ops.js";
import type { TensorData } from "../ir/tensor.js";

/** A float32 tensor known at export time: a param with its trained value, or a constant. */
export interface Known {
  data: Float32Array;
  shape: readonly number[];
}

/** The value of `v` when it is a float32 param of `graph` (values in `values`, by name) or a float32 constant; else undefined. */
export function knownValue(graph: Graph, values: ReadonlyMap<string, TensorData>, v: Value): Known | undefined {
  if (v.dtype !== "float32" || !isStatic(v.shape)) return undefined;
  const fromParam = values.get(v.name);
  if (fromParam && graph.params.some((p) => p.value === v)) return { data: fromParam as Float32Array, shape: v.shape };
  const c = graph.constants.find((k) => k.value === v);
  return c ? { data: c.data as Float32Array, shape: v.shape } : undefined;
}
