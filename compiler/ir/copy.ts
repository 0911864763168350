// Copying a graph into a new Builder, for passes that rebuild a graph with a few changes (inlining,
// merging gate samples, reading packed params, building and pruning the exported model): its
// leaves declared again (all at once, or each on first use so that unused ones are dropped), its
// nodes copied with their inputs looked up in a map from old values to new ones.

import { invariant } from "../../base/source/diagnostic.js";
import type { Builder, Graph, Node, Value } from "./graph.js";
import type { PrimitiveOpKind } from "./shapes.js";

/** Declares `graph`'s inputs, params (except `drop`) and constants in `b`; the map from old values to new ones. */
export function declareLeaves(b: Builder, graph: Graph, drop?: ReadonlySet<Value>): Map<Value, Value> {
  const map = new Map<Value, Value>();
  for (const v of graph.inputs) map.set(v, b.input(v.name, v.dtype, v.shape));
  for (const p of graph.params) {
    if (drop?.has(p.value)) continue;
    map.set(p.value, declareParam(b, p));
  }
  for (const c of graph.constants) map.set(c.value, declareConstant(b, c));
  return map;
}

/**
 * A reader of `graph`'s values in `b`: through `map`, else the param or constant declared on its
 * first read (and added to `map`), so a param or constant that no copied node reads is dropped.
 */
export function declareOnUse(b: Builder, graph: Graph, map: Map<Value, Value>): (v: Value) => Value {
  const params = new Map(graph.params.map((p) => [p.value, p]));
  const constants = new Map(graph.constants.map((c) => [c.value, c]));
  return (v) => {
    const known = map.get(v);
    if (known) return known;
    const p = params.get(v);
    const c = constants.get(v);
    invariant(p !== undefined || c !== undefined, `copy: %${v.name} is neither copied nor a param or constant`);
    const out = p ? declareParam(b, p) : declareConstant(b, c!);
    map.set(v, out);
    return out;
  };
}

/**
 * Copies `node` (a primitive op or a Call of one of `graph`'s functions) into `b`, reading its inputs
 * through `read` (by default `map`) and adding its outputs to `map`; returns them.
 */
export function copyNode(b: Builder, graph: Graph, node: Node, map: Map<Value, Value>, read: (v: Value) => Value = (v) => map.get(v)!): Value[] {
  return b.at(node.doc, () => {
    const inputs = node.inputs.map(read);
    const names = node.outputs.map((o) => o.name);
    const outputs =
      node.op === "Call" ? b.call(graph.functions.find((f) => f.name === node.attrs.function)!, inputs, names) : b.node(node.op as PrimitiveOpKind, inputs, node.attrs as never, names);
    node.outputs.forEach((o, i) => map.set(o, outputs[i]!));
    return outputs;
  });
}

function declareParam(b: Builder, p: Graph["params"][number]): Value {
  return b.at(p.doc, () => b.param(p.value.name, p.value.shape as readonly number[], p.init, { dtype: p.value.dtype as "float32" | "float64", group: p.group }));
}

function declareConstant(b: Builder, c: Graph["constants"][number]): Value {
  // A large constant is named `const/<type>/#<tag>`; the tag names it again.
  return b.constant(c.data, c.value.dtype, c.value.shape, c.value.name.split("#")[1]);
}
