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

const TASKS = `tasks {
  a  binary(label: ya)
  r  regression(label: yr, weight: 0.5)
  k  multiclass(4, label: yk)
}`;

const VARIANTS: Record<string, string> = {
  "categorical fields only, gated towers without hidden layers": `fields { c categorical(dim: 3), d categorical(dim: 2) }
${TASKS}
model m {
  groups shared
  level 1 { experts: 2 x mlp[4, 3] elu }
  towers { tower: mlp[], connect: cssm(granularity: weight) }
  regularize { l0: 0.1 }
}`,
  "one numeric field, no levels, field selection read by the towers": `fields { x numeric(dim: 3) }
${TASKS}
model m {
  groups a, r, k
  select fields per group
  towers { tower: mlp[2] gelu, connect: dense }
}`,
  "multi_hot with sum pooling, l0_average and softmax at the towers": `fields { t multi_hot(dim: 2, pooling: sum), x numeric(dim: 2), y numeric(dim: 1) }
${TASKS}
model m {
  groups a, shared
  level 1 { experts: mlp[3] leaky_relu, connect: softmax_gate }
  level 2 { experts { a: mlp[3] tanh, shared: 2 x mlp[3] sigmoid }, connect: l0_average }
  towers { tower: mlp[2] linear, connect: softmax_gate }
  regularize { l0: 0.01, l2: 0.01 }
}`,
  "cross-stitch and block gates at the towers": `fields { c categorical(dim: 2), x numeric(dim: 2) }
${TASKS}
model m {
  groups a, r, k
  level 1 { experts: mlp[3] relu }
  level 2 { experts: mlp[3] relu, connect: cross_stitch }
  towers { tower: mlp[2] relu, connect: cssm(granularity: block, sources: all) }
  regularize { l0: 0.01 }
}`,
};

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
