// Merging gate samples: every one-dimensional HardConcreteSample call of a training forward becomes
// one call on the joined log α and noise, split back; each gate's z is the same, bit for bit.

import { describe, expect, it } from "vitest";
import type { Graph } from "../../../compiler/ir/graph.js";
import { HardConcreteSample } from "../../../compiler/ir/hard-concrete.js";
import { mergeGateSamples } from "../../../compiler/ir/merge-gate-samples.js";
import { Random } from "../../../base/random.js";
import { lowerSpec } from "../../../compiler/lower/lower-spec.js";
import { zooSpec } from "../lower/helpers.js";
import { evaluate, type RefTensor } from "./reference.js";

const samples = (g: Graph) => g.nodes.filter((n) => n.op === "Call" && n.attrs.function === HardConcreteSample.name).length;

/** Feeds for every input and param: noise in (0, 1), log α spread over closed, partial and open gates. */
function feedsOf(graph: Graph): Record<string, RefTensor> {
  const rng = Random.derive(3, graph.name);
  const feeds: Record<string, RefTensor> = {};
  for (const v of [...graph.inputs, ...graph.params.map((p) => p.value)]) {
    const shape = v.shape.map((d) => (typeof d === "string" ? 4 : d));
    const n = shape.reduce((a, d) => a * d, 1);
    const draw = v.name.startsWith("noise/") ? () => rng.uniformIn(0.01, 0.99) : v.name.endsWith("/log_alpha") ? () => rng.normal(0, 3) : () => rng.normal(0, 0.5);
    if (v.dtype === "int64") feeds[v.name] = { dtype: "int64", shape, data: Array.from({ length: n }, () => 0) };
    else feeds[v.name] = { dtype: "float32", shape, data: Array.from({ length: n }, () => Math.fround(draw())) };
  }
  return feeds;
}

describe("mergeGateSamples", () => {
  it.each(["mssm.mssm", "mssm-a.mssm", "snr-trans.mssm"])("%s: one sample call, and every gate's z, loss and prediction exactly as before", (file) => {
    const before = lowerSpec(zooSpec(file).spec, { mode: "train" });
    const after = mergeGateSamples(before);
    expect(samples(before)).toBeGreaterThan(1);
    expect(samples(after)).toBe(1);
    const feeds = feedsOf(before);
    const [a, b] = [evaluate(before, feeds), evaluate(after, feeds)];
    const zs = before.nodes.filter((n) => n.op === "Call" && n.attrs.function === HardConcreteSample.name).map((n) => n.outputs[0]!.name);
    for (const name of [...zs, ...before.outputs.map((o) => o.name)]) expect(b.get(name)!.data).toEqual(a.get(name)!.data);
  });

  it("leaves a graph with no two sample calls to merge (MMoE has none) as it is", () => {
    const g = lowerSpec(zooSpec("mmoe.mssm").spec, { mode: "train" });
    expect(mergeGateSamples(g)).toBe(g);
  });
});
