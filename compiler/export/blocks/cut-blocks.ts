// The block-cutting pass: one rebuild of the graph in which each node is offered to the rules of
// index.ts in order; the first that rewrites it wins, and a node no rule rewrites is copied.

import type { Graph, Node, Value } from "../../ir/graph.js";
import type { TensorData } from "../../ir/tensor.js";
import { knownValue } from "../known.js";
import { rebuild } from "../rebuild.js";
import { CUT_RULES } from "./index.js";
import type { CutContext } from "./rule.js";

/** Folds what is known and cuts the blocks and gated-sum terms closed gates zero; `values` (param values by name) is updated in place. */
export function cutBlocks(graph: Graph, values: Map<string, TensorData>): { graph: Graph; blocks: number } {
  const producers = new Map<Value, Node>(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  let blocks = 0;
  const rewrite = (node: Node, b: CutContext["b"], get: (v: Value) => Value): Value[] | undefined => {
    const ctx: CutContext = {
      b,
      // Read first, as a copy would: the rebuilt graph declares its leaves in the order nodes read them.
      inputs: node.inputs.map(get),
      get,
      known: (v) => knownValue(b.graph, values, v),
      producer: (v) => producers.get(v),
      values,
      cut: (n) => (blocks += n),
    };
    for (const rule of CUT_RULES) {
      const out = rule.rewrite(node, ctx);
      if (out) return out;
    }
    return undefined;
  };
  return { graph: rebuild(graph, values, { rewrite }), blocks };
}
