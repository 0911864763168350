// y = x >= 0 ? x : alpha x  =>  dx = x > 0 ? dy : alpha dy
import { scalar } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of LeakyRelu. */
export const LeakyRelu: GradRule<"LeakyRelu"> = {
  keeps: { inputs: [0] },
  grad: ({ b, dy, x, attrs }) => [() => b.where(b.greater(x(0), scalar(b, 0, dy)), dy, b.mul(dy, scalar(b, attrs.alpha, dy)))],
};
