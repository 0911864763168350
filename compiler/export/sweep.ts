// The last pruning step: nodes, params, constants and graph inputs that no output needs any more
// go (an expert that only fed closed blocks, a field no group reads and its raw input column).

import type { Graph, Node, Value } from "../ir/graph.js";
import type { TensorData } from "../ir/tensor.js";
import { rebuild } from "./rebuild.js";

/** Keeps only the nodes, params, constants and graph inputs the outputs need; `values` loses the params that go. */
export function sweep(graph: Graph, values: Map<string, TensorData>): Graph {
  const live = new Set<Value>(graph.outputs);
  const needed = new Set<Node>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i]!;
    if (!n.outputs.some((o) => live.has(o))) continue;
    needed.add(n);
    for (const v of n.inputs) live.add(v);
  }
  return rebuild(graph, values, { keep: (n) => needed.has(n), keepInput: (v) => live.has(v) });
}
