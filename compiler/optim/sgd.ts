// SGD with momentum μ, Nesterov momentum and L2 weight decay λ (added to the gradient), as
// PyTorch writes it (no dampening):
//   g' = g + λ p
//   b' = μ b + g'                       (the momentum buffer; none when μ = 0)
//   d  = nesterov ? g' + μ b' : b'      (d = g' when μ = 0)
//   p' = p − lr · d

import { OPTIMIZER_DEFAULTS } from "../load/normalize.js";
import type { Optimizer } from "../load/types.js";
import type { OptimizerRule } from "./optimizer.js";

function settings(o: Optimizer): { momentum: number; nesterov: boolean; decay: number } {
  const s = { ...OPTIMIZER_DEFAULTS.sgd, ...o };
  return { momentum: s.momentum!, nesterov: s.nesterov!, decay: s.weight_decay! };
}

/** SGD: a momentum buffer when μ > 0, else no state. */
export const sgd: OptimizerRule = {
  elementwise: true,
  state: (o) => (settings(o).momentum === 0 ? [] : [{ name: "momentum", init: 0 }]),
  begin: (b, o, { lr }) => {
    const { momentum, nesterov, decay } = settings(o);
    return (x, names) => {
      const c = (v: number) => b.constant(v, x.param.dtype);
      const g = decay === 0 ? x.grad : b.add(x.grad, b.mul(x.param, c(decay)));
      if (momentum === 0) return { param: b.sub(x.param, b.mul(lr, g), names.param), state: [] };
      const buffer = b.add(b.mul(x.state[0]!, c(momentum)), g, names.state[0]);
      const d = nesterov ? b.add(g, b.mul(buffer, c(momentum))) : buffer;
      return { param: b.sub(x.param, b.mul(lr, d), names.param), state: [buffer] };
    };
  },
};
