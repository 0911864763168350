// y = unsqueeze(x, axes)  =>  dx = squeeze(dy, axes)
import type { GradRule } from "../rule.js";

/** Gradient of Unsqueeze. */
export const Unsqueeze: GradRule<"Unsqueeze"> = {
  keeps: {},
  grad: ({ b, dy, attrs }) => [() => b.squeeze(dy, attrs.axes)],
};
