// Rewiring the forward to read packed params (pack.ts): each param of a pack leaves the graph, and
// a Split of the packed input (reshaped to each param's shape) takes its name, so every reader and
// the backward see the same values as before.

import { copyNode, declareLeaves } from "../ir/copy.js";
import { Builder, type Graph } from "../ir/graph.js";
import { numel, type PackedRead } from "./unit.js";

/** `graph` with each read's params taken from its packed input. */
export function readPackedParams(graph: Graph, reads: readonly PackedRead[]): Graph {
  if (reads.length === 0) return graph;
  const b = new Builder(graph.name, graph.doc);
  const map = declareLeaves(b, graph, new Set(reads.flatMap((r) => r.params)));
  for (const read of reads) {
    const pieces = b.split(map.get(read.input)!, 0, read.params.map(numel), read.params.map((p) => (p.shape.length === 1 ? p.name : `${p.name}/flat`)));
    read.params.forEach((p, k) => map.set(p, p.shape.length === 1 ? pieces[k]! : b.reshape(pieces[k]!, p.shape, p.name)));
  }
  for (const node of graph.nodes) copyNode(b, graph, node, map);
  for (const o of graph.outputs) b.output(map.get(o)!);
  return b.finish();
}
