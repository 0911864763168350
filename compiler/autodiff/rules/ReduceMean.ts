// y = mean of x over axes (n elements)  =>  dx = (dy / n) spread back over the axes
// (n is counted at run time when an axis is symbolic, like the batch of a mean loss)
import { count, unreduce } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of ReduceMean. */
export const ReduceMean: GradRule<"ReduceMean"> = {
  keeps: {},
  grad: ({ b, dy, inputs, attrs }) => [() => unreduce(b, b.div(dy, count(b, inputs[0]!, attrs.axes)), inputs[0]!, attrs.axes, attrs.keepdims)],
};
