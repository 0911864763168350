// Every zoo spec lowers in both modes to a valid graph that emits, loads in onnxruntime and runs:
// eval gives finite predictions in range, equal to the TypeScript reference evaluator; train
// gives the interface's outputs and a finite loss, equal to the reference too.

import { describe, expect, it } from "vitest";
import { verifyGraph } from "../../../compiler/ir/verify.js";
import { lowerSpec } from "../../../compiler/lower/lower-spec.js";
import { summarizeGraph } from "../../../compiler/lower/summary.js";
import { emitModel } from "../../../compiler/onnx/emit.js";
import { evaluate } from "../ir/reference.js";
import { expectClose } from "../onnx/op-cases.js";
import { runModel } from "../onnx/ort.js";
import { paramFeeds, randomFeeds, ZOO, zooSpec } from "./helpers.js";

/**
 * Params, L0 gates and nodes (train / eval) of each zoo model: a change here is a change of the
 * model. `trainMacs`, when the training graph computes less than evaluation: MSSM's and MSSM-b's
 * level 1 reads its groups' field-selected copies folded into its weights
 * (compiler/lower/connections/folded-copies.ts).
 */
const SIZES: Record<string, { params: number; dense: number; gate: number; gates: number; gateGroups: number; macs: number; trainMacs?: number; trainNodes: number; evalNodes: number }> = {
  "cgc.mssm": { params: 32638, dense: 32638, gate: 0, gates: 0, gateGroups: 0, macs: 32256, trainNodes: 155, evalNodes: 87 },
  "cross-stitch.mssm": { params: 36282, dense: 36282, gate: 0, gates: 0, gateGroups: 0, macs: 35872, trainNodes: 105, evalNodes: 58 },
  "mmoe.mssm": { params: 73218, dense: 73218, gate: 0, gates: 0, gateGroups: 0, macs: 72352, trainNodes: 201, evalNodes: 112 },
  "mssm-a.mssm": { params: 34034, dense: 33650, gate: 384, gates: 384, gateGroups: 9, macs: 33312, trainNodes: 126, evalNodes: 70 },
  "mssm-b.mssm": { params: 73625, dense: 73586, gate: 39, gates: 39, gateGroups: 3, macs: 73248, trainMacs: 33312, trainNodes: 137, evalNodes: 63 },
  "mssm.mssm": { params: 74393, dense: 73586, gate: 807, gates: 807, gateGroups: 18, macs: 73248, trainMacs: 33312, trainNodes: 167, evalNodes: 88 },
  "ple.mssm": { params: 40183, dense: 40183, gate: 0, gates: 0, gateGroups: 0, macs: 39592, trainNodes: 238, evalNodes: 143 },
  "shared-bottom.mssm": { params: 36242, dense: 36242, gate: 0, gates: 0, gateGroups: 0, macs: 35872, trainNodes: 81, evalNodes: 40 },
  "single-task.mssm": { params: 35697, dense: 35697, gate: 0, gates: 0, gateGroups: 0, macs: 35344, trainNodes: 57, evalNodes: 33 },
  "snr-aver.mssm": { params: 25464, dense: 25458, gate: 6, gates: 6, gateGroups: 6, macs: 25120, trainNodes: 121, evalNodes: 65 },
  "snr-trans.mssm": { params: 33656, dense: 33650, gate: 6, gates: 6, gateGroups: 6, macs: 33312, trainNodes: 117, evalNodes: 61 },
};

describe.each(ZOO)("the zoo spec %s", (file) => {
  const { spec, locate } = zooSpec(file);
  const seed = spec.train.seed;

  it("lowers in both modes to verified graphs of the expected size", () => {
    const train = lowerSpec(spec, { mode: "train", locate });
    const evalGraph = lowerSpec(spec, { mode: "eval", locate });
    expect(verifyGraph(train)).toEqual([]);
    expect(verifyGraph(evalGraph)).toEqual([]);
    const s = summarizeGraph(evalGraph);
    const want = SIZES[file]!;
    const got = { params: s.params, dense: s.paramsByGroup["dense"] ?? 0, gate: s.paramsByGroup["gate"] ?? 0, gates: s.gates, gateGroups: s.gateGroups, macs: s.macsPerExample, trainNodes: train.nodes.length, evalNodes: s.nodes };
    const trainMacs = summarizeGraph(train).macsPerExample;
    expect(trainMacs === s.macsPerExample ? got : { ...got, trainMacs }).toEqual(want);
    // The same params in both modes; train adds only the labels and one noise input per gate group.
    expect(train.params.map((p) => p.value.name)).toEqual(evalGraph.params.map((p) => p.value.name));
    expect(train.inputs.length - evalGraph.inputs.length).toBe(spec.tasks.length + want.gateGroups);
    expect(train.outputs.map((v) => v.name)).toEqual(["loss", ...spec.tasks.map((t) => `loss/${t.name}`), "l0", ...spec.tasks.map((t) => `pred/${t.name}`)]);
    expect(evalGraph.outputs.map((v) => v.name)).toEqual(spec.tasks.map((t) => `pred/${t.name}`));
    // Every node says where in the spec it came from.
    expect(train.nodes.filter((n) => !/^(mssm|mssm-a|mssm-b|snr-aver|snr-trans|mmoe|cgc|ple|cross-stitch|shared-bottom|single-task|adult)\.mssm:\d+$/.test(n.doc)).map((n) => n.outputs[0]!.name)).toEqual([]);
  });

  it("runs in onnxruntime in eval mode: finite probabilities equal to the reference", async () => {
    const g = lowerSpec(spec, { mode: "eval", locate });
    const feeds = randomFeeds(g, spec);
    const actual = await runModel(emitModel(g, { seed }), feeds);
    const expected = evaluate(g, { ...feeds, ...paramFeeds(g, seed) });
    for (const t of spec.tasks) {
      const pred = actual[`pred/${t.name}`]!;
      expect(pred.shape).toEqual([4]);
      for (const p of pred.data as number[]) {
        expect(p).toBeGreaterThan(0);
        expect(p).toBeLessThan(1);
      }
      expectClose(pred, expected.get(`pred/${t.name}`)!, 1e-5);
    }
  });

  it("runs in onnxruntime in train mode: a finite loss equal to the reference", async () => {
    const g = lowerSpec(spec, { mode: "train", locate });
    const feeds = randomFeeds(g, spec);
    const actual = await runModel(emitModel(g, { seed }), feeds);
    const expected = evaluate(g, { ...feeds, ...paramFeeds(g, seed) });
    expect(Object.keys(actual).sort()).toEqual(g.outputs.map((v) => v.name).sort());
    for (const out of g.outputs) {
      for (const v of actual[out.name]!.data as number[]) expect(Number.isFinite(v)).toBe(true);
      expectClose(actual[out.name]!, expected.get(out.name)!, 1e-5);
    }
    expect(actual["loss"]!.data[0]).toBeGreaterThan(0);
  });
});
