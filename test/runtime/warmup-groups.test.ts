// The warm-up experiment of compiler/sparse-step/settings.ts (GATE_WARMUP_HOLDS): holding the
// field gates only, the cell gates training from the first step.

import { afterEach, describe, expect, it } from "vitest";
import { logAlphaParam, selectionGateGroup } from "../../compiler/artifact.js";
import { GATE_WARMUP_HOLDS } from "../../compiler/sparse-step/settings.js";
import { loadTrainedModel } from "../../runtime/checkpoint.js";
import { initialState, train } from "../../runtime/train.js";
import { compiled, smallData, tempDir } from "./helpers.js";
import { twoLevelSpec } from "./sparse-helpers.js";

const quiet = { device: "cpu" as const, threads: 1, log: () => {} };

describe("a gate warm-up holding the field gates only", () => {
  afterEach(() => GATE_WARMUP_HOLDS.fieldsOnly.clear());

  it("keeps the field gates' log α through the warm-up, bit for bit, while the cell gates train", async () => {
    const spec = twoLevelSpec({ epochs: 4, gate_warmup: 2 }, false, true);
    const model = compiled(spec);
    const data = await smallData(spec);
    const perEpoch = Math.ceil(data.train.rows / spec.train.batch);
    const start = initialState(model.manifest, data.preprocessing, spec.train.seed);
    const fields = new Set(spec.groups.map((g) => logAlphaParam(selectionGateGroup(g))));
    const cells = model.manifest.gate_groups.map((g) => logAlphaParam(g.name)).filter((p) => !fields.has(p));
    expect(fields.size).toBe(2);
    expect(cells.length).toBeGreaterThan(0);
    const moved = (params: ReadonlyMap<string, Float32Array>, name: string) => params.get(name)!.some((v, i) => v !== start.params.get(name)![i]);
    for (const holds of ["all", "fields"] as const) {
      if (holds === "fields") GATE_WARMUP_HOLDS.fieldsOnly.add(spec.model);
      const runDir = tempDir();
      await train(model, data, { ...quiet, runDir, stopAtStep: 2 * perEpoch });
      const atWarmupEnd = loadTrainedModel(runDir, "last").params;
      for (const name of fields) expect(moved(atWarmupEnd, name), `${holds}: ${name}`).toBe(false);
      expect(cells.some((name) => moved(atWarmupEnd, name)), holds).toBe(holds === "fields");
      // After the warm-up the field gates train.
      await train(model, data, { ...quiet, runDir, resume: true });
      const end = loadTrainedModel(runDir, "last").params;
      expect([...fields].some((name) => moved(end, name)), holds).toBe(true);
    }
  });
});
