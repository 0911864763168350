// Columns start..start+n of x (a split of merged sibling layers). It removes nothing itself: it
// reads its whole range, and is re-indexed when x lost columns outside it.

import { invariant } from "../../../../base/source/diagnostic.js";
import type { Value } from "../../../ir/graph.js";
import { makeFacts, range, widthOf } from "../facts.js";
import type { UnitRule } from "../rule.js";

interface SliceRole {
  x: Value;
  start: number;
}

export const slice: UnitRule<SliceRole> = {
  name: "slice of columns",
  match(node) {
    if (node.op !== "Slice") return undefined;
    const x = node.inputs[0]!;
    const a = node.attrs;
    return widthOf(x) !== undefined && x.shape[0] === node.outputs[0]!.shape[0] && a.axes.length === 1 && a.axes[0] === 1 && a.steps[0] === 1 ? { x, start: a.starts[0]! } : undefined;
  },
  facts(node, role, ctx) {
    const n = widthOf(node.outputs[0]!)!;
    return makeFacts(
      n,
      ctx.facts(role.x).segments.map((s) => {
        const at = range(s.cols.length).filter((i) => s.cols[i]! >= role.start && s.cols[i]! < role.start + n);
        return { cols: at.map((i) => s.cols[i]! - role.start), rows: s.rows.map((r) => at.map((i) => r[i]!)) };
      }),
    );
  },
  need(_node, role, outNeed, ctx) {
    const mask = new Uint8Array(widthOf(role.x)!);
    mask.fill(1, role.start, role.start + outNeed.length);
    ctx.want(role.x, mask);
  },
  rewrite(node, role, ctx) {
    ctx.noPending([role.x]);
    const out = node.outputs[0]!;
    const holds = ctx.present(role.x);
    if (holds.length === widthOf(role.x)) return undefined;
    const n = widthOf(out)!;
    const start = holds.indexOf(role.start);
    invariant(start >= 0 && holds[start + n - 1] === role.start + n - 1, `prune: Slice ${out.name} lost part of its range`);
    return ctx.b.node("Slice", [ctx.get(role.x)], { axes: [1], starts: [start], ends: [start + n], steps: [1] }, [out.name]);
  },
};
