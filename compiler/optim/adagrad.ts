// Adagrad (Duchi et al. 2011) with L2 weight decay λ added to the gradient, as PyTorch writes it:
//   g' = g + λ p
//   s' = s + g'²                        (s starts at initial_accumulator)
//   p' = p − lr · g' / (sqrt(s') + ε)

import { OPTIMIZER_DEFAULTS } from "../load/normalize.js";
import type { OptimizerRule } from "./optimizer.js";

/** Adagrad: the running sum of squared gradients. */
export const adagrad: OptimizerRule = {
  elementwise: true,
  state: (o) => [{ name: "adagrad_sum", init: o.initial_accumulator ?? OPTIMIZER_DEFAULTS.adagrad.initial_accumulator! }],
  begin: (b, o, { lr }) => {
    const s = { ...OPTIMIZER_DEFAULTS.adagrad, ...o };
    return (x, names) => {
      const c = (v: number) => b.constant(v, x.param.dtype);
      const g = s.weight_decay! === 0 ? x.grad : b.add(x.grad, b.mul(x.param, c(s.weight_decay!)));
      const sum = b.add(x.state[0]!, b.mul(g, g), names.state[0]);
      return { param: b.sub(x.param, b.div(b.mul(lr, g), b.add(b.sqrt(sum), c(s.eps!))), names.param), state: [sum] };
    };
  },
};
