// y = 1 / (1 + e^-x)  =>  dx = dy * y * (1 - y)
import { scalar } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Sigmoid (reads its output). */
export const Sigmoid: GradRule<"Sigmoid"> = {
  keeps: { outputs: [0] },
  grad: ({ b, dy, y }) => [() => b.mul(b.mul(dy, y(0)), b.sub(scalar(b, 1, dy), y(0)))],
};
