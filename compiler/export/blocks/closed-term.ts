// A closed term of a gated sum: an l0_average mix adds z_i x_i over its sources, and a source whose
// gate folded to 0 becomes x ⊙ 0. Then a + x ⊙ 0 = a: the Add becomes its other term, and whatever
// only fed the closed one is swept later.

import type { Node, Value } from "../../ir/graph.js";
import type { CutContext, CutRule } from "./rule.js";

/** True when `v` is x ⊙ k with k known and all 0, and x not known (a known x would have been folded). */
function isClosedTerm(v: Value, ctx: CutContext): boolean {
  const mul = ctx.producer(v);
  if (mul?.op !== "Mul") return false;
  const known = mul.inputs.map((x) => ctx.known(ctx.get(x)));
  return known.some((k) => k !== undefined && k.data.every((x) => x === 0)) && known.some((k) => k === undefined);
}

export const closedTerm: CutRule = {
  name: "closed term of a gated sum",
  rewrite(node: Node, ctx) {
    if (node.op !== "Add") return undefined;
    const zeroAt = node.inputs.findIndex((v) => isClosedTerm(v, ctx));
    const out = node.outputs[0]!;
    if (zeroAt < 0 || node.inputs[1 - zeroAt]!.shape.join(",") !== out.shape.join(",")) return undefined;
    ctx.cut(1);
    return [ctx.b.identity(ctx.inputs[1 - zeroAt]!, out.name)];
  },
};
