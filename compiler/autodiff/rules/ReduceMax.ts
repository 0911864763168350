// y = max of x over axes  =>  dx = dy at the positions holding the max, shared equally among ties:
// mask = (x == y), dx = mask * dy / sum(mask over axes)
import type { GradRule } from "../rule.js";

/** Gradient of ReduceMax. */
export const ReduceMax: GradRule<"ReduceMax"> = {
  keeps: { inputs: [0], outputs: [0] },
  grad: ({ b, dy, x, y, attrs }) => [
    () => {
      const kept = (v: typeof dy) => (attrs.keepdims ? v : b.unsqueeze(v, attrs.axes));
      const mask = b.cast(b.equal(x(0), kept(y(0))), dy.dtype);
      return b.div(b.mul(mask, kept(dy)), b.reduceSum(mask, attrs.axes, true));
    },
  ],
};
