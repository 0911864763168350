import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { logAlphaParam } from "../../compiler/artifact.js";
import { openProbability } from "../../compiler/sparse-step/settings.js";
import { checkpointPath, decodeCheckpoint, encodeCheckpoint, loadTrainedModel, readCheckpoint, writeCheckpoint } from "../../runtime/checkpoint.js";
import { freezeClosedGates, frozenCount } from "../../runtime/freeze.js";
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
    await train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, resume: true });
    expect(readFileSync(checkpointPath(interrupted, "last")).equals(readFileSync(checkpointPath(straight, "last")))).toBe(true);
    const end = loadTrainedModel(interrupted, "last");
    for (const [g, mask] of frozenAtStop) {
      const before = atStop.params.get(logAlphaParam(g))!;
      const after = end.params.get(logAlphaParam(g))!;
      mask.forEach((f, i) => f && expect(after[i]).toBe(before[i]));
      expect(mask.some((f, i) => !f && after[i] !== before[i]) || mask.every((f) => f)).toBe(true);
    }
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
  });
});
