// y = e^x  =>  dx = dy * y
import type { GradRule } from "../rule.js";

/** Gradient of Exp (reads its output). */
export const Exp: GradRule<"Exp"> = {
  keeps: { outputs: [0] },
  grad: ({ b, dy, y }) => [() => b.mul(dy, y(0))],
};
