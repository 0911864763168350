// Folding what is known: a node whose inputs are all trained params or constants (for a Gather: its
// table, with int64 constant indices) becomes the values of its outputs (fold.ts). So a cssm layer's
// W ⊙ mask(z) becomes one gated weight whose closed cells and blocks are exactly 0, which the
// closed-block rule and unit pruning then read.

import type { Value } from "../../ir/graph.js";
import type { Known } from "../known.js";
import { foldNode } from "../fold.js";
import type { CutRule } from "./rule.js";

export const foldKnown: CutRule = {
  name: "fold what is known",
  rewrite(node, ctx) {
    const { b, inputs } = ctx;
    const all = inputs.map((v) => ctx.known(v));
    // A Gather's indices are int64 constants, not float32 values.
    const indices = node.op === "Gather" ? b.graph.constants.find((c) => c.value === inputs[1])?.data : undefined;
    const foldable = node.op === "Gather" ? all[0] !== undefined && indices instanceof BigInt64Array : all.every((k) => k !== undefined);
    const folded = foldable ? foldNode(node, all as Known[], indices as BigInt64Array | undefined) : undefined;
    if (!folded) return undefined;
    // What folds from constants alone stays a constant: only what holds trained values counts as a param.
    const fromParams = inputs.some((v) => b.graph.params.some((p) => p.value === v));
    return node.outputs.map((o, i): Value => {
      if (!fromParams) return b.constant(folded[i]!, "float32", o.shape, o.name);
      ctx.values.set(o.name, folded[i]!);
      return b.param(o.name, o.shape as readonly number[], { kind: "zeros" }, { group: "folded" });
    });
  },
};
