// A closed block of a layer's input: in x W with x = Concat(sources, axis 1) of 2-d values and W
// known [in, out], a source whose rows of W are all 0 contributes nothing. It leaves the Concat
// and its rows leave W:
//   [x_1 ... x_n] W = Σ_i x_i W_i = Σ_{i kept} x_i W_i   when W_i = 0 for the others.

import type { CutRule } from "./rule.js";
import type { Value } from "../../ir/graph.js";

export const closedBlock: CutRule = {
  name: "closed block of a layer's input",
  rewrite(node, ctx) {
    const { b, inputs } = ctx;
    const w = inputs[1] && ctx.known(inputs[1]);
    const concat = node.op === "MatMul" ? ctx.producer(node.inputs[0]!) : undefined;
    if (!w || concat?.op !== "Concat" || w.shape.length !== 2 || concat.attrs.axis !== 1 || concat.inputs.some((s) => s.shape.length !== 2)) return undefined;
    const [rows, cols] = w.shape as [number, number];
    const kept: { source: Value; from: number; width: number }[] = [];
    let from = 0;
    for (const s of concat.inputs) {
      const width = s.shape[1] as number;
      const block = w.data.subarray(from * cols, (from + width) * cols);
      if (block.some((x) => x !== 0)) kept.push({ source: s, from, width });
      from += width;
    }
    if (from !== rows || kept.length === concat.inputs.length || kept.length === 0) return undefined;
    ctx.cut(concat.inputs.length - kept.length);
    const name = node.outputs[0]!.name;
    const x = kept.length === 1 ? ctx.get(kept[0]!.source) : b.concat(kept.map((k) => ctx.get(k.source)), 1, `${name}/kept_inputs`);
    const width = kept.reduce((a, k) => a + k.width, 0);
    const data = new Float32Array(width * cols);
    let at = 0;
    for (const k of kept) {
      data.set(w.data.subarray(k.from * cols, (k.from + k.width) * cols), at * cols);
      at += k.width;
    }
    ctx.values.set(`${name}/kept_weight`, data);
    return [b.matmul(x, b.param(`${name}/kept_weight`, [width, cols], { kind: "zeros" }, { group: "folded" }), name)];
  },
};
