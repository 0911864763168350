import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { loadSpec } from "../../compiler/load/load.js";
import type { Spec } from "../../compiler/load/types.js";
import { cutForward, sparseStep, withTrainStep } from "../../compiler/sparse-step/sparse-step.js";
import { checkpointPath, loadTrainedModel, type TrainState } from "../../runtime/checkpoint.js";
import { exportModel } from "../../runtime/export.js";
import { batches } from "../../runtime/data/batches.js";
import { openSession } from "../../runtime/session.js";
import { StepRunner } from "../../runtime/step.js";
import { initialState, train } from "../../runtime/train.js";
import { compiled, SMALL_SPEC, smallCsv, smallData, tempDir, writeTemp } from "./helpers.js";

/** The small spec with a second cssm level, so units and blocks close between two gated layers and before the towers. */
function twoLevelSpec(train: Partial<Spec["train"]> = {}, closing = false): Spec {
  let text = SMALL_SPEC.replace("level 1 { experts: mlp[8] relu, connect: cssm }", "level 1 { experts: mlp[8] relu, connect: cssm }\n  level 2 { experts: mlp[6] relu, connect: cssm }");
  // Gates that close within a few epochs: a strong L0 term and a fast gate optimizer.
  if (closing) text = text.replace("train { optimizer: adam(lr: 0.02),", "regularize { l0: 0.05 }\n  train { optimizer: adam(lr: 0.02), gate_optimizer: adam(lr: 0.2),");
  const r = loadSpec(writeTemp("two-level.mssm", text));
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return { ...r.spec, train: { ...r.spec.train, ...train } };
}

/** Frozen gates: per gate group (by name), the elements listed. */
function frozenSet(groups: readonly { name: string; shape: readonly number[] }[]): Map<string, Uint8Array> {
  const frozen = new Map<string, Uint8Array>();
  const freeze = (name: string, elements: readonly number[] | "all") => {
    const g = groups.find((x) => x.name === name)!;
    const mask = frozen.get(name) ?? new Uint8Array(g.shape.reduce((a, b) => a * b, 1));
    if (elements === "all") mask.fill(1);
    else for (const e of elements) mask[e] = 1;
    frozen.set(name, mask);
  };
  const named = (level: string, expert: string) => groups.filter((g) => g.name.startsWith(`${level}/${expert}/`)).map((g) => g.name);
  // level 1 (one source, the selected fields): cells 1 and 3 of expert y and 0 and 5 of expert shared closed (units).
  freeze(named("level1", "y")[0]!, [1, 3]);
  freeze(named("level1", "shared")[0]!, [0, 5]);
  // level 2, expert y: cell 2 closed in every source, and cell 4 in one only (not a unit).
  for (const g of named("level2", "y")) freeze(g, [2]);
  freeze(named("level2", "y")[0]!, [4]);
  // level 2, expert shared: its first source's block closed (that source also has closed units).
  freeze(named("level2", "shared")[0]!, "all");
  return frozen;
}

/** Every param and optimizer state of a state, copied (packed views become their own arrays). */
const tensors = (s: TrainState) => new Map([...[...s.params].map(([k, v]) => [`param ${k}`, v.slice()] as const), ...[...s.states].map(([k, v]) => [`state ${k}`, v.slice()] as const)]);

describe("the smaller training step", () => {
  it("gives the full step's loss and updates for a frozen set, with fewer multiply-adds", async () => {
    const spec = twoLevelSpec();
    const model = compiled(spec);
    const { manifest } = model;
    const data = await smallData(spec);
    const frozen = frozenSet(manifest.gate_groups);
    const cut = cutForward(spec, new Map([...frozen].map(([g, m]) => [manifest.gate_groups.find((x) => x.name === g)!.noise, m])));
    expect(cut.macsPerExample).toBeLessThan(manifest.summary.macsPerExample);
    // Units closed at level 1 leave their layers and level 2's rows; level 2's shared expert loses its first block; towers/y reads level 2's y without unit 2.
    const kept = Object.fromEntries(cut.report.matmuls.map((m) => [m.name, [m.rows.length, m.columns.length]]));
    expect(kept).toEqual({
      "level1/y/expert0/dense0/xw": [12, 6],
      "level1/shared/expert0/dense0/xw": [12, 6],
      "level2/y/expert0/dense0/xw": [12, 5],
      "level2/shared/expert0/dense0/xw": [6, 6],
      "towers/y/dense0/xw": [5, 4],
    });
    expect([cut.macsPerExample, manifest.summary.macsPerExample]).toEqual([292, 440]);
    const step = sparseStep(spec, cut);
    const runners = [
      new StepRunner(manifest, await openSession(model.train, { device: "cpu", threads: 1 }), 30),
      new StepRunner(withTrainStep(manifest, step), await openSession(step.bytes, { device: "cpu", threads: 1 }), 30),
    ];
    const states = runners.map(() => ({ ...initialState(manifest, data.preprocessing, spec.train.seed), frozen: new Map([...frozen].map(([g, m]) => [g, m.slice()])) }));
    // Biases start at 0, where relu passes no gradient: from 0.1, a closed unit's act(b) = b feeds the next layer and b trains.
    for (const s of states) for (const [name, v] of s.params) if (name.endsWith("/bias")) v.fill(0.1);
    let t = 0;
    for (const batch of batches(spec, data.train, { batchSize: spec.train.batch, seed: 1, epoch: 0 })) {
      t++;
      const [full, small] = [await runners[0]!.run(states[0]!, batch, t), await runners[1]!.run(states[1]!, batch, t)];
      expect(Math.abs(small.loss - full.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(full.loss)));
      expect(small.l0).toBe(full.l0);
    }
    expect(t).toBeGreaterThan(5);
    const [a, b] = states.map(tensors);
    expect([...b!.keys()].sort()).toEqual([...a!.keys()].sort());
    let worst = 0;
    for (const [name, v] of a!) {
      const w = b!.get(name)!;
      for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i]! - w[i]!));
    }
    expect(worst).toBeLessThan(1e-5);
  });
});

/** A run that freezes early: P(z > 0) starts near 0.832, so ε 0.832 freezes about half the gates at the first check (every 4 steps). */
const freezing = { freeze_threshold: 0.832, freeze_every: 4, epochs: 4 };
const quiet = { device: "cpu" as const, threads: 1, log: () => {} };

/** The exported model's scores of the small data set's rows. */
async function scores(bytes: Uint8Array, csv: string): Promise<Float32Array[]> {
  const rows = csv.trim().split("\n").slice(1).map((l) => l.split(","));
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  if (session.inputNames.includes("x")) feeds.x = new ort.Tensor("float32", Float32Array.from(rows, (r) => Number(r[0])), [rows.length]);
  if (session.inputNames.includes("c")) feeds.c = new ort.Tensor("string", rows.map((r) => r[1]!), [rows.length]);
  const out = await session.run(feeds);
  return ["y", "r"].map((t) => out[t]!.data as Float32Array);
}

describe("training on the smaller step", () => {
  it("switches as units close and resumes bit for bit across a switch", async () => {
    const spec = twoLevelSpec(freezing);
    const straight = tempDir();
    const done = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: straight });
    const macs = done.history.map((h) => h.macs_per_example);
    // 10 steps per epoch: the first switch is at step 4.
    expect(macs[0]).toBeLessThan(440);
    expect(macs.at(-1)).toBeLessThanOrEqual(macs[0]!);
    // Stopped right after a freeze mid-epoch: the resumed run compiles the same step from the checkpoint's frozen set.
    const interrupted = tempDir();
    const first = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, stopAtStep: 12 });
    expect(first.status).toBe("stopped");
    const resumed = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, resume: true });
    expect(resumed.history[0]!.macs_per_example).toBeLessThan(440);
    expect(readFileSync(checkpointPath(interrupted, "last")).equals(readFileSync(checkpointPath(straight, "last")))).toBe(true);
  });

  it("exports from a run on the smaller step what pruning its final weights gives", async () => {
    const spec = twoLevelSpec({ freeze_threshold: 0.2, epochs: 6 }, true);
    const runDir = tempDir();
    const done = await train(compiled(spec), await smallData(spec), { ...quiet, runDir });
    expect(done.history.at(-1)!.macs_per_example).toBeLessThan(440);
    const model = loadTrainedModel(runDir, "last");
    const pruned = exportModel(model);
    expect(pruned.pruned!.units + pruned.pruned!.blocks).toBeGreaterThan(0);
    const csv = smallCsv(400);
    const [a, b] = [await scores(pruned.bytes, csv), await scores(exportModel(model, { prune: false }).bytes, csv)];
    for (let k = 0; k < a.length; k++) for (let i = 0; i < a[k]!.length; i++) expect(Math.abs(a[k]![i]! - b[k]![i]!)).toBeLessThanOrEqual(1e-5);
  });
});
