// Concat along axis 1 (a layer's input blocks, the fields of an input): the output's columns are
// its parts' side by side. What it removes: the parts nothing needs; a reader that wants fewer
// columns can take fewer of the kept parts (the driver's narrowing).

import { invariant } from "../../../../base/source/diagnostic.js";
import type { Value } from "../../../ir/graph.js";
import { makeFacts, widthOf, type Segment } from "../facts.js";
import type { UnitRule } from "../rule.js";

interface ConcatRole {
  parts: readonly Value[];
}

export const concat: UnitRule<ConcatRole> = {
  name: "concat of columns",
  match(node) {
    const out = node.outputs[0]!;
    return node.op === "Concat" && node.attrs.axis === 1 && node.inputs.every((v) => widthOf(v) !== undefined && v.shape[0] === out.shape[0]) ? { parts: node.inputs } : undefined;
  },
  facts(node, role, ctx) {
    let offset = 0;
    const segments: Segment[] = [];
    for (const p of role.parts) {
      const shift = offset;
      for (const s of ctx.facts(p).segments) segments.push({ cols: s.cols.map((c) => c + shift), rows: s.rows });
      offset += widthOf(p)!;
    }
    return makeFacts(widthOf(node.outputs[0]!)!, segments);
  },
  need(_node, role, outNeed, ctx) {
    let offset = 0;
    for (const p of role.parts) {
      const w = widthOf(p)!;
      ctx.want(p, outNeed.subarray(offset, offset + w));
      offset += w;
    }
  },
  rewrite(node, role, ctx) {
    ctx.noPending(role.parts);
    const out = node.outputs[0]!;
    const kept: { part: Value; cols: number[] }[] = [];
    let offset = 0;
    for (const p of role.parts) {
      const shift = offset;
      if (ctx.needed(p)) kept.push({ part: p, cols: ctx.present(p).map((c) => c + shift) });
      offset += widthOf(p)!;
    }
    invariant(kept.length > 0, `prune: Concat ${out.name} is needed but none of its parts is`);
    ctx.setPresent(out, kept.flatMap((p) => p.cols));
    ctx.setConcatParts(out, kept);
    if (kept.length === role.parts.length) return undefined;
    return kept.length === 1 ? [ctx.get(kept[0]!.part)] : [ctx.b.concat(kept.map((p) => ctx.get(p.part)), 1, out.name)];
  },
};
