// y = sum of x over axes  =>  dx = dy spread back over the axes
import { unreduce } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of ReduceSum. */
export const ReduceSum: GradRule<"ReduceSum"> = {
  keeps: {},
  grad: ({ b, dy, inputs, attrs }) => [() => unreduce(b, dy, inputs[0]!, attrs.axes, attrs.keepdims)],
};
