// y = min(a, b)  =>  da = dy where a < b, db = dy where b < a; a tie gives each half
import { once, scalar } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of the element-wise Min of two tensors. */
export const Min: GradRule<"Min"> = {
  keeps: { inputs: [0, 1] },
  grad: ({ b, dy, x }) => {
    const tie = once(() => b.where(b.equal(x(0), x(1)), b.mul(dy, scalar(b, 0.5, dy)), scalar(b, 0, dy)));
    return [() => b.where(b.less(x(0), x(1)), dy, tie()), () => b.where(b.less(x(1), x(0)), dy, tie())];
  },
};
