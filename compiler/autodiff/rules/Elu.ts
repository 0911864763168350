// y = x >= 0 ? x : alpha (e^x - 1)  =>  dx = x > 0 ? dy : dy (y + alpha)   (alpha e^x = y + alpha)
import { scalar } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Elu (reads its input for the branch and its output for the slope). */
export const Elu: GradRule<"Elu"> = {
  keeps: { inputs: [0], outputs: [0] },
  grad: ({ b, dy, x, y, attrs }) => [() => b.where(b.greater(x(0), scalar(b, 0, dy)), dy, b.mul(dy, b.add(y(0), scalar(b, attrs.alpha, dy))))],
};
