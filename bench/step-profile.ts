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
// step with whole params (read by Gather) and with sliced params (compiler/sparse-step/).
//
//   node dist/bench/step-profile.js [--epochs 10] [--steps 200] [--warmup 20] [--repeats 3] [--threads 1] [--top 12] [--dump nodes.json]

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../base/package-root.js";
import { compileSpec } from "../compiler/compile.js";
import { zooMssm } from "./zoo.js";
import type { Spec } from "../compiler/load/types.js";
import { gateWarmupEpochs, type Manifest } from "../compiler/index.js";
import { checkpointPath, readCheckpoint } from "../runtime/checkpoint.js";
import { batchCount, batches, type Batch } from "../runtime/data/batches.js";
import { loadTrainingData } from "../runtime/data/dataset.js";
import { openSession } from "../runtime/session.js";
import { StepRunner } from "../runtime/step.js";
import { frozenStep } from "../runtime/step-switch.js";
import { train } from "../runtime/train.js";
import type { ParamSlice } from "../compiler/sparse-step/slice-params.js";
import { optionText, wholeNumber } from "./args.js";
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

/** One step kind, ready to run. */
interface StepKind {
  name: string;
  manifest: Manifest;
  bytes: Uint8Array;
  macs: number;
  slices: readonly ParamSlice[];
}

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

/** Per step: wall, CPU, session.run, feeds and apply ms; with `profile`, onnxruntime's profile file. */
async function drive(kind: StepKind, setup: Setup, profileDir?: string): Promise<{ samples: number[][]; profile?: string }> {
  // The checkpoint is the model's (the artifact's manifest), whatever step runs from it.
  const state = readCheckpoint(checkpointPath(setup.runDir, "last"), setup.model).state;
  const session = await openSession(kind.bytes, { device: "cpu", threads: setup.threads, ...(profileDir ? { profile: join(profileDir, "ort") } : {}) });
  const runner = new StepRunner(kind.manifest, session, setup.totalSteps, setup.holdSteps, kind.slices);
  const samples: number[][] = [];
  for (let k = 0; k < setup.warmup + setup.steps; k++) {
    const before = { ...runner.timings };
    const cpu = process.cpuUsage();
    const s0 = performance.now();
    await runner.run(state, setup.batches[k % setup.batches.length]!, state.progress.step + 1 + k);
    const wall = performance.now() - s0;
    const used = process.cpuUsage(cpu);
    if (k >= setup.warmup) samples.push([wall, (used.user + used.system) / 1000, runner.timings.run - before.run, runner.timings.feeds - before.feeds, runner.timings.apply - before.apply]);
  }
  let profile: string | undefined;
  if (profileDir) {
    (session as unknown as { endProfiling(): string }).endProfiling();
    profile = join(profileDir, readdirSync(profileDir)[0]!);
  }
  await session.release();
  return { samples, ...(profile ? { profile } : {}) };
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

/** Every step kind timed in `repeats` interleaved rounds, then each profiled once. */
async function measure(kinds: readonly StepKind[], setup: Setup, repeats: number): Promise<Measured[]> {
  const samples = kinds.map((): number[][] => []);
  for (let r = 0; r < repeats; r++) for (const [i, kind] of kinds.entries()) samples[i]!.push(...(await drive(kind, setup)).samples);
  const out: Measured[] = [];
  for (const [i, kind] of kinds.entries()) {
    const profileDir = mkdtempSync(join(tmpdir(), "mssmc-step-profile-"));
    const { profile } = await drive(kind, setup, profileDir);
    const { nodes, modelRunUs } = kernelMedians(profile!, setup.warmup);
    rmSync(profileDir, { recursive: true, force: true });
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
    });
  }
  return out;
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
  const kinds: StepKind[] = [{ name: "full", manifest, bytes: artifact.files["train.onnx"], macs: manifest.summary.macsPerExample, slices: [] }];
  for (const [name, slice] of [["cut, whole params", false], ["cut, sliced params", true]] as const) {
    const cut = frozenStep(manifest, result.state.frozen, "cpu", { slice });
    if (cut) kinds.push({ name, ...cut });
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
        return [r.kind.name, r.kind.macs.toLocaleString("en-US"), String(m.inputs.length), String(m.outputs.length), String(r.nodes.length), r.stepMs.toFixed(2), r.cpuMs.toFixed(2), r.runMs.toFixed(2), r.feedsMs.toFixed(3), r.applyMs.toFixed(3), (kernels / 1000).toFixed(2), ((r.modelRunUs - kernels) / 1000).toFixed(2)];
      }),
    ).join("\n"),
  );
  const dump = optionText(argv, "dump");
  if (dump) writeFileSync(dump, JSON.stringify(Object.fromEntries(rows.map((r) => [r.kind.name, r.nodes])), null, 1));
  const table = (title: string, pick: (r: Measured) => [string, number][], limit: number) => {
    const keys = [...new Set(rows.flatMap((r) => pick(r).slice(0, limit).map(([k]) => k)))];
    const at = (r: Measured, k: string) => pick(r).find(([x]) => x === k)?.[1] ?? 0;
    keys.sort((a, b) => at(rows[0]!, b) - at(rows[0]!, a));
    console.log(`\n${title}: µs per step (profiled kernel time)`);
    console.log(markdownTable([title, ...rows.map((r) => r.kind.name)], keys.map((k) => [k, ...rows.map((r) => Math.round(at(r, k)).toLocaleString("en-US"))])).join("\n"));
  };
  table("region", (r) => r.regions, REGIONS.length);
  table("op type", (r) => r.ops, top);
  table("node", (r) => r.nodes, top);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
