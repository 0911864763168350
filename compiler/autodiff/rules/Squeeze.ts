// y = squeeze(x, axes)  =>  dx = unsqueeze(dy, axes)
import type { GradRule } from "../rule.js";

/** Gradient of Squeeze. */
export const Squeeze: GradRule<"Squeeze"> = {
  keeps: {},
  grad: ({ b, dy, attrs }) => [() => b.unsqueeze(dy, attrs.axes)],
};
