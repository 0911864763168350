// Where a training step's time goes, for the full step and the cut ones (docs/design.md, "Where a
// step's time goes"): the zoo MSSM is trained on Adult with freezing on (the language's defaults),
// then each step kind runs from the run's last checkpoint on Adult's batches, in interleaved
// rounds: each step's wall and process CPU time and the runtime's own phases (feeds, session.run,
// apply), medians over every round; then once more under onnxruntime's profiler, each kernel's
// median summed by op type, by graph region (the node's name scope: forward and backward matmuls,
// the rest of each, optimizer, gate sampling, L0, L2, embedding gathers and scatters) and by node.
// "run outside kernels" is the profiled session.run less its kernels (the profiler's own cost
// included).
//
// The step kinds: "full" (the artifact's train.onnx), and for the run's final frozen set the cut
// step with whole params (read by Gather) and with sliced params (compiler/sparse-step/); with
// `--fractions`, sliced cuts for parts of that set too (the given fractions of its elements, the
// most closed first by log α), timed but not profiled.
//
// The switch rule's costs (docs/design.md, "When to switch"; SWITCH_COSTS in runtime/step-switch.ts)
// from the same rounds (`switchRule` below): s and c of a step's CPU time fitted over the sliced
// cuts, and S, what moving to a sliced step costs, each part timed in every round: cutting the
// forward, compiling the step, opening its session, and its first run less its median.
//
//   node dist/bench/step-profile.js [--epochs 10] [--steps 200] [--warmup 20] [--repeats 3] [--threads 1] [--top 12] [--fractions 0.25,0.5] [--dump nodes.json]

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../base/package-root.js";
import { compileSpec } from "../compiler/compile.js";
import { zooMssm } from "./zoo.js";
import type { Spec } from "../compiler/load/types.js";
import { gateWarmupEpochs, logAlphaParam, stepMacsPerExample, type Manifest } from "../compiler/index.js";
import type { TrainState } from "../runtime/checkpoint.js";
import { checkpointPath, readCheckpoint } from "../runtime/checkpoint.js";
import { batchCount, batches, type Batch } from "../runtime/data/batches.js";
import { loadTrainingData } from "../runtime/data/dataset.js";
import { openSession } from "../runtime/session.js";
import { StepRunner } from "../runtime/step.js";
import { compileCut, cutFor, frozenStep } from "../runtime/step-switch.js";
import type { FrozenGates } from "../runtime/freeze.js";
import { train } from "../runtime/train.js";
import type { ParamSlice } from "../compiler/sparse-step/slice-params.js";
import { numberList, optionText, wholeNumber } from "./args.js";
import { median } from "./train-step.js";
import { markdownTable } from "./train-speed.js";

/** A graph region: a name and whether a kernel (node name, op type) belongs to it; the first match wins. */
const REGIONS: readonly [string, (node: string, op: string) => boolean][] = [
  ["optimizer update", (n) => n.startsWith("optim/")],
  ["embedding row scatter (backward)", (n) => n.startsWith("grad/emb")],
  ["gate sampling", (n) => n.startsWith("gates/")],
  ["gate backward", (n) => /^(grad|backward)\/gates/.test(n)],
  ["L0 term (fwd+bwd)", (n) => /^(grad\/)?l0/.test(n)],
  ["L2 term (fwd+bwd)", (n) => /^((grad|backward)\/)?l2/.test(n)],
  ["backward matmuls", (n, op) => /^(grad|backward)\//.test(n) && /MatMul|Gemm/.test(op)],
  ["backward, other", (n) => /^(grad|backward)\//.test(n)],
  ["forward matmuls", (_n, op) => /MatMul|Gemm/.test(op)],
  ["embedding gathers, field inputs", (n) => n.startsWith("fields/") || n.startsWith("emb/")],
  ["forward, other", () => true],
];

/** The region of a profiled kernel. */
const regionOf = (node: string, op: string): string => REGIONS.find(([, test]) => test(node, op))![0];

/** One step kind, ready to run; `frozen`: the frozen set a sliced cut is for (its switch cost is timed); `profile`: run once under the profiler. */
interface StepKind {
  name: string;
  manifest: Manifest;
  bytes: Uint8Array;
  macs: number;
  slices: readonly ParamSlice[];
  frozen?: FrozenGates;
  profile: boolean;
}

/** A switch's parts, CPU ms: cutting the forward, compiling the step, opening its session, its first run less the median run. */
const SWITCH_PARTS = ["cut", "compile", "open", "first run extra"] as const;

/** One step kind's numbers: medians over the timed steps of every repeat; per kernel, the median of its runs. */
interface Measured {
  kind: StepKind;
  stepMs: number;
  /** Process CPU time of a step (1 thread: what the machine's other load does not stretch). */
  cpuMs: number;
  runMs: number;
  feedsMs: number;
  applyMs: number;
  /** Profiled, µs per step: each kernel's median, summed by op type, by region and by node; and session.run's median inside onnxruntime. */
  ops: [string, number][];
  regions: [string, number][];
  nodes: [string, number][];
  modelRunUs: number;
  /** Medians over the rounds of each SWITCH_PARTS entry, CPU ms; empty for kinds without `frozen`. */
  switchMs: number[];
}

/** What the bench needs to run steps from the trained run's checkpoint. */
interface Setup {
  runDir: string;
  model: Manifest;
  batches: readonly Batch[];
  steps: number;
  warmup: number;
  threads: number;
  totalSteps: number;
  holdSteps: number;
}

/** Process CPU ms since `since` (a process.cpuUsage()). */
const cpuMsSince = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/** CPU ms of a call, and its result. */
async function cpuTimed<T>(f: () => T | Promise<T>): Promise<[T, number]> {
  const since = process.cpuUsage();
  const out = await f();
  return [out, cpuMsSince(since)];
}

/**
 * Per step: wall, CPU, session.run, feeds and apply ms; the CPU ms of opening the session and of
 * the first step; with `profile`, onnxruntime's profile file.
 */
async function drive(kind: StepKind, setup: Setup, profileDir?: string): Promise<{ samples: number[][]; openCpuMs: number; firstCpuMs: number; profile?: string }> {
  // The checkpoint is the model's (the artifact's manifest), whatever step runs from it.
  const state = readCheckpoint(checkpointPath(setup.runDir, "last"), setup.model).state;
  const [session, openCpuMs] = await cpuTimed(() => openSession(kind.bytes, { device: "cpu", threads: setup.threads, ...(profileDir ? { profile: join(profileDir, "ort") } : {}) }));
  const runner = new StepRunner(kind.manifest, session, setup.totalSteps, setup.holdSteps, kind.slices);
  const samples: number[][] = [];
  let firstCpuMs = 0;
  for (let k = 0; k < setup.warmup + setup.steps; k++) {
    const before = { ...runner.timings };
    const cpu = process.cpuUsage();
    const s0 = performance.now();
    await runner.run(state, setup.batches[k % setup.batches.length]!, state.progress.step + 1 + k);
    const wall = performance.now() - s0;
    const cpuMs = cpuMsSince(cpu);
    if (k === 0) firstCpuMs = cpuMs;
    if (k >= setup.warmup) samples.push([wall, cpuMs, runner.timings.run - before.run, runner.timings.feeds - before.feeds, runner.timings.apply - before.apply]);
  }
  let profile: string | undefined;
  if (profileDir) {
    (session as unknown as { endProfiling(): string }).endProfiling();
    profile = join(profileDir, readdirSync(profileDir)[0]!);
  }
  await session.release();
  return { samples, openCpuMs, firstCpuMs, ...(profile ? { profile } : {}) };
}

/** One event of an onnxruntime profile (Chrome trace JSON). */
interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

/** Each kernel's median µs over its runs (the warm-up steps' runs dropped), by node name and op type; and session.run's median. */
function kernelMedians(profile: string, warmup: number): { nodes: { node: string; op: string; us: number }[]; modelRunUs: number } {
  const events = JSON.parse(readFileSync(profile, "utf8")) as ProfileEvent[];
  const runs = new Map<string, { op: string; durations: number[] }>();
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
    const node = e.name.replace(/_kernel_time$/, "");
    const r = runs.get(node) ?? runs.set(node, { op: e.args?.op_name ?? "?", durations: [] }).get(node)!;
    r.durations.push(e.dur);
  }
  const modelRuns = events.filter((e) => e.cat === "Session" && e.name === "model_run").map((e) => e.dur);
  return {
    nodes: [...runs].map(([node, r]) => ({ node, op: r.op, us: median(r.durations.slice(warmup)) })),
    modelRunUs: median(modelRuns.slice(warmup)),
  };
}

/** Sums per key, largest first. */
function sums(items: readonly { us: number }[], key: (i: never) => string): [string, number][] {
  const out = new Map<string, number>();
  for (const i of items) out.set(key(i as never), (out.get(key(i as never)) ?? 0) + i.us);
  return [...out].sort((a, b) => b[1] - a[1]);
}

/**
 * Every step kind timed in `repeats` interleaved rounds (a sliced cut's switch parts too: cut and
 * compiled again in each round), then each kind with `profile` profiled once.
 */
async function measure(kinds: readonly StepKind[], setup: Setup, repeats: number): Promise<Measured[]> {
  const samples = kinds.map((): number[][] => []);
  const switches = kinds.map((): number[][] => []);
  for (let r = 0; r < repeats; r++) {
    for (const [i, kind] of kinds.entries()) {
      let parts: number[] | undefined;
      if (kind.frozen) {
        const [cut, cutMs] = await cpuTimed(() => cutFor(setup.model, kind.frozen!));
        const [, compileMs] = await cpuTimed(() => compileCut(setup.model, cut, "cpu"));
        parts = [cutMs, compileMs];
      }
      const driven = await drive(kind, setup);
      samples[i]!.push(...driven.samples);
      if (parts) switches[i]!.push([...parts, driven.openCpuMs, driven.firstCpuMs - median(driven.samples.map((s) => s[1]!))]);
    }
  }
  const out: Measured[] = [];
  for (const [i, kind] of kinds.entries()) {
    let profiled = { nodes: [] as { node: string; op: string; us: number }[], modelRunUs: 0 };
    if (kind.profile) {
      const profileDir = mkdtempSync(join(tmpdir(), "mssmc-step-profile-"));
      const { profile } = await drive(kind, setup, profileDir);
      profiled = kernelMedians(profile!, setup.warmup);
      rmSync(profileDir, { recursive: true, force: true });
    }
    const { nodes, modelRunUs } = profiled;
    const column = (c: number) => median(samples[i]!.map((s) => s[c]!));
    out.push({
      kind,
      stepMs: column(0),
      cpuMs: column(1),
      runMs: column(2),
      feedsMs: column(3),
      applyMs: column(4),
      ops: sums(nodes, (n: { op: string }) => n.op),
      regions: sums(nodes, (n: { node: string; op: string }) => regionOf(n.node, n.op)),
      nodes: sums(nodes, (n: { node: string; op: string }) => `${n.node} (${n.op})`),
      modelRunUs,
      switchMs: SWITCH_PARTS.map((_, p) => (switches[i]!.length ? median(switches[i]!.map((x) => x[p]!)) : NaN)),
    });
  }
  return out;
}

/**
 * A part of a frozen set: its `fraction` of the elements (rounded down) with the lowest log α, the
 * most closed; a stand-in for the sets frozen earlier in the run.
 */
function frozenPart(state: TrainState, fraction: number): FrozenGates {
  const elements = [...state.frozen].flatMap(([group, mask]) => {
    const logAlpha = state.params.get(logAlphaParam(group))!;
    return [...mask.keys()].filter((i) => mask[i]).map((i) => ({ group, i, logAlpha: logAlpha[i]! }));
  });
  elements.sort((a, b) => a.logAlpha - b.logAlpha || (a.group < b.group ? -1 : a.group > b.group ? 1 : a.i - b.i));
  const part: FrozenGates = new Map();
  for (const { group, i } of elements.slice(0, Math.floor(elements.length * Math.min(fraction, 1)))) {
    const mask = part.get(group) ?? part.set(group, new Uint8Array(state.frozen.get(group)!.length)).get(group)!;
    mask[i] = 1;
  }
  return part;
}

/** The least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const mx = mean(points.map(([x]) => x));
  const my = mean(points.map(([, y]) => y));
  return points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
}

/**
 * The switch rule's costs from the measured rows (SWITCH_COSTS, runtime/step-switch.ts): for each
 * sliced cut, its saving against the full step per multiply-add cut; with two cuts or more, the
 * two-part model of a step's CPU time, full + s·(M − M_full)·batch plus c for a cut step: s the
 * least-squares slope over the cut steps, c the median of each cut's time less that line through
 * the full step; and S, compiling the step, opening its session and its first run's extra (the cut
 * itself is made at every freeze point, switch or not: it is what tells the rule M_cut).
 */
function switchRule(rows: readonly Measured[], batch: number): void {
  const full = rows.find((r) => r.kind.name === "full")!;
  const sliced = rows.filter((r) => r.kind.frozen);
  const switchSeconds = (r: Measured) => r.switchMs.slice(1).reduce((a, ms) => a + ms, 0);
  console.log(`\nswitch rule (docs/design.md, "When to switch"), batch ${batch}: "saved per MAC" = (step CPU full − cut) / ((M_full − M_cut) · batch); S = compile + open + first run extra; CPU ms, medians over the rounds`);
  console.log(
    markdownTable(
      ["step", "MACs/example", "step CPU ms", "saved per MAC", ...SWITCH_PARTS.map((p) => `${p} ms`), "S ms"],
      sliced.map((r) => {
        const saved = (full.cpuMs - r.cpuMs) / 1000 / ((full.kind.macs - r.kind.macs) * batch);
        return [r.kind.name, r.kind.macs.toLocaleString("en-US"), r.cpuMs.toFixed(2), saved.toExponential(2), ...r.switchMs.map((ms) => ms.toFixed(0)), switchSeconds(r).toFixed(0)];
      }),
    ).join("\n"),
  );
  if (sliced.length < 2) return;
  const s = slope(sliced.map((r) => [r.kind.macs * batch, r.cpuMs / 1000]));
  const c = median(sliced.map((r) => r.cpuMs / 1000 - (full.cpuMs / 1000 - s * (full.kind.macs - r.kind.macs) * batch)));
  console.log(`two-part model over ${sliced.length} cut steps: s = ${s.toExponential(2)} s per multiply-add per example, c = ${(c * 1000).toFixed(2)} ms a cut step; S = ${median(sliced.map(switchSeconds)).toFixed(0)} ms (median over the cuts)`);
}

async function main(argv: readonly string[]): Promise<void> {
  const epochs = wholeNumber(argv, "epochs", 10, 1);
  const steps = wholeNumber(argv, "steps", 200, 1);
  const warmup = wholeNumber(argv, "warmup", 20);
  const threads = wholeNumber(argv, "threads", 1, 1);
  const top = wholeNumber(argv, "top", 12, 1);
  const repeats = wholeNumber(argv, "repeats", 3, 1);
  const root = packageRoot();
  const data = resolve(root, "..", "shared", "data", "adult");
  const zooSpec = zooMssm();
  const spec: Spec = { ...zooSpec, train: { ...zooSpec.train, epochs } };
  const training = await loadTrainingData(spec, join(data, "adult.data"), { validFraction: 0, seed: spec.train.seed });
  const artifact = compileSpec(spec);
  const { manifest } = artifact;
  const runDir = mkdtempSync(join(tmpdir(), "mssmc-step-profile-run-"));
  const result = await train({ manifest, train: artifact.files["train.onnx"], eval: artifact.files["eval.onnx"] }, { train: training.train, valid: undefined, preprocessing: training.preprocessing }, { runDir, device: "cpu", threads, log: () => {} });
  const perEpoch = batchCount(training.train.rows, spec.train.batch);
  const setup: Setup = {
    runDir,
    model: manifest,
    batches: [...batches(spec, training.train, { batchSize: spec.train.batch, shuffle: true, seed: spec.train.seed, epoch: epochs, dropLast: true })],
    steps,
    warmup,
    threads,
    totalSteps: perEpoch * (epochs + 100),
    holdSteps: gateWarmupEpochs(spec, true) * perEpoch,
  };
  const kinds: StepKind[] = [{ name: "full", manifest, bytes: artifact.files["train.onnx"], macs: stepMacsPerExample(spec), slices: [], profile: true }];
  const { frozen: final } = result.state;
  for (const [name, slice] of [["cut, whole params", false], ["cut, sliced params", true]] as const) {
    const cut = frozenStep(manifest, final, "cpu", { slice });
    if (cut) kinds.push({ name, ...cut, profile: true, ...(slice ? { frozen: final } : {}) });
  }
  for (const fraction of numberList(argv, "fractions", [])) {
    const frozen = frozenPart(result.state, fraction);
    const cut = frozenStep(manifest, frozen, "cpu");
    if (cut) kinds.push({ name: `cut for ${Math.round(fraction * 100)}% of it, sliced`, ...cut, profile: false, frozen });
  }
  const rows = await measure(kinds, setup, repeats);
  rmSync(runDir, { recursive: true, force: true });

  const frozen = [...result.state.frozen.values()].reduce((a, m) => a + m.reduce((s, x) => s + x, 0), 0);
  console.log(`zoo MSSM on Adult, ${epochs} epochs with freezing (${frozen} gates frozen at the end), then per step kind ${repeats} x ${steps} steps (after ${warmup} each) from its last checkpoint, interleaved; batch ${spec.train.batch}, ${threads} thread(s), node ${process.version}; medians`);
  console.log(
    markdownTable(
      ["step", "MACs/example", "inputs", "outputs", "kernels", "step ms", "step CPU ms", "session.run ms", "feeds ms", "apply ms", "kernels ms (profiled)", "run outside kernels ms (profiled)"],
      rows.map((r) => {
        const kernels = r.ops.reduce((a, [, us]) => a + us, 0);
        const m = r.kind.manifest.graphs.train;
        const profiled = (text: string) => (r.kind.profile ? text : "-");
        return [r.kind.name, r.kind.macs.toLocaleString("en-US"), String(m.inputs.length), String(m.outputs.length), profiled(String(r.nodes.length)), r.stepMs.toFixed(2), r.cpuMs.toFixed(2), r.runMs.toFixed(2), r.feedsMs.toFixed(3), r.applyMs.toFixed(3), profiled((kernels / 1000).toFixed(2)), profiled(((r.modelRunUs - kernels) / 1000).toFixed(2))];
      }),
    ).join("\n"),
  );
  switchRule(rows, spec.train.batch);
  const profiled = rows.filter((r) => r.kind.profile);
  const dump = optionText(argv, "dump");
  if (dump) writeFileSync(dump, JSON.stringify(Object.fromEntries(profiled.map((r) => [r.kind.name, r.nodes])), null, 1));
  const table = (title: string, pick: (r: Measured) => [string, number][], limit: number) => {
    const keys = [...new Set(profiled.flatMap((r) => pick(r).slice(0, limit).map(([k]) => k)))];
    const at = (r: Measured, k: string) => pick(r).find(([x]) => x === k)?.[1] ?? 0;
    keys.sort((a, b) => at(profiled[0]!, b) - at(profiled[0]!, a));
    console.log(`\n${title}: µs per step (profiled kernel time)`);
    console.log(markdownTable([title, ...profiled.map((r) => r.kind.name)], keys.map((k) => [k, ...profiled.map((r) => Math.round(at(r, k)).toLocaleString("en-US"))])).join("\n"));
  };
  table("region", (r) => r.regions, REGIONS.length);
  table("op type", (r) => r.ops, top);
  table("node", (r) => r.nodes, top);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
