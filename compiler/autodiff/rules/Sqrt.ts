// y = sqrt(x)  =>  dx = dy * 0.5 / y
import { scalar } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Sqrt (reads its output). */
export const Sqrt: GradRule<"Sqrt"> = {
  keeps: { outputs: [0] },
  grad: ({ b, dy, y }) => [() => b.div(b.mul(dy, scalar(b, 0.5, dy)), y(0))],
};
