// Rebuilding a graph node by node, as every pruning pass does: a node is copied (compiler/ir/copy.ts)
// unless the pass rewrites it, params and constants are declared on first use, and the values of
// params that no longer exist leave the value map.

import { Builder, type Graph, type Node, type Value } from "../ir/graph.js";
import { copyNode, declareOnUse } from "../ir/copy.js";
import type { TensorData } from "../ir/tensor.js";

/** How `rebuild` treats each node, and which graph inputs it keeps. */
export interface RebuildOptions {
  /** Replaces a node (returning the values of its outputs), or returns undefined to copy it. */
  rewrite?: (node: Node, b: Builder, get: (v: Value) => Value) => Value[] | undefined;
  /** Nodes to keep (default all). */
  keep?: (node: Node) => boolean;
  /** Graph inputs to keep (default all). */
  keepInput?: (v: Value) => boolean;
}

/**
 * Rebuilds `graph` node by node. Params and constants are declared on first use, so unused ones
 * are dropped, and their entries leave `values` (param values by name).
 */
export function rebuild(graph: Graph, values: Map<string, TensorData>, o: RebuildOptions = {}): Graph {
  const b = new Builder(graph.name, graph.doc);
  const mapped = new Map<Value, Value>();
  for (const v of graph.inputs) if (o.keepInput?.(v) ?? true) mapped.set(v, b.input(v.name, v.dtype, v.shape));
  const get = declareOnUse(b, graph, mapped);
  for (const node of graph.nodes) {
    if (o.keep && !o.keep(node)) continue;
    const outs = o.rewrite && b.at(node.doc, () => o.rewrite!(node, b, get));
    if (outs) node.outputs.forEach((v, i) => mapped.set(v, outs[i]!));
    else copyNode(b, graph, node, mapped, get);
  }
  for (const v of graph.outputs) b.output(get(v));
  const out = b.finish();
  const kept = new Set(out.params.map((p) => p.value.name));
  for (const name of [...values.keys()]) if (!kept.has(name)) values.delete(name);
  return out;
}

/** `base`, or `base_1`, `base_2`, ... : the first name not yet defined in `b`'s graph. */
export function freshName(b: Builder, base: string): string {
  let name = base;
  for (let i = 1; b.lookup(name); i++) name = `${base}_${i}`;
  return name;
}
