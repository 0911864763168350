// Inlining: replaces Call nodes by their function bodies, so a pass that only knows primitive
// ops (autodiff, a reference evaluator, constant folding at export) can run over the result.
// Body values are renamed under the call (`<first call output>/<body name>`); the call's outputs
// keep their names, so nothing downstream changes.

import { invariant } from "../../base/source/diagnostic.js";
import { declareLeaves } from "./copy.js";
import { Builder, instantiate, type Graph, type Value } from "./graph.js";
import type { PrimitiveOpKind } from "./shapes.js";

/** The same graph with every Call (or only those of `only`) replaced by its body's nodes. */
export function inlineCalls(graph: Graph, only?: ReadonlySet<string>): Graph {
  const b = new Builder(graph.name, graph.doc);
  const map = declareLeaves(b, graph);
  const get = (v: Value) => {
    const m = map.get(v);
    invariant(m !== undefined, `inline: %${v.name} is used before it is defined.`);
    return m;
  };

  for (const node of graph.nodes) {
    b.at(node.doc, () => {
      const inputs = node.inputs.map(get);
      const names = node.outputs.map((o) => o.name);
      let outputs: Value[];
      if (node.op !== "Call") {
        outputs = b.node(node.op as PrimitiveOpKind, inputs, node.attrs as never, names);
      } else {
        const fn = graph.functions.find((f) => f.name === node.attrs.function)!;
        if (only && !only.has(fn.name)) {
          outputs = b.call(fn, inputs, names);
        } else {
          const body = instantiate(fn, inputs);
          const inner = new Map<Value, Value>(body.inputs.map((v, i) => [v, inputs[i]!]));
          for (const c of body.constants) inner.set(c.value, b.constant(c.data, c.value.dtype, c.value.shape, c.value.name.split("#")[1]));
          for (const n of body.nodes) {
            const outNames = n.outputs.map((o) => {
              const k = body.outputs.indexOf(o);
              return k >= 0 ? names[k]! : `${names[0]}/${o.name}`;
            });
            const made = b.node(n.op as PrimitiveOpKind, n.inputs.map((v) => inner.get(v)!), n.attrs as never, outNames);
            n.outputs.forEach((o, i) => inner.set(o, made[i]!));
          }
          outputs = body.outputs.map((o) => inner.get(o)!);
        }
      }
      node.outputs.forEach((o, i) => map.set(o, outputs[i]!));
    });
  }
  for (const v of graph.outputs) b.output(get(v));
  return b.finish();
}
