// Common-subexpression elimination and dead-node (and dead-constant) removal over the IR, run by
// compileSpec on the forward graphs and on the training step before emission.
//
// Lowering builds each consumer's input on its own (three level-1 consumers of MSSM each concat
// the same three field-selected inputs), and autodiff rebuilds per gate the same scalars from the
// same constants; onnxruntime would compute each copy. Two nodes are the same computation when
// they apply the same op (or function) with the same attributes to the same values, so the later
// one is dropped and its outputs read the earlier one's. Everything here is pure and
// deterministic: nodes keep their order and the names of the survivors.

import type { Graph, Node, Value } from "./graph.js";
import { assertValid } from "./verify.js";

/**
 * The graph with repeated computations merged, then with nodes nothing reads removed. The result
 * is frozen, so the verification here is the last one: emission and later passes skip it.
 */
export function eliminateCommonSubexpressions(graph: Graph): Graph {
  const replaced = new Map<Value, Value>();
  // Keys name values by a small number, not by their (long) names: building and hashing a key of
  // a few digits is what keeps this pass cheap on a ~130k-node training step.
  const ids = new Map<Value, number>();
  const id = (v: Value) => {
    let i = ids.get(v);
    if (i === undefined) ids.set(v, (i = ids.size));
    return i;
  };
  const outputs = new Set(graph.outputs);
  const seen = new Map<string, Node>();
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    let inputs = node.inputs;
    let key = `${node.op}\u0000${attributesKey(node.attrs)}`;
    for (let i = 0; i < node.inputs.length; i++) {
      const v = node.inputs[i]!;
      const r = replaced.get(v);
      if (r !== undefined) {
        if (inputs === node.inputs) inputs = node.inputs.slice();
        (inputs as Value[])[i] = r;
      }
      key += `\u0000${id(r ?? v)}`;
    }
    const kept = inputs === node.inputs ? node : ({ ...node, inputs } as Node);
    const first = seen.get(key);
    // A graph output keeps its own node: outputs are found by name.
    if (first && !node.outputs.some((o) => outputs.has(o))) {
      node.outputs.forEach((o, i) => replaced.set(o, first.outputs[i]!));
      continue;
    }
    if (!first) seen.set(key, kept);
    nodes.push(kept);
  }
  const live = removeDeadNodes(nodes, graph.outputs);
  const called = new Set(live.flatMap((n) => (n.op === "Call" ? [n.attrs.function] : [])));
  // A constant only dead nodes read would be an initializer nothing reads (onnxruntime warns and drops it).
  const read = new Set<Value>(graph.outputs);
  for (const n of live) for (const v of n.inputs) read.add(v);
  const out: Graph = Object.freeze({
    ...graph,
    inputs: Object.freeze(graph.inputs.slice()),
    params: Object.freeze(graph.params.slice()),
    constants: Object.freeze(graph.constants.filter((c) => read.has(c.value))),
    nodes: Object.freeze(live),
    outputs: Object.freeze(graph.outputs.slice()),
    functions: Object.freeze(graph.functions.filter((f) => called.has(f.name))),
  });
  assertValid(out, "common-subexpression elimination");
  return out;
}

/** A node's attributes as a key: their JSON, "" for the many nodes that have none. */
function attributesKey(attrs: object): string {
  for (const _k in attrs) return JSON.stringify(attrs);
  return "";
}

/** `nodes` without those whose outputs neither a graph output nor a kept node reads. */
export function removeDeadNodes(nodes: readonly Node[], outputs: readonly Value[]): Node[] {
  const read = new Set<Value>(outputs);
  const live: Node[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => read.has(o))) continue;
    live.push(n);
    for (const v of n.inputs) read.add(v);
  }
  return live.reverse();
}
