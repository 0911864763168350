// A small graph that applies all three hard-concrete functions, shared by the gate tests and the checker test.

import { Builder, type Graph } from "../../../compiler/ir/graph.js";
import { gateConstantValues, HARD_CONCRETE_DEFAULTS, HardConcreteGate, HardConcreteL0, HardConcreteSample } from "../../../compiler/ir/hard-concrete.js";
import { BATCH } from "../../../compiler/ir/ops.js";

/** Gates over 8 cells: a per-example training sample, the inference gate and the summed expected L0. */
export function gateModel(dtype: "float32" | "float64", cells = 8): Graph {
  const b = new Builder("gates");
  b.at("test.mssm:3");
  const logAlpha = b.input("log_alpha", dtype, [cells]);
  const u = b.input("u", dtype, [BATCH, cells]);
  const c = gateConstantValues(b, dtype, HARD_CONCRETE_DEFAULTS);
  b.scope("cells", () => {
    b.output(b.call(HardConcreteSample, [logAlpha, u, c.beta, c.gamma, c.zeta], ["z_sample"])[0]!);
    b.output(b.call(HardConcreteGate, [logAlpha, c.gamma, c.zeta], ["z_gate"])[0]!);
    const [l0] = b.call(HardConcreteL0, [logAlpha, c.beta, c.gamma, c.zeta], ["l0"]);
    b.output(b.reduceSum(l0!, [0], false, "l0_total"));
  });
  return b.finish();
}
