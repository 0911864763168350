// y = a + b  =>  da = dy, db = dy   (the driver sums over broadcast axes)
import type { GradRule } from "../rule.js";

/** Gradient of Add. */
export const Add: GradRule<"Add"> = {
  keeps: {},
  grad: ({ dy }) => [() => dy, () => dy],
};
