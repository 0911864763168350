// The regularizers of the joint loss (docs/design.md, "The mathematics"):
//   L0 = Σ over every gate of P(z ≠ 0) = σ(log α − β log(−γ/ζ))   (HardConcreteL0, summed)
//   L2 = Σ ||W||² over dense weight matrices only (expert, tower and softmax-gate weights; not
//        biases, gates, FSCM vectors, numeric vectors, cross-stitch α or embeddings)
//   L0F = the part of L0 over the field gates (forms l0, l0_tanh)
//   loss = Σ_k w_k L_k + λ0 (L0 − L0F) + λF L0F + λ2 L2, computed as λ0 L0 + (λF − λ0) L0F + λ2 L2

import { L0_OUTPUT, LOSS_OUTPUT } from "../artifact.js";
import type { Value } from "../ir/graph.js";
import { HardConcreteL0 } from "../ir/hard-concrete.js";
import type { LowerContext } from "./context.js";
import { gateGroupOf } from "./gates.js";
import { FIELD_GATES_SOURCE } from "./names.js";

/** Σ of scalars, the last node named `name` (0 when there are none). */
function sum(ctx: LowerContext, terms: readonly Value[], name: string): Value {
  const { b } = ctx;
  if (terms.length === 0) return b.identity(b.constant(0, "float32"), name);
  if (terms.length === 1) return b.identity(terms[0]!, name);
  let total = terms[0]!;
  terms.slice(1).forEach((t, i) => (total = b.add(total, t, i === terms.length - 2 ? name : `${name}/partial${i}`)));
  return total;
}

/** Every element's axes, for a full reduction. */
const allAxes = (v: Value) => v.shape.map((_d, i) => i);

/** The expected number of non-zero gates, unweighted (the output L0_OUTPUT). */
export function l0Term(ctx: LowerContext): Value {
  const { b, spec } = ctx;
  const beta = ctx.l0Inputs.length ? b.constant(spec.gates.beta, "float32") : undefined;
  // One-dimensional gates all at once: one L0 call on every log α joined, in the order they were
  // made (the training forward samples the same Concat, compiler/ir/merge-gate-samples.ts).
  if (ctx.logAlphas.length >= 2 && ctx.logAlphas.every((p) => p.shape.length === 1)) {
    const all = b.concat(ctx.logAlphas, 0, "gates/all/log_alpha");
    const [p] = b.call(HardConcreteL0, [all, beta!, b.constant(spec.gates.gamma, "float32"), b.constant(spec.gates.zeta, "float32")], ["gates/all/l0"]);
    return b.reduceSum(p!, [0], false, L0_OUTPUT);
  }
  const terms = ctx.l0Inputs.map((logAlpha) => {
    const group = gateGroupOf(logAlpha);
    const [p] = b.call(HardConcreteL0, [logAlpha, beta!, b.constant(spec.gates.gamma, "float32"), b.constant(spec.gates.zeta, "float32")], [`${group}/l0`]);
    return logAlpha.shape.length === 0 ? p! : b.reduceSum(p!, allAxes(p!), false, `${group}/l0_sum`);
  });
  return sum(ctx, terms, L0_OUTPUT);
}

/** `l2`: Σ ||W||² over the dense weight matrices built. */
export function l2Term(ctx: LowerContext): Value {
  const { b } = ctx;
  const terms = ctx.weights.map((w) => b.reduceSum(b.mul(w, w, `l2/${w.name}/squares`), allAxes(w), false, `l2/${w.name}`));
  return sum(ctx, terms, "l2");
}

/** L0F: the expected number of open field gates (0 terms when the model has none). */
function fieldL0(ctx: LowerContext): Value | undefined {
  const { b, spec } = ctx;
  const fields = ctx.logAlphas.filter((p) => gateGroupOf(p).endsWith(`/gates/${FIELD_GATES_SOURCE}`));
  if (fields.length === 0) return undefined;
  const all = fields.length === 1 ? fields[0]! : b.concat(fields, 0, "gates/fields/log_alpha");
  const constant = (v: number) => b.constant(v, "float32");
  const [p] = b.call(HardConcreteL0, [all, constant(spec.gates.beta), constant(spec.gates.gamma), constant(spec.gates.zeta)], ["gates/fields/l0"]);
  return b.reduceSum(p!, [0], false, "gates/fields/l0_sum");
}

/** The minimized loss (LOSS_OUTPUT) = Σ_k w_k L_k + λ0 (L0 − L0F) + λF L0F + λ2 L2; terms with a zero weight are left out, unit weights not multiplied. */
export function jointLoss(ctx: LowerContext, taskLosses: readonly { weight: number; loss: Value }[], l0: Value | undefined, l2: Value | undefined): Value {
  const { b, spec } = ctx;
  const weighted = (v: Value, w: number, name: string) => (w === 1 ? v : b.mul(v, b.constant(w, "float32"), name));
  const terms: Value[] = [];
  for (const t of taskLosses) if (t.weight !== 0) terms.push(weighted(t.loss, t.weight, `${t.loss.name}/weighted`));
  // λ0 has a non-zero default: a model without L0 gates has no L0 term to weigh.
  if (l0 && ctx.l0Inputs.length > 0 && spec.regularize.l0 !== 0) terms.push(weighted(l0, spec.regularize.l0, `${l0.name}/weighted`));
  const fields = l0 && spec.regularize.l0_fields !== spec.regularize.l0 ? fieldL0(ctx) : undefined;
  if (fields) terms.push(weighted(fields, spec.regularize.l0_fields - spec.regularize.l0, `${fields.name}/weighted`));
  if (l2 && spec.regularize.l2 !== 0) terms.push(weighted(l2, spec.regularize.l2, `${l2.name}/weighted`));
  return sum(ctx, terms, LOSS_OUTPUT);
}
