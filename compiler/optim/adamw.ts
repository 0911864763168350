// AdamW (Loshchilov & Hutter 2019): Adam with the weight decay λ decoupled from the gradient,
// as PyTorch writes it:
//   p' = p · (1 − lr · λ) − lr / (1 − β1^t) · m' / (sqrt(v') / sqrt(1 − β2^t) + ε)
// with m', v' as in Adam (adam.ts).

import { OPTIMIZER_DEFAULTS } from "../load/normalize.js";
import { adamDirection, adamScalars } from "./adam.js";
import type { OptimizerRule } from "./optimizer.js";

/** AdamW: Adam's state, decoupled weight decay. */
export const adamw: OptimizerRule = {
  elementwise: true,
  state: () => [
    { name: "adam_m", init: 0 },
    { name: "adam_v", init: 0 },
  ],
  begin: (b, o, scalars) => {
    const decay = o.weight_decay ?? OPTIMIZER_DEFAULTS.adamw.weight_decay!;
    const { stepSize, root } = adamScalars(b, o, scalars);
    const keep = b.sub(b.constant(1, scalars.lr.dtype), b.mul(scalars.lr, b.constant(decay, scalars.lr.dtype)), "decay_factor");
    return (x, names) => {
      const { m, v, direction } = adamDirection(b, o, root, x, names);
      return { param: b.sub(b.mul(x.param, keep), b.mul(stepSize, direction), names.param), state: [m, v] };
    };
  },
};
