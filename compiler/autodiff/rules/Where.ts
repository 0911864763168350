// y = cond ? a : b  =>  da = cond ? dy : 0, db = cond ? 0 : dy; none for cond
import { scalar } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Where. */
export const Where: GradRule<"Where"> = {
  keeps: { inputs: [0] },
  grad: ({ b, dy, x }) => [undefined, () => b.where(x(0), dy, scalar(b, 0, dy)), () => b.where(x(0), scalar(b, 0, dy), dy)],
};
