// Unit-level pruning: removes the columns of [batch, n] values that no prediction depends on, and
// the units of layers that are the same for every example.
//
// In CSSM (docs/design.md, "Export and pruning") a closed cell zeroes output column k of one block
// W_ij. When column k of a layer's folded gated weight is 0 in every block, unit k of that layer
// is act(b_k) for every example: it leaves the layer (W's column k and b_k), and each layer
// reading it folds the constant into its bias:
//   x W' + b'  with  x ⊆ columns read,  W' = W without row k,  b' = b + act(b_k) W[k, :].
// A unit nothing reads (its outgoing rows are 0 in every reader) leaves the same way. And FSCM:
// a categorical field's embedding is always one of its table's rows, so w = relu(tanh(g · e + b))
// can be checked on every row; when it is 0 on all of them, the group's columns of that field are
// 0 for every example and leave the group's input (and the field, once no group reads it).
//
// Each node gets a role from the rules of rules/index.ts (rule.ts says what a rule answers), and
// this driver runs three passes over the graph that block cutting has folded:
// 1. facts, forward (facts.ts);
// 2. need, backward: which columns of each value some output depends on;
// 3. rewrite, forward: a value keeps only its needed columns where its producer can drop the rest;
//    any other node is copied whole and gets its inputs whole.
//
// Exactness: x · 0 is taken as 0, true for the finite values an exported model computes (numeric
// inputs are clamped, tables and weights are finite). Constants are computed in float64 and rounded
// to float32 after each op, so a folded bias may differ from onnxruntime's own float32 arithmetic in
// its last bits; a sum that rounds to exactly 0 on one side and to ±1e-45 on the other would leave a
// w of that size, which moves no score measurably.

import { invariant } from "../../../base/source/diagnostic.js";
import type { Graph, Node, Value } from "../../ir/graph.js";
import type { TensorData } from "../../ir/tensor.js";
import { knownValue } from "../known.js";
import { rebuild } from "../rebuild.js";
import { constantAt, makeFacts, range, widthOf, type Facts } from "./facts.js";
import { rewriteContext, type RewriteState } from "./rewrite-context.js";
import type { Matched, NeedContext, RewriteContext } from "./rule.js";
import { opaque } from "./rules/opaque.js";
import { UNIT_RULES } from "./rules/index.js";

/** What pruneUnits did and found. */
export interface UnitPruning {
  graph: Graph;
  /** Output units removed from matmuls by learned weights. */
  units: number;
  /** The columns of a [batch, n] value of the input graph (by name) that are the same for every example: their value, or undefined. */
  constantColumns: (name: string) => (number | undefined)[] | undefined;
}

/** The role of every node: the first rule that matches one with a float32 [batch, n] output; any other node is opaque. */
function matchRoles(graph: Graph, values: ReadonlyMap<string, TensorData>): Map<Node, Matched> {
  const known = (v: Value) => knownValue(graph, values, v);
  return new Map(
    graph.nodes.map((node): [Node, Matched] => {
      if (node.outputs.length !== 1 || widthOf(node.outputs[0]!) === undefined) return [node, { rule: opaque, role: true }];
      for (const rule of UNIT_RULES) {
        const role = rule.match(node, known);
        if (role !== undefined) return [node, { rule, role }];
      }
      invariant(false, "prune: the opaque rule matches every node");
    }),
  );
}

/** Pass 1: the facts of every value a rule knows something of. */
function factsPass(graph: Graph, matched: (n: Node) => Matched): (v: Value) => Facts {
  const facts = new Map<Value, Facts>();
  const factsOf = (v: Value): Facts => facts.get(v) ?? makeFacts(widthOf(v) ?? 0, []);
  for (const node of graph.nodes) {
    const { rule, role } = matched(node);
    const f = rule.facts(node, role, { facts: factsOf });
    if (f && f.segments.length) facts.set(node.outputs[0]!, f);
  }
  return factsOf;
}

/** Pass 2: the columns of each value some output needs, and the nodes that compute any of them. */
function needPass(graph: Graph, matched: (n: Node) => Matched, factsOf: (v: Value) => Facts): { need: Map<Value, Uint8Array>; live: Set<Node> } {
  const need = new Map<Value, Uint8Array>();
  const consumers = new Map<Value, Node[]>();
  for (const n of graph.nodes) for (const v of n.inputs) consumers.set(v, [...(consumers.get(v) ?? []), n]);
  const outputs = new Set(graph.outputs);
  const ctx: NeedContext = {
    facts: factsOf,
    want(v, mask) {
      const m = need.get(v) ?? new Uint8Array(widthOf(v) ?? 1);
      need.set(v, m);
      if (!mask || widthOf(v) === undefined) m.fill(1);
      else mask.forEach((x, i) => (m[i]! |= x));
    },
    readers: (v) => consumers.get(v) ?? [],
    matched,
    isOutput: (v) => outputs.has(v),
  };
  const live = new Set<Node>();
  for (const v of graph.outputs) ctx.want(v);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.outputs.some((v) => need.get(v)?.includes(1))) continue;
    live.add(node);
    const { rule, role } = matched(node);
    rule.need(node, role, need.get(node.outputs[0]!) ?? new Uint8Array(0), ctx);
  }
  return { need, live };
}

/** Removes unneeded columns and constant units (see the header); `values` (param values by name) is updated in place. */
export function pruneUnits(graph: Graph, values: Map<string, TensorData>): UnitPruning {
  const roles = matchRoles(graph, values);
  const matched = (node: Node) => roles.get(node)!;
  const factsOf = factsPass(graph, matched);
  const { need, live } = needPass(graph, matched, factsOf);

  // Pass 3: rewrite. The rebuild's builder and reader are the same for every node: one context serves them all.
  const state: RewriteState = { graph, values, facts: factsOf, need, units: 0 };
  let ctx: RewriteContext | undefined;
  const result = rebuild(graph, values, {
    keep: (n) => live.has(n),
    keepInput: (v) => need.get(v)?.includes(1) ?? false,
    rewrite(node, b, get) {
      ctx ??= rewriteContext(state, b, get);
      const { rule, role } = matched(node);
      return rule.rewrite(node, role, ctx);
    },
  });
  const byName = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o.name, o] as const)));
  const constantColumns = (name: string) => {
    const v = byName.get(name);
    const n = v && widthOf(v);
    return n === undefined ? undefined : range(n).map((c) => constantAt(factsOf(v!), c));
  };
  return { graph: result, units: state.units, constantColumns };
}
