// y = x - log(sum(e^x)) along axis  =>  dx = dy - e^y * sum(dy, axis)
import type { GradRule } from "../rule.js";

/** Gradient of LogSoftmax (reads its output). */
export const LogSoftmax: GradRule<"LogSoftmax"> = {
  keeps: { outputs: [0] },
  grad: ({ b, dy, y, attrs }) => [() => b.sub(dy, b.mul(b.exp(y(0)), b.reduceSum(dy, [attrs.axis], true)))],
};
