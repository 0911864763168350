// y = a - b  =>  da = dy, db = -dy
import type { GradRule } from "../rule.js";

/** Gradient of Sub. */
export const Sub: GradRule<"Sub"> = {
  keeps: {},
  grad: ({ b, dy }) => [() => dy, () => b.neg(dy)],
};
