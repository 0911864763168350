// y = ln x  =>  dx = dy / x
import type { GradRule } from "../rule.js";

/** Gradient of Log. */
export const Log: GradRule<"Log"> = {
  keeps: { inputs: [0] },
  grad: ({ b, dy, x }) => [() => b.div(dy, x(0))],
};
