// y = a / b  =>  da = dy / b, db = -dy a / b^2 = -da * y
import { once } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Div (reads the divisor and the quotient). */
export const Div: GradRule<"Div"> = {
  keeps: { inputs: [1], outputs: [0] },
  grad: ({ b, dy, x, y }) => {
    const da = once(() => b.div(dy, x(1)));
    return [da, () => b.neg(b.mul(da(), y(0)))];
  },
};
