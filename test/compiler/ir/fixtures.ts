// Small graphs shared by the IR and ONNX tests.

import { Builder, type Graph } from "../../../compiler/ir/graph.js";
import { HARD_CONCRETE_DEFAULTS, HardConcreteGate } from "../../../compiler/ir/hard-concrete.js";
import { BATCH } from "../../../compiler/ir/ops.js";

/** A two-layer tower whose first layer's cells are gated, as the spec lowering might build it. */
export function towerGraph(): Graph {
  const b = new Builder("income_tower", "test fixture");
  const x = b.input("x", "float32", [BATCH, 16]);
  b.scope("income/tower", () => {
    const h = b.scope("dense0", () => {
      b.at("mssm.mssm:12");
      const w = b.param("weight", [16, 32], { kind: "glorot_uniform" });
      const bias = b.param("bias", [32], { kind: "zeros" });
      const logAlpha = b.param("log_alpha", [32], { kind: "normal", mean: 0, std: 0.01 }, { group: "gate" });
      const gamma = b.constant(HARD_CONCRETE_DEFAULTS.gamma, "float32");
      const zeta = b.constant(HARD_CONCRETE_DEFAULTS.zeta, "float32");
      const [z] = b.call(HardConcreteGate, [logAlpha, gamma, zeta], ["gate"]);
      const out = b.matmul(x, w, "out");
      return b.relu(b.mul(b.add(out, bias, "pre"), z!, "gated"));
    });
    b.at("mssm.mssm:13", () => {
      const w = b.param("dense1/weight", [32, 1], { kind: "glorot_uniform" });
      const logit = b.squeeze(b.matmul(h, w, "dense1/out"), [-1], "logit");
      b.output(b.sigmoid(logit, "score"));
    });
  });
  return b.finish();
}
