// Corners the zoo does not reach, each lowered in both modes, run in onnxruntime and compared with
// the reference evaluator: no numeric field, a single field, multi_hot with sum pooling, gated
// towers, mixing at the towers, a single source, field selection without levels, every
// activation, weight-level gates.

import { describe, expect, it } from "vitest";
import { lowerSpec } from "../../../compiler/lower/lower-spec.js";
import { emitModel } from "../../../compiler/onnx/emit.js";
import { evaluate } from "../ir/reference.js";
import { expectClose } from "../onnx/op-cases.js";
import { runModel } from "../onnx/ort.js";
import { paramFeeds, randomFeeds, specFromText } from "./helpers.js";
import { VARIANTS } from "./specs.js";


describe.each(Object.entries(VARIANTS))("%s", (_name, text) => {
  const { spec } = specFromText(text);

  it.each(["train", "eval"] as const)("runs in %s mode in onnxruntime as the reference computes", async (mode) => {
    const g = lowerSpec(spec, { mode });
    const feeds = randomFeeds(g, spec);
    const actual = await runModel(emitModel(g, { seed: 2 }), feeds);
    const expected = evaluate(g, { ...feeds, ...paramFeeds(g, 2) });
    expect(Object.keys(actual).sort()).toEqual(g.outputs.map((v) => v.name).sort());
    for (const out of g.outputs) {
      for (const v of actual[out.name]!.data as number[]) expect(Number.isFinite(v)).toBe(true);
      expectClose(actual[out.name]!, expected.get(out.name)!, 1e-5);
    }
    expect(actual["pred/k"]!.shape).toEqual([4, 4]);
  });
});
