// y = tanh x  =>  dx = dy * (1 - y^2)
import { scalar } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Tanh (reads its output). */
export const Tanh: GradRule<"Tanh"> = {
  keeps: { outputs: [0] },
  grad: ({ b, dy, y }) => [() => b.mul(dy, b.sub(scalar(b, 1, dy), b.mul(y(0), y(0))))],
};
