// y = reshape(x)  =>  dx = reshape(dy, x's shape)
import type { GradRule } from "../rule.js";

/** Gradient of Reshape. */
export const Reshape: GradRule<"Reshape"> = {
  keeps: {},
  grad: ({ b, dy, inputs }) => [() => b.reshape(dy, inputs[0]!.shape)],
};
