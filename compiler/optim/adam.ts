// Adam (Kingma & Ba 2015), written as PyTorch does, for the gradient g at step t (1-based):
//   m' = β1 m + (1 − β1) g
//   v' = β2 v + (1 − β2) g²
//   p' = p − lr / (1 − β1^t) · m' / (sqrt(v') / sqrt(1 − β2^t) + ε)
// t is a run-time input, so β^t = exp(t · ln β).

import type { Builder, Value } from "../ir/graph.js";
import { OPTIMIZER_DEFAULTS } from "../load/normalize.js";
import type { Optimizer } from "../load/types.js";
import type { OptimizerRule, StepScalars, UpdateInputs, UpdateNames } from "./optimizer.js";

/** Adam's settings with the defaults filled. */
export function adamSettings(o: Optimizer): { beta1: number; beta2: number; eps: number } {
  const s = { ...OPTIMIZER_DEFAULTS.adam, ...o };
  return { beta1: s.beta1!, beta2: s.beta2!, eps: s.eps! };
}

/** The shared scalars: lr / (1 − β1^t) and sqrt(1 − β2^t). */
export function adamScalars(b: Builder, o: Optimizer, { lr, step }: StepScalars): { stepSize: Value; root: Value } {
  const { beta1, beta2 } = adamSettings(o);
  const c = (v: number) => b.constant(v, step.dtype);
  const correction = (beta: number) => b.sub(c(1), b.exp(b.mul(step, c(Math.log(beta)))));
  return { stepSize: b.div(lr, correction(beta1), "step_size"), root: b.sqrt(correction(beta2), "v_correction") };
}

/** The moments m', v' and the step direction m' / (sqrt(v') / sqrt(1 − β2^t) + ε). */
export function adamDirection(b: Builder, o: Optimizer, root: Value, x: UpdateInputs, names: UpdateNames): { m: Value; v: Value; direction: Value } {
  const { beta1, beta2, eps } = adamSettings(o);
  const c = (v: number) => b.constant(v, x.param.dtype);
  const [m0, v0] = x.state as [Value, Value];
  const m = b.add(b.mul(m0, c(beta1)), b.mul(x.grad, c(1 - beta1)), names.state[0]);
  const v = b.add(b.mul(v0, c(beta2)), b.mul(b.mul(x.grad, x.grad), c(1 - beta2)), names.state[1]);
  return { m, v, direction: b.div(m, b.add(b.div(b.sqrt(v), root), c(eps))) };
}

/** Adam: first and second moment state, bias-corrected with the global step. */
export const adam: OptimizerRule = {
  elementwise: true,
  state: () => [
    { name: "adam_m", init: 0 },
    { name: "adam_v", init: 0 },
  ],
  begin: (b, o, scalars) => {
    const { stepSize, root } = adamScalars(b, o, scalars);
    return (x, names) => {
      const { m, v, direction } = adamDirection(b, o, root, x, names);
      return { param: b.sub(x.param, b.mul(stepSize, direction), names.param), state: [m, v] };
    };
  },
};
