// y = x broadcast to a shape  =>  dx = dy summed over the broadcast axes (which the driver does)
import type { GradRule } from "../rule.js";

/** Gradient of Expand. */
export const Expand: GradRule<"Expand"> = {
  keeps: {},
  grad: ({ dy }) => [() => dy],
};
