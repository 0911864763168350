// x op k (or k op x) with k known, one number or one per column (a bias, a scale): column c of the
// output depends on column c of x alone. What it removes: the columns of x nothing needs, with
// their entries of k; a bias right after a narrowed matmul also takes in what the matmul's
// absorbed constant inputs contributed (matmul.ts).

import { invariant } from "../../../../base/source/diagnostic.js";
import type { Value } from "../../../ir/graph.js";
import type { Known } from "../../known.js";
import { BINARY, isBinary, mapFacts, range, widthOf, type Binary, type Segment } from "../facts.js";
import type { Matched, UnitRule } from "../rule.js";

interface AffineRole {
  op: Binary;
  x: Value;
  k: Known;
  /** The known operand as a value. */
  operand: Value;
  /** The position of x: k op x when 0. */
  at: 0 | 1;
}

export const affine: UnitRule<AffineRole> = {
  name: "elementwise with a known operand",
  match(node, known) {
    if (!isBinary(node.op)) return undefined;
    const out = node.outputs[0]!;
    const n = widthOf(out)!;
    const [a, b] = node.inputs as [Value, Value];
    const [ka, kb] = [known(a), known(b)];
    const k = ka ?? kb;
    if ((ka && kb) || !k) return undefined;
    const x = ka ? b : a;
    const perColumn = k.data.length === n && (k.shape.length === 1 || (k.shape.length === 2 && k.shape[0] === 1));
    const sameShape = widthOf(x) === n && x.shape[0] === out.shape[0];
    return sameShape && (k.data.length === 1 || perColumn) ? { op: node.op, x, k, operand: ka ? a : b, at: ka ? 0 : 1 } : undefined;
  },
  facts(node, { k, at, op, x: input }, ctx) {
    const n = widthOf(node.outputs[0]!)!;
    const kAt = (c: number) => k.data[k.data.length === 1 ? 0 : c]!;
    const x = ctx.facts(input);
    // x · 0 = 0 whatever x is.
    const zeros = op === "Mul" ? range(n).filter((c) => x.seg[c]! < 0 && kAt(c) === 0).map((c): Segment => ({ cols: [c], rows: [[0]] })) : [];
    return mapFacts(n, x, (c, v) => (at === 0 ? BINARY[op](kAt(c), v) : BINARY[op](v, kAt(c))), zeros);
  },
  need: (_node, role, outNeed, ctx) => ctx.want(role.x, outNeed),
  rewrite(node, role, ctx) {
    const out = node.outputs[0]!;
    const outNeed = ctx.need(out);
    const delta = ctx.pending(role.x);
    invariant(!delta || role.op === "Add", `prune: the bias contribution of ${role.x.name} reached a ${role.op}`);
    const { value: x, cols } = ctx.narrow(role.x, ctx.present(role.x).filter((c) => outNeed[c] === 1), false);
    ctx.setPresent(out, cols);
    if (cols.length === widthOf(role.x) && !delta) return undefined;
    const { k } = role;
    let operand = ctx.get(role.operand);
    if (k.data.length > 1 || delta) {
      // One number per column kept; after a matmul, plus the contributions of the constants it no longer reads.
      const data = Float32Array.from(cols, (c, j) => Math.fround(k.data[k.data.length === 1 ? 0 : c]! + (delta ? delta[j]! : 0)));
      operand = ctx.replaceKnown(role.operand, data, k.shape.length === 2 ? [1, cols.length] : [cols.length], `${out.name}/operand`);
    }
    return ctx.b.node(role.op, role.at === 0 ? [operand, x] : [x, operand], {}, [out.name]);
  },
};

/** True when the matched node adds a known operand to `v` (a bias right after it). */
export function addsKnownTo(m: Matched, v: Value): boolean {
  const role = m.role as AffineRole;
  return m.rule === affine && role.op === "Add" && role.x === v;
}
