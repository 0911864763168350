// y = -x  =>  dx = -dy
import type { GradRule } from "../rule.js";

/** Gradient of Neg. */
export const Neg: GradRule<"Neg"> = {
  keeps: {},
  grad: ({ b, dy }) => [() => b.neg(dy)],
};
