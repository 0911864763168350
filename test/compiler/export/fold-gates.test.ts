// Folding the deterministic L0 gates: z = min(1, max(0, σ(log α)(ζ − γ) + γ)) of the trained log α,
// for one param and for a pack of params, as the eval graph's HardConcreteGate computes it.

import { describe, expect, it } from "vitest";
import { foldGate, gateFolder, isGateCall } from "../../../compiler/export/fold-gates.js";
import { Builder, type Value } from "../../../compiler/ir/graph.js";
import { HardConcreteGate } from "../../../compiler/ir/hard-concrete.js";
import { evaluate, refTensor } from "../ir/reference.js";

const GAMMA = -0.1;
const ZETA = 1.1;

describe("foldGate", () => {
  it("stretches σ(log α) to (γ, ζ) and clips to [0, 1]", () => {
    // σ(0) = 0.5 -> 0.5 · 1.2 − 0.1 = 0.5; σ(−5) ≈ 0.0067 -> −0.092 -> 0; σ(5) ≈ 0.9933 -> 1.092 -> 1;
    // σ(ln 3) = 0.75 -> 0.8.
    const z = foldGate(Float32Array.from([0, -5, 5, Math.log(3)]), GAMMA, ZETA);
    expect(z[0]).toBeCloseTo(0.5, 6);
    expect(z[1]).toBe(0);
    expect(z[2]).toBe(1);
    expect(z[3]).toBeCloseTo(0.8, 6);
  });

  it("folds a gate Call whose log α is one param or a pack of params, as the graph computes it", () => {
    const b = new Builder("gates");
    const gamma = b.constant(GAMMA, "float32");
    const zeta = b.constant(ZETA, "float32");
    const one = b.param("one/log_alpha", [3], { kind: "zeros" }, { group: "gate" });
    const a = b.param("a/log_alpha", [2], { kind: "zeros" }, { group: "gate" });
    const c = b.param("c/log_alpha", [1], { kind: "zeros" }, { group: "gate" });
    const pack = b.concat([a, c], 0, "pack/log_alpha");
    b.output(b.call(HardConcreteGate, [one, gamma, zeta], ["z_one"])[0]!);
    b.output(b.call(HardConcreteGate, [pack, gamma, zeta], ["z_pack"])[0]!);
    const graph = b.finish();
    const trained = new Map<string, Float32Array>([
      ["one/log_alpha", Float32Array.from([0, -5, 2])],
      ["a/log_alpha", Float32Array.from([5, -0.3])],
      ["c/log_alpha", Float32Array.from([1])],
    ]);
    const fold = gateFolder(graph, (v: Value) => trained.get(v.name)!);
    const calls = graph.nodes.filter(isGateCall);
    expect(calls).toHaveLength(2);
    const feeds = Object.fromEntries([...trained].map(([name, data]) => [name, refTensor("float32", [data.length], data)]));
    const reference = evaluate(graph, feeds);
    calls.forEach((call) => {
      const z = fold(call);
      const expected = reference.get(call.outputs[0]!.name)!.data as number[];
      expect(z).toHaveLength(expected.length);
      z.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    });
    expect(Array.from(fold(calls[0]!).slice(0, 2))).toEqual([foldGate(Float32Array.from([0]), GAMMA, ZETA)[0], 0]);
  });
});
