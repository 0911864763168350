import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Spec } from "../../compiler/load/types.js";
import { sliceParams } from "../../compiler/sparse-step/slice-params.js";
import { cutForward, sparseStep, stepMacsPerExample, withTrainStep, type CutForward, type SparseStep } from "../../compiler/sparse-step/sparse-step.js";
import { checkpointPath, loadTrainedModel, readCheckpoint, type TrainState } from "../../runtime/checkpoint.js";
import { exportModel } from "../../runtime/export.js";
import { batches } from "../../runtime/data/batches.js";
import { openSession } from "../../runtime/session.js";
import { StepRunner } from "../../runtime/step.js";
import { frozenCount } from "../../runtime/freeze.js";
import { SWITCH_COSTS, switchPays } from "../../runtime/step-switch.js";
import { initialState, train } from "../../runtime/train.js";
import { compiled, smallCsv, smallData, tempDir } from "./helpers.js";
import { EARLY_FREEZING, twoLevelSpec } from "./sparse-helpers.js";

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
    const { manifest } = compiled(spec);
    const frozen = frozenSet(manifest.gate_groups);
    const cut = cutForward(spec, new Map([...frozen].map(([g, m]) => [manifest.gate_groups.find((x) => x.name === g)!.noise, m])));
    expect(cut.macsPerExample).toBeLessThan(stepMacsPerExample(spec));
    // Units closed at level 1 leave their layers and level 2's rows; level 2's shared expert loses its first block; towers/y reads level 2's y without unit 2.
    const kept = Object.fromEntries(cut.report.matmuls.map((m) => [m.name, [m.rows.length, m.columns.length]]));
    expect(kept).toEqual({
      "level1/y/expert0/dense0/xw": [12, 6],
      "level1/shared/expert0/dense0/xw": [12, 6],
      "level2/y/expert0/dense0/xw": [12, 5],
      "level2/shared/expert0/dense0/xw": [6, 6],
      "towers/y/dense0/xw": [5, 4],
    });
    expect([cut.macsPerExample, stepMacsPerExample(spec)]).toEqual([292, 440]);
    // Level 2's cssm gates (a gate row per source block, a gate column per unit) are read as rows of their [sources, units] view.
    expect(sliceParams(cut.forward).graph.constants.some((c) => c.value.name.endsWith("/gates_row_of"))).toBe(true);
    await expectFullStepUpdates(spec, frozen, cut);
  });

  it("cuts a field closed in every group out of the matmul that reads the groups' copies folded, with the full step's updates", async () => {
    const spec = twoLevelSpec({}, false, true);
    const { manifest } = compiled(spec);
    const noiseOf = (frozen: Map<string, Uint8Array>) => new Map([...frozen].map(([g, m]) => [manifest.gate_groups.find((x) => x.name === g)!.noise, m]));
    // Field c (4 columns) closed in group y's selection only, field x (8 columns) in shared's only:
    // level 1 reads E · Σ_s diag(m_s) W_s (compiler/lower/connections/cssm.ts), whose rows are open
    // while some group reads the field, so nothing is cut.
    const apart = new Map([
      ["select/y/gates/fields", Uint8Array.of(0, 1)],
      ["select/shared/gates/fields", Uint8Array.of(1, 0)],
    ]);
    expect(manifest.gate_groups.filter((g) => g.name.startsWith("select/")).map((g) => [g.name, g.shape])).toEqual([...apart].map(([g, m]) => [g, [m.length]]));
    expect(cutForward(spec, noiseOf(apart)).report.matmuls).toEqual([]);
    // Field c closed in both groups: its 4 rows of the folded [12, 8] weight leave each expert's product.
    const both = new Map([
      ["select/y/gates/fields", Uint8Array.of(0, 1)],
      ["select/shared/gates/fields", Uint8Array.of(0, 1)],
    ]);
    const cut = cutForward(spec, noiseOf(both));
    const kept = Object.fromEntries(cut.report.matmuls.map((m) => [m.name, [m.shape, m.rows.length, m.columns.length]]));
    expect(kept).toEqual({ "level1/y/expert0/dense0/xw": [[12, 8], 8, 8], "level1/shared/expert0/dense0/xw": [[12, 8], 8, 8] });
    expect(stepMacsPerExample(spec) - cut.macsPerExample).toBe(2 * 4 * 8);
    // Each expert's folded weight is one sliced param of its two copies, [2, rows, columns].
    const { slices } = sliceParams(cut.forward);
    expect(slices.filter((sl) => sl.of.startsWith("level1/")).map((sl) => [sl.of, sl.entries.length])).toEqual([
      ["level1/y/expert0/dense0/weight", 2 * 8 * 8],
      ["level1/shared/expert0/dense0/weight", 2 * 8 * 8],
    ]);
    await expectFullStepUpdates(spec, both, cut);
  });
});

/**
 * Trains one epoch of the small data on the full step, on the cut's step with whole params and on
 * the cut's step with sliced params, from the same state with `frozen` gates. The whole-param cut
 * gives the full step's losses, params and optimizer state (1e-5). The sliced one gives the same
 * task losses and L0, the same values (1e-5) of every entry it holds, and leaves the entries it
 * carries as they were; its loss lacks only the carried entries' L2 term.
 */
async function expectFullStepUpdates(spec: Spec, frozen: Map<string, Uint8Array>, cut: CutForward): Promise<void> {
  const model = compiled(spec);
  const { manifest } = model;
  const data = await smallData(spec);
  const whole = sparseStep(spec, cut, { slice: false });
  const sliced = sparseStep(spec, cut);
  expect(sliced.slices.length).toBeGreaterThan(0);
  // The sliced weights' masks are read from the gates, not gathered from masks of the weights' size.
  const reads = sliceParams(cut.forward).graph.nodes.filter((n) => n.op === "Gather").map((n) => n.outputs[0]!.name);
  expect(reads.filter((name) => name.endsWith("/mask_entries"))).toEqual([]);
  expect(reads.filter((name) => /\/gates\d*\/entries$/.test(name)).length).toBeGreaterThan(0);
  const size = (step: SparseStep) => step.train.inputs.filter((i) => i.role === "param").reduce((a, i) => a + i.shape.reduce((x: number, d) => x * (d as number), 1), 0);
  expect(size(sliced)).toBeLessThan(size(whole));
  const runners = [
    new StepRunner(manifest, await openSession(model.train, { device: "cpu", threads: 1 }), 30),
    new StepRunner(withTrainStep(manifest, whole), await openSession(whole.bytes, { device: "cpu", threads: 1 }), 30),
    new StepRunner(withTrainStep(manifest, sliced), await openSession(sliced.bytes, { device: "cpu", threads: 1 }), 30, 0, sliced.slices),
  ];
  const states = runners.map(() => ({ ...initialState(manifest, data.preprocessing, spec.train.seed), frozen: new Map([...frozen].map(([g, m]) => [g, m.slice()])) }));
  // Biases start at 0, where relu passes no gradient: from 0.1, a closed unit's act(b) = b feeds the next layer and b trains.
  for (const s of states) for (const [name, v] of s.params) if (name.endsWith("/bias")) v.fill(0.1);
  // The entries the sliced step carries: in no slice of their param.
  const held = new Map<string, Uint8Array>();
  for (const sl of sliced.slices) {
    const mask = held.get(sl.of) ?? new Uint8Array(states[0]!.params.get(sl.of)!.length);
    for (const e of sl.entries) mask[e] = 1;
    held.set(sl.of, mask);
  }
  const carried = (name: string) => {
    const param = [...held.keys()].find((p) => name === p || name.startsWith(`${p}/`));
    return param === undefined ? undefined : held.get(param)!;
  };
  const start = tensors(states[2]!);
  let carriedL2 = 0;
  for (const [param, mask] of held) start.get(`param ${param}`)!.forEach((w, i) => (carriedL2 += mask[i] ? 0 : w * w));
  expect(carriedL2).toBeGreaterThan(0);
  let t = 0;
  for (const batch of batches(spec, data.train, { batchSize: spec.train.batch, seed: 1, epoch: 0 })) {
    t++;
    const [full, cutWhole, cutSliced] = [await runners[0]!.run(states[0]!, batch, t), await runners[1]!.run(states[1]!, batch, t), await runners[2]!.run(states[2]!, batch, t)];
    const tolerance = 1e-5 * Math.max(1, Math.abs(full.loss));
    expect(Math.abs(cutWhole.loss - full.loss)).toBeLessThan(tolerance);
    expect(cutWhole.l0).toBe(full.l0);
    expect(cutSliced.l0).toBe(full.l0);
    for (const task of spec.tasks) expect(Math.abs(cutSliced.taskLoss[task.name]! - full.taskLoss[task.name]!)).toBeLessThan(tolerance);
    // The full step's L2 also counts the carried entries (which only decay there): at most their starting squares.
    expect(full.loss - cutSliced.loss).toBeGreaterThan(-tolerance);
    expect(full.loss - cutSliced.loss).toBeLessThan(spec.regularize.l2 * carriedL2 + tolerance);
  }
  expect(t).toBeGreaterThan(5);
  runners[2]!.settle(states[2]!);
  const [a, b, c] = states.map(tensors);
  expect([...b!.keys()].sort()).toEqual([...a!.keys()].sort());
  expect([...c!.keys()].sort()).toEqual([...a!.keys()].sort());
  let worst = 0;
  let moved = 0;
  for (const [name, v] of a!) {
    const w = b!.get(name)!;
    const x = c!.get(name)!;
    const mask = carried(name.slice(name.indexOf(" ") + 1));
    for (let i = 0; i < v.length; i++) {
      worst = Math.max(worst, Math.abs(v[i]! - w[i]!));
      if (mask && !mask[i]) moved = Math.max(moved, Math.abs(x[i]! - start.get(name)![i]!));
      else worst = Math.max(worst, Math.abs(v[i]! - x[i]!));
    }
  }
  expect(worst).toBeLessThan(1e-5);
  expect(moved).toBe(0);
}

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

/** Runs `body`'s tests with a switch and a cut step costing nothing: the small model moves to every cut that removes a multiply-add. */
function withFreeSwitches(): void {
  const measured = { ...SWITCH_COSTS };
  beforeAll(() => Object.assign(SWITCH_COSTS, { switchSeconds: 0, cutStepSeconds: 0 }));
  afterAll(() => Object.assign(SWITCH_COSTS, measured));
}

describe("training on the smaller step", () => {
  withFreeSwitches();
  it("switches as units close and resumes bit for bit across a switch", async () => {
    const spec = twoLevelSpec(EARLY_FREEZING);
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

describe("when a switch pays", () => {
  it("compares the time saved over the steps left with the switch's cost", () => {
    const costs = { stepSecondsPerMac: 1e-9, cutStepSeconds: 0, switchSeconds: 0.5 };
    const full = (macs: number) => ({ macs, cut: false });
    // (1000 − 500) · 100 · R · 1e-9 = 5e-5 · R seconds: 0.5 s is paid back after 10,000 steps.
    expect(switchPays(full(1000), 500, 100, 10_001, costs)).toBe(true);
    expect(switchPays(full(1000), 500, 100, 10_000, costs)).toBe(false);
    expect(switchPays(full(1000), 1000, 100, 1e12, costs)).toBe(false);
    expect(switchPays(full(1000), 0, 100, 0, { ...costs, switchSeconds: 0 })).toBe(false);
  });

  it("charges a cut step's own cost c when the run leaves the full step, not between cuts", () => {
    const costs = { stepSecondsPerMac: 1e-9, cutStepSeconds: 2e-5, switchSeconds: 0.5 };
    // From the full step: (5e-5 − 2e-5) · R > 0.5 after 16,667 steps.
    expect(switchPays({ macs: 1000, cut: false }, 500, 100, 16_667, costs)).toBe(true);
    expect(switchPays({ macs: 1000, cut: false }, 500, 100, 16_666, costs)).toBe(false);
    // A cut saving less than c per step never pays, however many steps are left.
    expect(switchPays({ macs: 1000, cut: false }, 900, 100, 1e12, costs)).toBe(false);
    // From a cut step to a further cut, both pay c: 5e-5 · R > 0.5 after 10,000 steps, as without c.
    expect(switchPays({ macs: 1000, cut: true }, 500, 100, 10_001, costs)).toBe(true);
    expect(switchPays({ macs: 1000, cut: true }, 500, 100, 10_000, costs)).toBe(false);
  });

  it("compares a further cut with the running step, never moves back, and resumes on the step the run was on", async () => {
    const measured = { ...SWITCH_COSTS };
    // Batch 32, a step costing its multiply-adds in seconds: moving from the full step (440
    // multiply-adds) to the first cut (75) pays with 36 steps left (365 · 36 > 2000); the frozen
    // sets of steps 8-16 cut to 70-55, which pay against the running step at most 20 · 28 < 2000;
    // that of step 20 cuts to 42, which would pay against the full step with its 20 steps left
    // (398 · 20) but not against the running one (33 · 20).
    Object.assign(SWITCH_COSTS, { stepSecondsPerMac: 1 / 32, cutStepSeconds: 0, switchSeconds: 2000 });
    try {
      const spec = twoLevelSpec(EARLY_FREEZING);
      const straight = tempDir();
      const done = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: straight });
      const macs = done.history.map((h) => h.macs_per_example);
      // Each epoch's record shows the mean over its examples of the steps it ran: the first cut
      // from step 5 on, so epoch 1 ran 4 full steps (440) and 6 cut ones (75), 32 examples each.
      expect(macs).toEqual([Math.round((4 * 440 + 6 * 75) / 10), 75, 75, 75]);
      const { manifest } = compiled(spec);
      const final = cutForward(spec, new Map([...done.state.frozen].map(([g, m]) => [manifest.gate_groups.find((x) => x.name === g)!.noise, m])));
      expect(final.macsPerExample).toBe(42);
      // The running step's frozen set is the one of the switch at step 4: a part of the final one.
      expect(frozenCount(done.state.stepFrozen)).toBeGreaterThan(0);
      expect(frozenCount(done.state.stepFrozen)).toBeLessThan(frozenCount(done.state.frozen));
      // Stopped mid-epoch on the cut step (26), and after a freeze point whose cut did not pay (34): resume goes on with that step.
      for (const stop of [26, 34]) {
        const interrupted = tempDir();
        await train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, stopAtStep: stop });
        const saved = readCheckpoint(checkpointPath(interrupted, "last"), manifest).state;
        expect(frozenCount(saved.stepFrozen), `stopped at step ${stop}`).toBe(frozenCount(done.state.stepFrozen));
        const resumed = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, resume: true });
        expect(resumed.history[0]!.macs_per_example).toBe(75);
        expect(readFileSync(checkpointPath(interrupted, "last")).equals(readFileSync(checkpointPath(straight, "last"))), `stopped at step ${stop}`).toBe(true);
      }
    } finally {
      Object.assign(SWITCH_COSTS, measured);
    }
  });
});
