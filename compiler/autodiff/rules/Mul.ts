// y = a * b  =>  da = dy * b, db = dy * a
import type { GradRule } from "../rule.js";

/** Gradient of Mul. */
export const Mul: GradRule<"Mul"> = {
  keeps: { inputs: [0, 1] },
  grad: ({ b, dy, x }) => [() => b.mul(dy, x(1)), () => b.mul(dy, x(0))],
};
