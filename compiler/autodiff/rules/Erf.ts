// y = erf x  =>  dx = dy * 2/sqrt(pi) * e^(-x^2)
import { scalar } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Erf. */
export const Erf: GradRule<"Erf"> = {
  keeps: { inputs: [0] },
  grad: ({ b, dy, x }) => [() => b.mul(b.mul(dy, scalar(b, 2 / Math.sqrt(Math.PI), dy)), b.exp(b.neg(b.mul(x(0), x(0)))))],
};
