// y = softmax(x) along axis  =>  dx = y * (dy - sum(dy * y, axis))
import type { GradRule } from "../rule.js";

/** Gradient of Softmax (reads its output). */
export const Softmax: GradRule<"Softmax"> = {
  keeps: { outputs: [0] },
  grad: ({ b, dy, y, attrs }) => [() => b.mul(y(0), b.sub(dy, b.reduceSum(b.mul(dy, y(0)), [attrs.axis], true)))],
};
