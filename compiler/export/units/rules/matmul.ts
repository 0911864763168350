// x W with W known [n, m] (a layer's folded weight): output column k mixes the input columns r with
// W[r, k] ≠ 0. What it removes: the output units nothing needs (W's columns), and the input
// columns its needed outputs do not read. An input column that is a constant c_r is not read
// either when its contribution c_r W[r, :] is 0 or can go into the bias added right after:
//   x W + b = x' W' + (b + Σ_r c_r W[r, :])   with x' = x without the constant columns r.
// A unit k the same for every example (its column of W is 0 in every block) is act(b_k), which
// the next layer's matmul absorbs this way.

import type { Value } from "../../../ir/graph.js";
import type { Known } from "../../known.js";
import { constantAt, matmulFacts, range, widthOf } from "../facts.js";
import type { UnitRule } from "../rule.js";
import { addsKnownTo } from "./affine.js";

/** What a matmul reads of its input: columns `read`; `absorbed` columns are constants whose contribution goes into the bias (or is 0). */
interface MatMulPlan {
  read: Uint8Array;
  absorbed: Uint8Array;
}

interface MatMulRole {
  x: Value;
  w: Known;
  weight: Value;
  /** Set by the need pass, read by the rewrite. */
  plan?: MatMulPlan;
}

/** The indices where a mask is 1. */
const ones = (mask: Uint8Array) => range(mask.length).filter((i) => mask[i] === 1);

export const matmul: UnitRule<MatMulRole> = {
  name: "matmul by a known weight",
  match(node, known) {
    if (node.op !== "MatMul") return undefined;
    const out = node.outputs[0]!;
    const [x, weight] = node.inputs as [Value, Value];
    const w = known(weight);
    return w && w.shape.length === 2 && widthOf(x) === w.shape[0] && x.shape[0] === out.shape[0] ? { x, w, weight } : undefined;
  },
  facts: (_node, role, ctx) => matmulFacts(ctx.facts(role.x), role.w),
  need(node, role, outNeed, ctx) {
    const [n, m] = role.w.shape as [number, number];
    const x = ctx.facts(role.x);
    // The output goes only into `+ b` with b known: a constant input's contribution can join b.
    const out = node.outputs[0]!;
    const readers = ctx.readers(out);
    const reader = readers.length === 1 ? ctx.matched(readers[0]!) : undefined;
    const bias = !ctx.isOutput(out) && reader !== undefined && addsKnownTo(reader, out);
    const read = new Uint8Array(n);
    const absorbed = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      let touches = false;
      for (let k = 0; k < m && !touches; k++) touches = outNeed[k] === 1 && role.w.data[r * m + k] !== 0;
      if (!touches) continue;
      const c = constantAt(x, r);
      if (c !== undefined && (c === 0 || bias)) absorbed[r] = 1;
      else read[r] = 1;
    }
    // A layer whose needed inputs are all constant (or unread) still needs an input for the batch
    // size: it keeps column 0, whose weights are 0 or absorbed.
    if (!read.includes(1)) read[0] = 1;
    role.plan = { read, absorbed };
    ctx.want(role.x, read);
  },
  rewrite(node, role, ctx) {
    ctx.noPending([role.x]);
    const out = node.outputs[0]!;
    const plan = role.plan!;
    const w = role.w.data;
    const [n, m] = role.w.shape as [number, number];
    const { value: x, cols } = ctx.narrow(role.x, ctx.present(role.x).filter((r) => plan.read[r] === 1), false);
    const keep = ones(ctx.need(out));
    const data = new Float32Array(cols.length * keep.length);
    let changed = cols.length !== n || keep.length !== m;
    cols.forEach((r, i) =>
      keep.forEach((k, j) => {
        const wv = w[r * m + k]!;
        if (plan.absorbed[r] === 1) changed ||= wv !== 0;
        else data[i * keep.length + j] = wv;
      }),
    );
    // Σ over absorbed constant inputs c_r W[r, k]: what the bias that follows takes in.
    const x0 = ctx.facts(role.x);
    const delta = new Float64Array(keep.length);
    for (let r = 0; r < n; r++) {
      if (plan.absorbed[r] !== 1) continue;
      const c = constantAt(x0, r)!;
      keep.forEach((k, j) => (delta[j]! += c * w[r * m + k]!));
    }
    ctx.setPresent(out, keep);
    if (delta.some((d) => d !== 0)) ctx.setPending(out, delta);
    if (ctx.isParam(role.weight)) ctx.removedUnits(m - keep.length);
    if (!changed) return x === ctx.get(role.x) ? undefined : [ctx.b.matmul(x, ctx.get(role.weight), out.name)];
    return [ctx.b.matmul(x, ctx.replaceKnown(role.weight, data, [cols.length, keep.length], `${out.name}/weight`), out.name)];
  },
};
