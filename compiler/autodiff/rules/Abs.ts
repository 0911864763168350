// y = |x|  =>  dx = x < 0 ? -dy : dy   (the subgradient at 0 is taken as +1)
import type { GradRule } from "../rule.js";
import { scalar } from "../helpers.js";

/** Gradient of Abs. */
export const Abs: GradRule<"Abs"> = {
  keeps: { inputs: [0] },
  grad: ({ b, dy, x }) => [() => b.where(b.less(x(0), scalar(b, 0, dy)), b.neg(dy), dy)],
};
