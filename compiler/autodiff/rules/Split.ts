// y_1, ..., y_n = split(x) along axis  =>  dx = concat(dy_1, ..., dy_n)  (zeros for unused pieces)
import type { GradRule } from "../rule.js";

/** Gradient of Split. */
export const Split: GradRule<"Split"> = {
  keeps: {},
  grad: ({ b, dys, attrs }) => [() => b.concat(dys, attrs.axis)],
};
