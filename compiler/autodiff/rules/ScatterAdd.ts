// y = data, then y[indices[p]] += updates[p]  =>  d data = dy, d updates = dy[indices] (a Gather)
import type { GradRule } from "../rule.js";

/** Gradient of ScatterAdd. */
export const ScatterAdd: GradRule<"ScatterAdd"> = {
  keeps: { inputs: [1] },
  grad: ({ b, dy, x }) => [() => dy, undefined, () => b.gather(dy, x(1), 0)],
};
