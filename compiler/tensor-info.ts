// The manifest entry of a graph value (compiler/artifact.ts, TensorInfo), for the graphs'
// interfaces: the training step's inputs and outputs, and eval.onnx's.

import type { Role, TensorInfo } from "./artifact.js";
import type { Value } from "./ir/graph.js";

/** The manifest entry of `v`; `more`'s keys in TensorInfo's order (group, of, state, init, members), as manifest.json writes them. */
export function tensorInfo(v: Value, role: Role, more: Omit<TensorInfo, "name" | "dtype" | "shape" | "role"> = {}): TensorInfo {
  return { name: v.name, dtype: v.dtype, shape: v.shape, role, ...more };
}
