// y = x  =>  dx = dy
import type { GradRule } from "../rule.js";

/** Gradient of Identity. */
export const Identity: GradRule<"Identity"> = {
  keeps: {},
  grad: ({ dy }) => [() => dy],
};
