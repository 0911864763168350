// y = x^e (constant e)  =>  dx = dy * e * x^(e-1)   (none for e = 0; x itself for e = 2)
import { scalar } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Pow with a constant exponent. */
export const Pow: GradRule<"Pow"> = {
  keeps: { inputs: [0] },
  grad: ({ b, dy, x, attrs: { exponent: e } }) => [
    () => {
      if (e === 0) return undefined;
      if (e === 1) return dy;
      const power = e === 2 ? x(0) : b.pow(x(0), e - 1);
      return b.mul(dy, b.mul(power, scalar(b, e, dy)));
    },
  ],
};
