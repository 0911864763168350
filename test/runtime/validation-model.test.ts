// The eval graph training validates with (compiler validationModel): where several groups'
// field-selected copies feed one layer, it folds their masks into the weight, so it computes
// fewer multiply-adds than eval.onnx and must predict what eval.onnx predicts. Checked on a model
// with field gates whose fields are closed in some groups and open in others, and cell gates at
// random values, against eval.onnx in onnxruntime (1e-5); a model with nothing to fold has none.

import { describe, expect, it } from "vitest";
import { logAlphaParam, selectionGateGroup, validationModel } from "../../compiler/index.js";
import { summarizeGraph } from "../../compiler/lower/summary.js";
import { lowerSpec } from "../../compiler/lower/lower-spec.js";
import { predictDataset } from "../../runtime/evaluate.js";
import { openSession } from "../../runtime/session.js";
import { initialState } from "../../runtime/train.js";
import { Random } from "../../base/random.js";
import { compiled, smallData, smallSpec } from "./helpers.js";
import { twoLevelSpec } from "./sparse-helpers.js";

describe("the validation model", () => {
  it("predicts what eval.onnx predicts, with fewer multiply-adds, whatever fields the groups keep", async () => {
    const spec = twoLevelSpec({}, false, true);
    const model = compiled(spec);
    const bytes = validationModel(spec);
    expect(bytes).toBeDefined();
    const folded = summarizeGraph(lowerSpec(spec, { mode: "eval", foldFieldCopies: true })).macsPerExample;
    expect(folded).toBeLessThan(summarizeGraph(lowerSpec(spec, { mode: "eval" })).macsPerExample);
    const data = await smallData(spec);
    const state = initialState(model.manifest, data.preprocessing, spec.train.seed);
    // Field c closed in group y only, field x in shared only; every cell gate somewhere in (-3, 3).
    const random = Random.fromSeed(11);
    for (const g of model.manifest.gate_groups) {
      const logAlpha = state.params.get(logAlphaParam(g.name))!;
      for (let i = 0; i < logAlpha.length; i++) logAlpha[i] = random.uniform() * 6 - 3;
    }
    const fields = (group: string) => state.params.get(logAlphaParam(selectionGateGroup(group)))!;
    fields("y").set([-10, 3]);
    fields("shared").set([3, -10]);
    const weights = { params: state.params, tables: state.store };
    const [evalSession, validation] = await Promise.all([openSession(model.eval, { device: "cpu", threads: 1 }), openSession(bytes!, { device: "cpu", threads: 1 })]);
    const want = await predictDataset(evalSession, model.manifest, weights, data.valid!);
    const got = await predictDataset(validation, model.manifest, weights, data.valid!);
    for (const t of spec.tasks) {
      const a = want[t.name]!;
      const b = got[t.name]!;
      expect(b.length).toBe(a.length);
      for (let i = 0; i < a.length; i++) expect(Math.abs(b[i]! - a[i]!), `${t.name} row ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(a[i]!)));
    }
  });

  it("is none for a model without field-selected copies", () => {
    expect(validationModel(smallSpec())).toBeUndefined();
  });
});
