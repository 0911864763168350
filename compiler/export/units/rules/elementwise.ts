// f(x) applied to each element (an activation): column c of the output is f of column c of x.
// What it removes: the columns of x nothing needs. Facts follow through f where it is computed
// here (not Erf, whose constants are left unknown).

import type { Node, Value } from "../../../ir/graph.js";
import type { OpAttributes, OpKind } from "../../../ir/ops.js";
import type { PrimitiveOpKind } from "../../../ir/shapes.js";
import { mapFacts, widthOf } from "../facts.js";
import type { UnitRule } from "../rule.js";

type Fn = (v: number) => number;

/** The elementwise ops that keep each column in place: f from the node's attributes, or null when f is not computed here. */
const FUNCTIONS: { [K in OpKind]?: (attrs: OpAttributes[K]) => Fn | null } = {
  Relu: () => (v) => (v > 0 ? v : 0),
  LeakyRelu: ({ alpha }) => (v) => (v >= 0 ? v : alpha * v),
  Elu: ({ alpha }) => (v) => (v >= 0 ? v : alpha * (Math.exp(v) - 1)),
  Tanh: () => Math.tanh,
  Sigmoid: () => (v) => 1 / (1 + Math.exp(-v)),
  Identity: () => (v) => v,
  Neg: () => (v) => -v,
  Abs: () => Math.abs,
  Exp: () => Math.exp,
  Clip: ({ min, max }) => {
    const lo = min ?? -Infinity;
    const hi = max ?? Infinity;
    return (v) => Math.min(hi, Math.max(lo, v));
  },
  Erf: () => null,
};

interface ElementwiseRole {
  x: Value;
  f: Fn | null;
}

export const elementwise: UnitRule<ElementwiseRole> = {
  name: "elementwise function",
  match(node: Node) {
    const make = FUNCTIONS[node.op] as ((attrs: unknown) => Fn | null) | undefined;
    const out = node.outputs[0]!;
    const x = node.inputs[0];
    if (!make || node.inputs.length !== 1 || widthOf(x!) !== widthOf(out) || x!.shape[0] !== out.shape[0]) return undefined;
    return { x: x!, f: make(node.attrs) };
  },
  facts(node, { x, f }, ctx) {
    return f ? mapFacts(widthOf(node.outputs[0]!)!, ctx.facts(x), (_c, v) => f(v)) : undefined;
  },
  need: (_node, role, outNeed, ctx) => ctx.want(role.x, outNeed),
  rewrite(node, role, ctx) {
    ctx.noPending([role.x]);
    const out = node.outputs[0]!;
    const outNeed = ctx.need(out);
    const { value: x, cols } = ctx.narrow(role.x, ctx.present(role.x).filter((c) => outNeed[c] === 1), false);
    ctx.setPresent(out, cols);
    return x === ctx.get(role.x) ? undefined : ctx.b.node(node.op as PrimitiveOpKind, [x], node.attrs as never, [out.name]);
  },
};
