// a op b of two [batch, n] values (a gate's weighting, a residual): column c of the output reads
// column c of both. What it removes: the columns of a and b nothing needs; each side is narrowed
// to exactly the columns the other keeps.

import type { Value } from "../../../ir/graph.js";
import { BINARY, constantAt, isBinary, makeFacts, widthOf, type Binary, type Segment } from "../facts.js";
import type { UnitRule } from "../rule.js";

interface ZipRole {
  op: Binary;
  a: Value;
  b: Value;
}

export const zip: UnitRule<ZipRole> = {
  name: "elementwise of two values",
  match(node, known) {
    if (!isBinary(node.op)) return undefined;
    const out = node.outputs[0]!;
    const [a, b] = node.inputs as [Value, Value];
    const sameShape = (v: Value) => widthOf(v) === widthOf(out) && v.shape[0] === out.shape[0];
    return !known(a) && !known(b) && sameShape(a) && sameShape(b) ? { op: node.op, a, b } : undefined;
  },
  facts(node, role, ctx) {
    const n = widthOf(node.outputs[0]!)!;
    const [a, b] = [ctx.facts(role.a), ctx.facts(role.b)];
    const segments: Segment[] = [];
    for (let c = 0; c < n; c++) {
      const [ca, cb] = [constantAt(a, c), constantAt(b, c)];
      if (ca !== undefined && cb !== undefined) segments.push({ cols: [c], rows: [[Math.fround(BINARY[role.op](ca, cb))]] });
      else if (role.op === "Mul" && (ca === 0 || cb === 0)) segments.push({ cols: [c], rows: [[0]] });
    }
    return makeFacts(n, segments);
  },
  need(_node, role, outNeed, ctx) {
    ctx.want(role.a, outNeed);
    ctx.want(role.b, outNeed);
  },
  rewrite(node, role, ctx) {
    ctx.noPending([role.a, role.b]);
    const out = node.outputs[0]!;
    const inB = new Set(ctx.present(role.b));
    const cols = ctx.present(role.a).filter((c) => inB.has(c));
    ctx.setPresent(out, cols);
    const a = ctx.narrow(role.a, cols, true).value;
    const b = ctx.narrow(role.b, cols, true).value;
    return ctx.b.node(role.op, [a, b], {}, [out.name]);
  },
};
