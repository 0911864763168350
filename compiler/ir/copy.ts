// Copying a graph into a new Builder, for passes that rebuild a graph with a few changes (inlining,
// merging gate samples, reading packed params): its leaves declared again, its nodes copied with
// their inputs looked up in a map from old values to new ones.

import type { Builder, Graph, Node, Value } from "./graph.js";
import type { PrimitiveOpKind } from "./shapes.js";

/** Declares `graph`'s inputs, params (except `drop`) and constants in `b`; the map from old values to new ones. */
export function declareLeaves(b: Builder, graph: Graph, drop?: ReadonlySet<Value>): Map<Value, Value> {
  const map = new Map<Value, Value>();
  for (const v of graph.inputs) map.set(v, b.input(v.name, v.dtype, v.shape));
  for (const p of graph.params) {
    if (drop?.has(p.value)) continue;
    map.set(p.value, b.at(p.doc, () => b.param(p.value.name, p.value.shape as readonly number[], p.init, { dtype: p.value.dtype as "float32" | "float64", group: p.group })));
  }
  for (const c of graph.constants) map.set(c.value, b.constant(c.data, c.value.dtype, c.value.shape, c.value.name.split("#")[1]));
  return map;
}

/** Copies `node` (a primitive op or a Call of one of `graph`'s functions) into `b`, reading its inputs through `map` and adding its outputs to it. */
export function copyNode(b: Builder, graph: Graph, node: Node, map: Map<Value, Value>): void {
  b.at(node.doc, () => {
    const inputs = node.inputs.map((v) => map.get(v)!);
    const names = node.outputs.map((o) => o.name);
    const outputs =
      node.op === "Call" ? b.call(graph.functions.find((f) => f.name === node.attrs.function)!, inputs, names) : b.node(node.op as PrimitiveOpKind, inputs, node.attrs as never, names);
    node.outputs.forEach((o, i) => map.set(o, outputs[i]!));
  });
}
