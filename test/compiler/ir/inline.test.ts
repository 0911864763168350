// Inlining replaces Call nodes by their bodies, renamed under the call, keeping outputs' names.

import { describe, expect, it } from "vitest";
import { Builder } from "../../../compiler/ir/graph.js";
import { HardConcreteGate, HardConcreteL0 } from "../../../compiler/ir/hard-concrete.js";
import { inlineCalls } from "../../../compiler/ir/inline.js";
import { graphText } from "../../../compiler/ir/text.js";
import { towerGraph } from "./fixtures.js";

describe("inlineCalls", () => {
  it("puts the body's nodes under the call's output name, with the call's doc", () => {
    const text = graphText(inlineCalls(towerGraph()));
    const gateLines = text.split("\n").filter((l) => l.includes("dense0/gate"));
    expect(gateLines).toEqual([
      "  %income/tower/dense0/gate/s: float32[32] = Sigmoid(%income/tower/dense0/log_alpha)  # mssm.mssm:12",
      "  %income/tower/dense0/gate/width: float32[] = Sub(%const/float32/1.1, %const/float32/-0.1)  # mssm.mssm:12",
      "  %income/tower/dense0/gate/mul: float32[32] = Mul(%income/tower/dense0/gate/s, %income/tower/dense0/gate/width)  # mssm.mssm:12",
      "  %income/tower/dense0/gate/stretched: float32[32] = Add(%income/tower/dense0/gate/mul, %const/float32/-0.1)  # mssm.mssm:12",
      "  %income/tower/dense0/gate: float32[32] = Clip<max=1, min=0>(%income/tower/dense0/gate/stretched)  # mssm.mssm:12",
      "  %income/tower/dense0/gated: float32[batch,32] = Mul(%income/tower/dense0/pre, %income/tower/dense0/gate)  # mssm.mssm:12",
      "  %income/tower/dense0/relu: float32[batch,32] = Relu(%income/tower/dense0/gated)  # mssm.mssm:12",
    ]);
    expect(text).not.toContain("function ");
  });

  it("inlines only the named functions when asked", () => {
    const b = new Builder("g");
    const la = b.input("log_alpha", "float32", [4]);
    const [gamma, zeta, beta] = [b.constant(-0.1, "float32"), b.constant(1.1, "float32"), b.constant(0.5, "float32")];
    b.output(b.call(HardConcreteGate, [la, gamma, zeta], ["z"])[0]!);
    b.output(b.call(HardConcreteL0, [la, beta, gamma, zeta], ["l0"])[0]!);
    const g = inlineCalls(b.finish(), new Set(["HardConcreteL0"]));
    expect(g.functions.map((f) => f.name)).toEqual(["HardConcreteGate"]);
    expect(g.nodes.map((n) => n.op)).toEqual(["Call", "Neg", "Div", "Log", "Mul", "Sub", "Sigmoid"]);
    expect(g.outputs.map((v) => v.name)).toEqual(["z", "l0"]);
  });
});
