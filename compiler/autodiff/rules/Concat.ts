// y = concat(x_1, ..., x_n) along axis  =>  dx_i = the i-th piece of dy, cut by one Split
import { once } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Concat. */
export const Concat: GradRule<"Concat"> = {
  keeps: {},
  grad: ({ b, dy, inputs, attrs }) => {
    if (inputs.length === 1) return [() => dy];
    const pieces = once(() => b.split(dy, attrs.axis, inputs.map((t) => t.shape[attrs.axis]!)));
    return inputs.map((_t, i) => () => pieces()[i]);
  },
};
