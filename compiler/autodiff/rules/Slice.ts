// y = x[start:end:step] on each listed axis  =>  dx holds dy at the sliced positions, 0 elsewhere.
// Per axis (size d, m taken): append one slab of zeros to dy along the axis and gather d entries:
// position p reads dy's entry (p - start) / step when p is a sliced position, else the zero slab.
import { zeros } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Slice. */
export const Slice: GradRule<"Slice"> = {
  keeps: {},
  grad: ({ b, dy, inputs, attrs }) => [
    () => {
      let dx = dy;
      attrs.axes.forEach((axis, i) => {
        const [start, end, step] = [attrs.starts[i]!, attrs.ends[i]!, attrs.steps[i]!];
        const d = inputs[0]!.shape[axis] as number;
        const m = dx.shape[axis] as number;
        if (m === d) return; // the whole axis was taken
        const slab = zeros(b, { dtype: dx.dtype, shape: dx.shape.map((s, k) => (k === axis ? 1 : s)) });
        const index = Array.from({ length: d }, (_v, p) => (p >= start && p < end && (p - start) % step === 0 ? (p - start) / step : m));
        const positions = b.constant(index, "int64", [d], `slice_grad/${start}:${end}:${step}/${d}`);
        dx = b.gather(b.concat([dx, slab], axis), positions, axis);
      });
      return dx;
    },
  ],
};
