// Y = A B (numpy matmul)  =>  dA = dY B^T, dB = A^T dY over the last two axes.
// A rank-1 operand is promoted first ([k] -> [1,k] for A, [k,1] for B), dY gets the promoted axis
// back, and the gradient loses it again. The driver sums the batch axes that were broadcast.
import type { Builder, Value } from "../../ir/graph.js";
import { once } from "../helpers.js";
import type { GradRule } from "../rule.js";

/** Swaps the last two axes. */
function transposeLast(b: Builder, v: Value): Value {
  const r = v.shape.length;
  return b.transpose(v, [...Array.from({ length: r - 2 }, (_v, i) => i), r - 1, r - 2]);
}

/** Gradient of MatMul. */
export const MatMul: GradRule<"MatMul"> = {
  keeps: { inputs: [0, 1] },
  grad: ({ b, dy, x, inputs }) => {
    const vectorA = inputs[0]!.shape.length === 1;
    const vectorB = inputs[1]!.shape.length === 1;
    const g = once(() => {
      let d = dy;
      if (vectorB) d = b.unsqueeze(d, [-1]);
      if (vectorA) d = b.unsqueeze(d, [-2]);
      return d;
    });
    return [
      () => {
        const w = vectorB ? b.unsqueeze(x(1), [1]) : x(1);
        const da = b.matmul(g(), transposeLast(b, w));
        return vectorA ? b.squeeze(da, [-2]) : da;
      },
      () => {
        const a = vectorA ? b.unsqueeze(x(0), [0]) : x(0);
        const db = b.matmul(transposeLast(b, a), g());
        return vectorB ? b.squeeze(db, [-1]) : db;
      },
    ];
  },
};
