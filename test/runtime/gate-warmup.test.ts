// The gate warm-up (compiler/sparse-step/settings.ts, docs/design.md "Gate warm-up"): gate
// parameters hold still for its epochs, which count neither for the best checkpoint nor for
// patience, and its default is half the epochs for a model with L0 gates.

import { describe, expect, it } from "vitest";
import { gateWarmupEpochs } from "../../compiler/sparse-step/settings.js";
import { loadTrainedModel } from "../../runtime/checkpoint.js";
import { initialState, train } from "../../runtime/train.js";
import { UserError } from "../../base/user-error.js";
import { compiled, smallData, smallSpec, tempDir } from "./helpers.js";

const quiet = { device: "cpu" as const, threads: 1, log: () => {} };

describe("gate warm-up", () => {
  it("defaults to half the epochs, rounded down, for a model with L0 gates, else 0", () => {
    expect(gateWarmupEpochs(smallSpec({ epochs: 10 }), true)).toBe(5);
    expect(gateWarmupEpochs(smallSpec({ epochs: 3 }), true)).toBe(1);
    expect(gateWarmupEpochs(smallSpec({ epochs: 1 }), true)).toBe(0);
    expect(gateWarmupEpochs(smallSpec({ epochs: 10 }), false)).toBe(0);
    expect(gateWarmupEpochs(smallSpec({ epochs: 10, gate_warmup: 0 }), true)).toBe(0);
  });

  it("holds every gate parameter at its initial value through the warm-up, while the rest learns; the gates move after it", async () => {
    const spec = smallSpec({ epochs: 4, gate_warmup: 2 });
    const model = compiled(spec);
    const data = await smallData(spec);
    const lines: string[] = [];
    const runDir = tempDir();
    const perEpoch = Math.ceil(data.train.rows / spec.train.batch);
    const stopped = await train(model, data, { ...quiet, runDir, stopAtStep: 2 * perEpoch, log: (l: string) => lines.push(l) });
    expect(stopped.status).toBe("stopped");
    const start = initialState(model.manifest, data.preprocessing, spec.train.seed);
    const atWarmupEnd = loadTrainedModel(runDir, "last").params;
    const gateParams = model.manifest.params.filter((p) => p.group === "gate").map((p) => p.name);
    expect(gateParams.length).toBeGreaterThan(0);
    for (const name of gateParams) expect([...atWarmupEnd.get(name)!], name).toEqual([...start.params.get(name)!]);
    const denseName = model.manifest.params.find((p) => p.group === "dense")!.name;
    expect([...atWarmupEnd.get(denseName)!]).not.toEqual([...start.params.get(denseName)!]);
    // The warm-up epochs are marked, and none of them is the best.
    expect(lines.filter((l) => l.startsWith("epoch ")).map((l) => l.includes("(gate warm-up)"))).toEqual([true, true]);
    expect(stopped.state.best).toBeNull();

    const done = await train(model, data, { ...quiet, runDir, resume: true });
    expect(done.state.best!.epoch).toBeGreaterThan(2);
    const end = loadTrainedModel(runDir, "last").params;
    expect(gateParams.some((name) => [...end.get(name)!].some((v, i) => v !== start.params.get(name)![i]))).toBe(true);
  });

  it("counts patience from the first epoch after the warm-up", async () => {
    // A learning rate of 0 never improves: the best is the first counted epoch, and patience 2 stops two epochs later.
    const zero = { kind: "sgd" as const, lr: 0, momentum: 0, nesterov: false, weight_decay: 0 };
    const spec = smallSpec({ epochs: 8, patience: 2, gate_warmup: 3, optimizer: zero, gate_optimizer: zero, embedding_optimizer: zero });
    const result = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: tempDir() });
    expect(result.status).toBe("early_stop");
    expect(result.history.length).toBe(6);
    expect(result.state.best!.epoch).toBe(4);
  });

  it("refuses a warm-up that leaves the gates no epoch", async () => {
    const spec = smallSpec({ epochs: 2, gate_warmup: 2 });
    await expect(train(compiled(spec), await smallData(spec), { ...quiet, runDir: tempDir() })).rejects.toThrow(UserError);
    await expect(train(compiled(spec), await smallData(spec), { ...quiet, runDir: tempDir() })).rejects.toThrow("gate_warmup (2) must be 0 or more and below the epochs (2)");
  });
});
