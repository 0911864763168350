// Any other node: nothing is known of its output, it needs all of its inputs, and it is copied
// whole. A pattern no other rule recognizes is kept as it is, so predictions do not change.

import { invariant } from "../../../../base/source/diagnostic.js";
import type { Node } from "../../../ir/graph.js";
import { widthOf } from "../facts.js";
import type { NeedContext, RewriteContext, UnitRule } from "../rule.js";

/** Needs every column of every input. */
export function needAll(node: Node, ctx: NeedContext): void {
  for (const v of node.inputs) ctx.want(v);
}

/** Checks that the node's inputs are whole, as a copy reads them. */
export function copiedWhole(node: Node, ctx: RewriteContext): undefined {
  ctx.noPending(node.inputs);
  for (const v of node.inputs) invariant(ctx.present(v).length === (widthOf(v) ?? 1), `prune: ${node.op} ${node.outputs[0]!.name} needs all of ${v.name}`);
  return undefined;
}

export const opaque: UnitRule<true> = {
  name: "any other node",
  match: () => true,
  facts: () => undefined,
  need: (node, _role, _outNeed, ctx) => needAll(node, ctx),
  rewrite: (node, _role, ctx) => copiedWhole(node, ctx),
};
