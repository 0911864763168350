// y = min(max(x, lo), hi)  =>  dx = dy where lo <= x <= hi, else 0   (an absent bound clips nothing)
import { scalar } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Clip. */
export const Clip: GradRule<"Clip"> = {
  keeps: { inputs: [0] },
  grad: ({ b, dy, x, attrs }) => [
    () => {
      const zero = scalar(b, 0, dy);
      let dx = dy;
      if (attrs.max !== undefined) dx = b.where(b.greater(x(0), scalar(b, attrs.max, dy)), zero, dx);
      if (attrs.min !== undefined) dx = b.where(b.less(x(0), scalar(b, attrs.min, dy)), zero, dx);
      return dx;
    },
  ],
};
