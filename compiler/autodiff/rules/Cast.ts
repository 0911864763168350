// y = cast(x)  =>  dx = cast(dy) back, between float types only (no gradient to or from ints and bools)
import { isFloat } from "../../ir/ops.js";
import type { GradRule } from "../rule.js";

/** Gradient of Cast. */
export const Cast: GradRule<"Cast"> = {
  keeps: {},
  grad: ({ b, dy, inputs }) => [isFloat(inputs[0]!.dtype) && isFloat(dy.dtype) ? () => b.cast(dy, inputs[0]!.dtype) : undefined],
};
