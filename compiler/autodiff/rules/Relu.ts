// y = max(x, 0)  =>  dx = y > 0 ? dy : 0   (reads y, which the next layer keeps anyway)
import { scalar } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Relu (reads its output). */
export const Relu: GradRule<"Relu"> = {
  keeps: { outputs: [0] },
  grad: ({ b, dy, y }) => [() => b.where(b.greater(y(0), scalar(b, 0, dy)), dy, scalar(b, 0, dy))],
};
