// y = transpose(x, perm)  =>  dx = transpose(dy, perm^-1)
import type { GradRule } from "../rule.js";

/** Gradient of Transpose. */
export const Transpose: GradRule<"Transpose"> = {
  keeps: {},
  grad: ({ b, dy, attrs }) => {
    const inverse: number[] = [];
    attrs.perm.forEach((p, i) => (inverse[p] = i));
    return [() => b.transpose(dy, inverse)];
  },
};
