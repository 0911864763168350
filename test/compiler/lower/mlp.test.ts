// The activations and the dense layer, run in onnxruntime against their formulas.

import { describe, expect, it } from "vitest";
import { Builder } from "../../../compiler/ir/graph.js";
import { BATCH } from "../../../compiler/ir/ops.js";
import { activate } from "../../../compiler/lower/mlp.js";
import { emitModel } from "../../../compiler/onnx/emit.js";
import { ACTIVATIONS, type Activation } from "../../../compiler/load/types.js";
import { erf } from "../ir/reference.js";
import { runModel } from "../onnx/ort.js";

const FORMULAS: Record<Activation, (x: number) => number> = {
  relu: (x) => Math.max(0, x),
  leaky_relu: (x) => (x >= 0 ? x : 0.01 * x),
  elu: (x) => (x >= 0 ? x : Math.exp(x) - 1),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  linear: (x) => x,
};

describe("activate", () => {
  it("computes every activation of the language as its formula says", async () => {
    const b = new Builder("activations");
    const x = b.input("x", "float32", [BATCH, 4]);
    for (const a of ACTIVATIONS) b.output(b.identity(activate(b, x, a, a), `out/${a}`));
    const xs = [-2, -0.5, 0.75, 3, -1e-3, 0, 1, -1];
    const result = await runModel(emitModel(b.finish()), { x: { dtype: "float32", shape: [2, 4], data: xs.map(Math.fround) } });
    for (const a of ACTIVATIONS) {
      (result[`out/${a}`]!.data as number[]).forEach((y, i) => expect(y, `${a}(${xs[i]})`).toBeCloseTo(FORMULAS[a](Math.fround(xs[i]!)), 6));
    }
    expect(FORMULAS.gelu(1)).toBeCloseTo(0.8413447460685429, 12);
  });
});
