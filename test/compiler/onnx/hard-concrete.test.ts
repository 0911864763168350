// The hard-concrete gate functions run in onnxruntime as ai.mssm local functions and match the
// formulas of docs/design.md ("The mathematics") computed here in plain TypeScript.

import { describe, expect, it } from "vitest";
import { HARD_CONCRETE_DEFAULTS } from "../../../compiler/ir/hard-concrete.js";
import { inlineCalls } from "../../../compiler/ir/inline.js";
import { Random } from "../../../base/random.js";
import { emitModel, toModelProto } from "../../../compiler/onnx/emit.js";
import { evaluate, type RefTensor } from "../ir/reference.js";
import { gateModel } from "./hard-concrete-model.js";
import { expectClose } from "./op-cases.js";
import { runModel } from "./ort.js";

const { beta, gamma, zeta } = HARD_CONCRETE_DEFAULTS;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const clip01 = (x: number) => Math.min(1, Math.max(0, x));

// training: s = σ((log u − log(1−u) + log α)/β), z = min(1, max(0, s(ζ−γ)+γ))
const sample = (logAlpha: number, u: number) => clip01(sigmoid((Math.log(u) - Math.log(1 - u) + logAlpha) / beta) * (zeta - gamma) + gamma);
// inference: z = min(1, max(0, σ(log α)(ζ−γ)+γ))
const gate = (logAlpha: number) => clip01(sigmoid(logAlpha) * (zeta - gamma) + gamma);
// expected L0 per gate: σ(log α − β log(−γ/ζ))
const l0 = (logAlpha: number) => sigmoid(logAlpha - beta * Math.log(-gamma / zeta));

const LOG_ALPHA = [-6, -2.41, -2.39, -0.5, 0, 0.3, 2.4, 6];
const BATCH = 3;

function feeds(dtype: "float32" | "float64"): Record<string, RefTensor> {
  const rng = Random.derive(3, "hard-concrete");
  const eps = 1e-6;
  const r = (v: number) => (dtype === "float32" ? Math.fround(v) : v);
  return {
    log_alpha: { dtype, shape: [8], data: LOG_ALPHA.map(r) },
    u: { dtype, shape: [BATCH, 8], data: Array.from({ length: BATCH * 8 }, () => r(rng.uniformIn(eps, 1 - eps))) },
  };
}

function expected(f: Record<string, RefTensor>): Record<string, RefTensor> {
  const la = f.log_alpha!.data as number[];
  const u = f.u!.data as number[];
  const dtype = f.u!.dtype;
  return {
    "cells/z_sample": { dtype, shape: [BATCH, 8], data: u.map((v, i) => sample(la[i % 8]!, v)) },
    "cells/z_gate": { dtype, shape: [8], data: la.map(gate) },
    "cells/l0_total": { dtype, shape: [], data: [la.reduce((a, v) => a + l0(v), 0)] },
  };
}

describe("hard-concrete gates in onnxruntime", () => {
  for (const [dtype, tolerance] of [["float64", 1e-12], ["float32", 2e-6]] as const) {
    it(`match the formulas in ${dtype}`, async () => {
      const f = feeds(dtype);
      const actual = await runModel(emitModel(gateModel(dtype)), f);
      const want = expected(f);
      for (const name of Object.keys(want)) expectClose(actual[name]!, want[name]!, tolerance);
    });
  }

  it("close exactly at log α < -ln 11 ≈ -2.398 and open fully at large log α", async () => {
    const actual = await runModel(emitModel(gateModel("float64")), feeds("float64"));
    const z = actual["cells/z_gate"]!.data as number[];
    expect(z[0]).toBe(0);
    expect(z[1]).toBe(0); // -2.41
    expect(z[2]).toBeGreaterThan(0); // -2.39
    expect(z[7]).toBe(1);
  });

  it("give the same numbers inlined as called", async () => {
    const f = feeds("float64");
    const called = await runModel(emitModel(gateModel("float64")), f);
    const inlined = inlineCalls(gateModel("float64"));
    expect(inlined.functions).toEqual([]);
    expect(inlined.nodes.some((n) => n.op === "Call")).toBe(false);
    const fromInlined = await runModel(emitModel(inlined), f);
    const reference = evaluate(inlined, f);
    for (const name of Object.keys(called)) {
      expectClose(fromInlined[name]!, called[name]!, 1e-15);
      expectClose(reference.get(name)!, called[name]!, 1e-12);
    }
  });

  it("are emitted as FunctionProtos in the domain ai.mssm with their own opset import", () => {
    const model = toModelProto(gateModel("float32"), { opset: 21 });
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 21], ["ai.mssm", 1]]);
    expect(model.functions.map((f) => [f.domain, f.name, f.input.join(","), f.output.join(",")])).toEqual([
      ["ai.mssm", "HardConcreteSample", "log_alpha,u,beta,gamma,zeta", "z"],
      ["ai.mssm", "HardConcreteGate", "log_alpha,gamma,zeta", "z"],
      ["ai.mssm", "HardConcreteL0", "log_alpha,beta,gamma,zeta", "l0"],
    ]);
    for (const fn of model.functions) expect(fn.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 21]]);
    const calls = model.graph!.node.filter((n) => n.domain === "ai.mssm").map((n) => [n.opType, n.docString]);
    expect(calls).toEqual([
      ["HardConcreteSample", "test.mssm:3"],
      ["HardConcreteGate", "test.mssm:3"],
      ["HardConcreteL0", "test.mssm:3"],
    ]);
    const sampleBody = model.functions[0]!.node.map((n) => n.opType).join(" ");
    expect(sampleBody).toBe("Constant Log Sub Log Sub Add Div Sigmoid Sub Mul Add Constant Clip");
  });
});
