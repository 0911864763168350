import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { logAlphaParam } from "../../compiler/artifact.js";
import { openProbability } from "../../compiler/sparse-step/settings.js";
import { checkpointPath, decodeCheckpoint, encodeCheckpoint, loadTrainedModel, readCheckpoint, writeCheckpoint } from "../../runtime/checkpoint.js";
import { freezeClosedGates, frozenCount, warmupHeld } from "../../runtime/freeze.js";
import { gateNoise, NOISE_EPS } from "../../runtime/step.js";
import { initialState, train } from "../../runtime/train.js";
import { diagnose, model } from "../compiler/check/helpers.js";
import { compiled, smallData, smallSpec, tempDir } from "./helpers.js";

const quiet = { device: "cpu" as const, threads: 1, log: () => {} };
const GATES = { beta: 2 / 3, gamma: -0.1, zeta: 1.1 };

describe("freezing closed gates", () => {
  it("computes P(z > 0) = σ(log α − β log(−γ/ζ)) and freezes strictly below ε", async () => {
    // β log(−γ/ζ) = (2/3) ln(1/11) = −1.598596848532247: there P(z > 0) is exactly 1/2.
    const boundary = -1.598596848532247;
    expect(openProbability(boundary, GATES)).toBeCloseTo(0.5, 12);
    expect(openProbability(-5, GATES)).toBeCloseTo(0.032251641519187815, 12); // σ(−3.401403151467753)
    const spec = smallSpec();
    const { manifest } = compiled(spec);
    const state = initialState(manifest, (await smallData(spec)).preprocessing, 1);
    const group = manifest.gate_groups[0]!;
    const logAlpha = state.params.get(logAlphaParam(group.name))!;
    logAlpha.fill(0);
    logAlpha[0] = Math.fround(boundary - 1e-4); // P just below 1/2: frozen
    logAlpha[1] = Math.fround(boundary + 1e-4); // P just above: kept
    logAlpha[2] = -5; // P 0.032
    expect(freezeClosedGates(manifest, state, 0.5)).toBe(2);
    expect([...state.frozen.get(group.name)!.slice(0, 4)]).toEqual([1, 0, 1, 0]);
    // Evaluation's gate clip(σ(log α)·1.2 − 0.1, 0, 1) is 0 only for log α ≤ logit(1/12) ≈ −2.398:
    // the gate frozen at −1.5987 was open there and is closed (−10); −5 was closed already and keeps its value.
    expect([logAlpha[0], logAlpha[1], logAlpha[2]]).toEqual([-10, Math.fround(boundary + 1e-4), -5]);
    expect(freezeClosedGates(manifest, state, 0.5)).toBe(0); // already frozen
    expect(freezeClosedGates(manifest, state, 0.04)).toBe(0);
    // A frozen gate's noise is still drawn (others unchanged) and fed as ε.
    const drawn = gateNoise(manifest, 5, 3);
    const fed = gateNoise(manifest, 5, 3, state.frozen).get(group.noise)!;
    expect(fed[0]).toBe(Math.fround(NOISE_EPS));
    expect(fed[1]).toBe(drawn.get(group.noise)![1]);
  });

  it("keeps the frozen set in the checkpoint; a checkpoint without one loads as nothing frozen", async () => {
    const spec = smallSpec();
    const { manifest } = compiled(spec);
    const data = await smallData(spec);
    const state = initialState(manifest, data.preprocessing, 1);
    const base = { specHash: manifest.spec_hash, seed: 1, preprocessing: data.preprocessing };
    const plain = encodeCheckpoint({ ...base, state });
    expect(plain.toString("utf8")).not.toContain('"frozen"');
    expect(decodeCheckpoint(plain, "x").state.frozen.size).toBe(0);
    const group = manifest.gate_groups[1]!;
    const mask = new Uint8Array(group.shape.reduce((a, b) => a * b, 1));
    mask[0] = mask[5] = 1;
    state.frozen.set(group.name, mask);
    const runDir = tempDir();
    mkdirSync(join(runDir, "checkpoints"));
    writeCheckpoint(checkpointPath(runDir, "last"), { ...base, state });
    const back = readCheckpoint(checkpointPath(runDir, "last"), manifest).state.frozen;
    expect([...back.keys()]).toEqual([group.name]);
    expect([...back.get(group.name)!]).toEqual([...mask]);
    expect(readFileSync(checkpointPath(runDir, "last")).toString("utf8")).toContain(`"frozen":{"${group.name}":[0,5]}`);
    expect(readFileSync(checkpointPath(runDir, "last")).toString("utf8")).not.toContain('"step_frozen"');
    // The running step's frozen set (a part of the frozen set): kept likewise; one gate not frozen is a mismatch.
    const running = new Uint8Array(mask.length);
    running[5] = 1;
    state.stepFrozen.set(group.name, running);
    writeCheckpoint(checkpointPath(runDir, "last"), { ...base, state });
    expect(readFileSync(checkpointPath(runDir, "last")).toString("utf8")).toContain(`"step_frozen":{"${group.name}":[5]}`);
    expect([...readCheckpoint(checkpointPath(runDir, "last"), manifest).state.stepFrozen.get(group.name)!]).toEqual([...running]);
    running[3] = 1;
    writeCheckpoint(checkpointPath(runDir, "last"), { ...base, state });
    expect(() => readCheckpoint(checkpointPath(runDir, "last"), manifest)).toThrow(`the running step's frozen gates of gate group ${group.name} are not all frozen`);
  });

  it("resumes bit for bit across a freeze, and a frozen log α no longer changes", async () => {
    // P(z > 0) starts near σ(0 + 1.5986) = 0.8318 (log α ~ N(0, 0.01)): ε 0.832 freezes about half
    // the gates at the first check; every 4 steps.
    const spec = smallSpec({ freeze_threshold: 0.832, freeze_every: 4 });
    const straight = tempDir();
    const done = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: straight });
    expect(done.history.map((h) => h.gates_frozen).at(-1)).toBeGreaterThan(0);
    const interrupted = tempDir();
    const first = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, stopAtStep: 13 });
    expect(first.status).toBe("stopped");
    const frozenAtStop = new Map([...first.state.frozen].map(([g, m]) => [g, m.slice()]));
    expect(frozenCount(frozenAtStop)).toBeGreaterThan(0);
    const atStop = loadTrainedModel(interrupted, "last");
    expect(first.state.progress.batch).toBeGreaterThan(0); // stopped part-way through epoch 2
    await expect(train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, resume: true, stopAtStep: 13 })).rejects.toThrow("the run is at step 13 already, so it cannot stop at step 13");
    await train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, resume: true });
    expect(readFileSync(checkpointPath(interrupted, "last")).equals(readFileSync(checkpointPath(straight, "last")))).toBe(true);
    // The epoch records too, up to their timings: the interrupted epoch's means cover all its steps.
    const records = (dir: string) => readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => {
      const { seconds: _s, train_seconds: _t, samples_per_second: _r, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
    expect(records(interrupted)).toEqual(records(straight));
    const end = loadTrainedModel(interrupted, "last");
    for (const [g, mask] of frozenAtStop) {
      const before = atStop.params.get(logAlphaParam(g))!;
      const after = end.params.get(logAlphaParam(g))!;
      mask.forEach((f, i) => f && expect(after[i]).toBe(before[i]));
      expect(mask.some((f, i) => !f && after[i] !== before[i]) || mask.every((f) => f)).toBe(true);
    }
  });

  it("freezes nothing the gate warm-up holds still", async () => {
    const spec = smallSpec({ freeze_threshold: 0.832, freeze_every: 4, gate_warmup: 2 });
    const { manifest } = compiled(spec);
    const state = initialState(manifest, (await smallData(spec)).preprocessing, 1);
    for (const g of manifest.gate_groups) state.params.get(logAlphaParam(g.name))!.fill(-3);
    expect(freezeClosedGates(manifest, state, 0.832, warmupHeld(manifest).groups)).toBe(0);
    expect(state.frozen.size).toBe(0);
    // 10 steps an epoch: the freeze points of steps 4-20 fall in the warm-up's 20 steps.
    const done = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: tempDir() });
    expect(done.history.map((h) => h.gates_frozen > 0)).toEqual([false, false, true]);
  });

  it("reads back a checkpoint whose frozen set has more indices than a call takes arguments", async () => {
    const spec = smallSpec();
    const { manifest } = compiled(spec);
    const data = await smallData(spec);
    const state = initialState(manifest, data.preprocessing, 1);
    const mask = new Uint8Array(300_000).fill(1);
    state.frozen.set("wide", mask);
    const back = decodeCheckpoint(encodeCheckpoint({ specHash: manifest.spec_hash, seed: 1, preprocessing: data.preprocessing, state }), "x");
    expect(frozenCount(back.state.frozen)).toBe(300_000);
  });

  it("is off with prune_during_training: false", async () => {
    const spec = smallSpec({ freeze_threshold: 0.832, freeze_every: 4, prune_during_training: false });
    const done = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: tempDir() });
    expect(done.history.map((h) => h.gates_frozen)).toEqual([0, 0, 0]);
  });

  it("checks the threshold and the cadence", () => {
    const text = model(`  groups shared
  level 1 { experts: mlp[8]; connect: cssm }
  towers { tower: mlp[] }
  train { freeze_threshold: 1, freeze_every: 0 }`);
    expect(diagnose(text).filter((d) => d.code === "hyperparameter-range")).toEqual([
      { code: "hyperparameter-range", severity: "error", message: "freeze_threshold must be strictly between 0 and 1, not 1.", at: "6:29", text: "1" },
      { code: "hyperparameter-range", severity: "error", message: "freeze_every must be at least 1, not 0.", at: "6:46", text: "0" },
    ]);
    // Above ≈ 0.31 (the default gate constants) freezing closes gates evaluation still opens: a warning.
    const high = diagnose(model(`  groups shared
  level 1 { experts: mlp[8]; connect: cssm }
  towers { tower: mlp[] }
  train { freeze_threshold: 0.5 }`)).filter((d) => d.code === "hyperparameter-range");
    expect(high.map((d) => [d.severity, d.message.slice(0, 40)])).toEqual([["warning", "freeze_threshold 0.5 is above 0.31: it f"]]);
    expect(diagnose(model(`  groups shared
  level 1 { experts: mlp[8]; connect: cssm }
  towers { tower: mlp[] }
  train { freeze_threshold: 0.3 }`)).filter((d) => d.code === "hyperparameter-range")).toEqual([]);
  });

  it("warns of freezing settings that have no effect", () => {
    const warnings = (text: string) => diagnose(model(text)).filter((d) => d.code === "unused-regularizer").map((d) => d.message);
    expect(warnings(`  groups shared
  level 1 { experts: mlp[8] }
  towers { tower: mlp[] }
  train { prune_during_training: true, freeze_every: 3 }`)).toEqual([
      "'prune_during_training' has no effect: the model has no L0 gates to freeze (no cssm or l0_average connection, no field gates).",
      "'freeze_every' has no effect: the model has no L0 gates to freeze (no cssm or l0_average connection, no field gates).",
    ]);
    expect(warnings(`  groups shared
  level 1 { experts: mlp[8]; connect: cssm }
  towers { tower: mlp[] }
  train { prune_during_training: false, freeze_threshold: 0.1 }`)).toEqual(["'freeze_threshold' has no effect: prune_during_training is false, so no gate is frozen by it."]);
  });
});
