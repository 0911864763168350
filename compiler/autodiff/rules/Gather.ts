// y = data[indices] along axis  =>  d data = ScatterAdd(zeros of data's shape, indices, dy): every
// position's gradient is added to the row it read, so repeated indices add up. ScatterAdd works
// on axis 0; another axis is moved to the front and back. No gradient for the int64 indices.
import { zeros } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Gradient of Gather. */
export const Gather: GradRule<"Gather"> = {
  keeps: { inputs: [1] },
  grad: ({ b, dy, x, inputs, attrs: { axis } }) => [
    () => {
      const data = inputs[0]!;
      if (axis === 0) return b.scatterAdd(zeros(b, data), x(1), dy);
      const r = inputs[1]!.shape.length;
      const range = (from: number, to: number) => Array.from({ length: to - from }, (_v, i) => from + i);
      // dy is data[:axis] + indices + data[axis+1:]; move the index axes to the front.
      const front = b.transpose(dy, [...range(axis, axis + r), ...range(0, axis), ...range(axis + r, dy.shape.length)]);
      const rows = zeros(b, { dtype: data.dtype, shape: [data.shape[axis]!, ...data.shape.filter((_d, i) => i !== axis)] });
      const scattered = b.scatterAdd(rows, x(1), front);
      return b.transpose(scattered, [...range(1, axis + 1), 0, ...range(axis + 1, data.shape.length)]);
    },
    undefined,
  ],
};
