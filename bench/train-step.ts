import { readFileSync, readdirSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { compileSpec } from "../compiler/compile.js";
import { packageRoot } from "../base/package-root.js";
import { loadSpec } from "../compiler/load/load.js";
import type { GateNoise, Spec } from "../compiler/load/types.js";
import { batches, type Batch } from "../runtime/data/batches.js";
import type { Dataset, FieldColumn, LabelColumn, Preprocessing } from "../runtime/data/dataset.js";
import { Random } from "../base/random.js";
import { hashVocab } from "../runtime/data/vocab.js";
import { openSession, type Device } from "../runtime/session.js";
import { StepRunner } from "../runtime/step.js";
import { initialState } from "../runtime/train.js";
import { wholeNumber } from "./args.js";

// How fast one training step runs, per zoo model: the runtime's own step (runtime/step.ts: gate
// noise, gathering embedding rows, feeds, session.run of train.onnx, taking `next` outputs back,
// scattering rows) on Adult-like batches: ids drawn uniformly within Adult's vocabulary sizes,
// standard-normal numeric features, 0/1 labels, fresh gate noise each step. Prints the median
// step time, samples/s, session.run's median and the share of a step spent outside it.
// Target: MSSM at batch 1024 at least 150,000 samples/s (PyTorch 1.13: about 49,000).
//
//   node dist/bench/train-step.js [--steps N] [--warmup N] [--batch N] [--threads N] [--only a,b] [--profile [--nodes N]]
//        [--gate-noise per_step,per_example,per_example_fields]
//
// --gate-noise measures each model once per listed `gates.noise` (a row each, one after another).
//
// --profile turns on onnxruntime's profiler and prints, per model, the op types that take the
// most time in session.run (summed kernel time over the timed steps).

/** Rows of each categorical field's table in the Adult data (vocabulary + the out-of-vocabulary row). */
const ADULT_ROWS: Record<string, number> = {
  workclass: 9,
  education: 17,
  occupation: 15,
  relationship: 7,
  race: 6,
  sex: 3,
  "native-country": 42,
};

/** A table size for fields Adult does not have. */
const DEFAULT_ROWS = 100;

/** An Adult-like data set of `rows` rows for `spec` and the preprocessing that sizes its tables. */
export function syntheticData(spec: Spec, rows: number, seed = 1): { data: Dataset; preprocessing: Preprocessing } {
  const rng = Random.stream(seed, 90, 0);
  const fields: Record<string, FieldColumn> = {};
  const pre: Preprocessing = { fields: {} };
  for (const f of spec.fields) {
    if (f.kind === "numeric") {
      const values = new Float32Array(rows);
      // Box–Muller: standardized features are about N(0, 1).
      for (let r = 0; r < rows; r++) values[r] = rng.normal();
      fields[f.name] = { kind: "numeric", values };
      pre.fields[f.name] = { kind: "numeric", stats: { transform: "none", mean: 0, std: 1, count: rows } };
      continue;
    }
    const size = f.kind === "categorical" && f.hash_buckets !== undefined ? f.hash_buckets : (ADULT_ROWS[f.name] ?? DEFAULT_ROWS);
    pre.fields[f.name] = { kind: f.kind, vocab: hashVocab(size) };
    const draw = () => Math.min(size - 1, Math.floor(rng.uniform() * size));
    if (f.kind === "categorical") fields[f.name] = { kind: "categorical", ids: Int32Array.from({ length: rows }, draw) };
    else {
      const offsets = new Int32Array(rows + 1);
      const ids: number[] = [];
      for (let r = 0; r < rows; r++) {
        const len = 1 + Math.floor(rng.uniform() * 3);
        for (let j = 0; j < len; j++) ids.push(draw());
        offsets[r + 1] = ids.length;
      }
      fields[f.name] = { kind: "multi_hot", offsets, ids: Int32Array.from(ids) };
    }
  }
  const labels: Record<string, LabelColumn> = {};
  for (const t of spec.tasks) {
    if (t.kind === "multiclass") labels[t.name] = Int32Array.from({ length: rows }, () => Math.min(t.classes - 1, Math.floor(rng.uniform() * t.classes)));
    else labels[t.name] = Float32Array.from({ length: rows }, () => (t.kind === "binary" ? (rng.uniform() < 0.3 ? 1 : 0) : rng.uniform()));
  }
  return { data: { file: "synthetic", rows, lines: new Int32Array(rows), fields, labels }, preprocessing: pre };
}

/** One row of the table. */
export interface StepRow {
  spec: string;
  trainNodes: number;
  /** Median ms of the whole runtime step, of session.run alone. */
  stepMs: number;
  runMs: number;
  samplesPerSecond: number;
  /** Mean ms per step of each phase outside session.run, and building the batch (not part of the step). */
  feedsMs: number;
  applyMs: number;
  batchMs: number;
  /** With profiling: op type -> mean µs per step, largest first; the same per node. */
  ops?: [string, number][];
  nodes?: [string, number][];
}

export interface StepOptions {
  steps: number;
  warmup: number;
  batch: number;
  threads: number;
  profile?: boolean;
  /** Where the step runs (compiled for that device); default cpu. */
  device?: Device;
  /** The spec's `gates.noise` replaced by this. */
  noise?: GateNoise;
}

/** The median of some numbers (the lower middle one for an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** A zoo spec file, checked, with its training batch set to `batch`. */
export function benchSpec(file: string, batch: number): Spec {
  const loaded = loadSpec(file);
  if (!loaded.spec) throw new Error(`${file} does not check: ${loaded.diagnostics.map((d) => d.message).join("; ")}`);
  return { ...loaded.spec, train: { ...loaded.spec.train, batch } };
}

/** Compiles one zoo spec and times `steps` runtime steps after `warmup` untimed ones. */
export async function measureStep(file: string, options: StepOptions): Promise<StepRow> {
  const plain = benchSpec(file, options.batch);
  const spec = options.noise ? { ...plain, gates: { ...plain.gates, noise: options.noise } } : plain;
  const device = options.device ?? "cpu";
  const artifact = compileSpec(spec, { target: device });
  const { manifest } = artifact;
  const perEpoch = 16;
  const { data, preprocessing } = syntheticData(spec, options.batch * perEpoch);
  const state = initialState(manifest, preprocessing, spec.train.seed);
  const profileDir = options.profile ? mkdtempSync(join(tmpdir(), "mssmc-profile-")) : undefined;
  const session = await openSession(artifact.files["train.onnx"], { device, threads: options.threads, ...(profileDir ? { profile: join(profileDir, "ort") } : {}) });
  const total = options.warmup + options.steps;
  const runner = new StepRunner(manifest, session, total);
  const stepMs: number[] = [];
  const runMs: number[] = [];
  let batchMs = 0;
  let t = 0;
  let before = { ...runner.timings };
  for (let epoch = 0; t < total; epoch++) {
    const started = performance.now();
    const epochBatches: Batch[] = [...batches(spec, data, { batchSize: options.batch, shuffle: true, seed: spec.train.seed, epoch, dropLast: true })];
    const built = performance.now() - started;
    for (const batch of epochBatches) {
      if (t >= total) break;
      t++;
      if (t === options.warmup + 1) before = { ...runner.timings };
      const run0 = runner.timings.run;
      const s0 = performance.now();
      await runner.run(state, batch, t);
      if (t > options.warmup) {
        stepMs.push(performance.now() - s0);
        runMs.push(runner.timings.run - run0);
        batchMs += built / epochBatches.length;
      }
    }
  }
  const timed = runner.timings.steps - before.steps;
  const row: StepRow = {
    spec: `${file.split("/").pop()!}${options.noise ? ` (noise ${options.noise})` : ""}`,
    trainNodes: artifact.train.nodes.length,
    stepMs: median(stepMs),
    runMs: median(runMs),
    samplesPerSecond: options.batch / (median(stepMs) / 1000),
    feedsMs: (runner.timings.feeds - before.feeds) / timed,
    applyMs: (runner.timings.apply - before.apply) / timed,
    batchMs: batchMs / timed,
  };
  if (profileDir) {
    const path = join(profileDir, (session as unknown as { endProfiling(): string }).endProfiling() ?? "");
    const found = readdirSync(profileDir).map((f) => join(profileDir, f));
    const profile = found.length === 1 ? found[0]! : path;
    row.ops = kernelTimes(profile, total, (e) => e.args?.op_name ?? "?");
    row.nodes = kernelTimes(profile, total, (e) => `${e.name.replace(/_kernel_time$/, "")} (${e.args?.op_name ?? "?"})`);
    rmSync(profileDir, { recursive: true, force: true });
  }
  await session.release();
  return row;
}

/** One event of an onnxruntime profile (Chrome trace JSON). */
interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

/** Mean µs per step of the kernels in an onnxruntime profile, summed by `key` (op type, node). */
export function kernelTimes(profile: string, steps: number, key: (e: ProfileEvent) => string): [string, number][] {
  const events = JSON.parse(readFileSync(profile, "utf8")) as ProfileEvent[];
  const sums = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
    const op = key(e);
    sums.set(op, (sums.get(op) ?? 0) + e.dur);
  }
  return [...sums].map(([op, us]): [string, number] => [op, us / steps]).sort((a, b) => b[1] - a[1]);
}

/** The zoo specs that hold a model (adult.mssm is a library), sorted. */
export function zooModels(): string[] {
  return readdirSync(join(packageRoot(), "specs", "zoo"))
    .filter((f) => f.endsWith(".mssm") && f !== "adult.mssm")
    .sort();
}

/** The table, one line per row. */
export function formatTable(rows: readonly StepRow[]): string[] {
  const header = ["spec", "step nodes", "step ms", "samples/s", "run ms", "feeds ms", "apply ms", "outside run", "batch ms"];
  const lines = rows.map((r) => [
    r.spec,
    r.trainNodes.toLocaleString("en-US"),
    r.stepMs.toFixed(2),
    Math.round(r.samplesPerSecond).toLocaleString("en-US"),
    r.runMs.toFixed(2),
    r.feedsMs.toFixed(3),
    r.applyMs.toFixed(3),
    `${((100 * (r.feedsMs + r.applyMs)) / (r.feedsMs + r.applyMs + r.runMs)).toFixed(1)}%`,
    r.batchMs.toFixed(3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]! + 2))).join("");
  return [row(header), ...lines.map(row)];
}

async function main(argv: string[]): Promise<void> {
  const option = (name: string, fallback: number) => wholeNumber(argv, name, fallback);
  const nodes = option("nodes", 10);
  const options: StepOptions = { steps: option("steps", 50), warmup: option("warmup", 10), batch: option("batch", 1024), threads: option("threads", 1), profile: argv.includes("--profile") };
  const i = argv.indexOf("--only");
  const only = i >= 0 ? new Set(argv[i + 1]!.split(",").map((s) => (s.endsWith(".mssm") ? s : `${s}.mssm`))) : undefined;
  const zooDir = join(packageRoot(), "specs", "zoo");
  const rows: StepRow[] = [];
  const n = argv.indexOf("--gate-noise");
  const noises = n >= 0 ? (argv[n + 1]!.split(",") as GateNoise[]) : [undefined];
  for (const f of zooModels().filter((f) => !only || only.has(f))) for (const noise of noises) rows.push(await measureStep(join(zooDir, f), { ...options, ...(noise ? { noise } : {}) }));
  const out = [
    `train step: runtime/step.ts on Adult-like batches of ${options.batch}; median of ${options.steps} steps after ${options.warmup} warm-up; ` +
      `${options.threads} intra-op thread(s); node ${process.version}. feeds/apply: mean ms per step outside session.run; batch: building the batch (not in the step)`,
    "",
    ...formatTable(rows),
  ];
  for (const r of rows) {
    if (!r.ops) continue;
    const sum = r.ops.reduce((a, [, us]) => a + us, 0);
    out.push("", `${r.spec}: kernel time per step by op type (µs, share of ${(sum / 1000).toFixed(2)} ms)`);
    for (const [op, us] of r.ops.slice(0, 15)) out.push(`  ${op.padEnd(22)}${us.toFixed(0).padStart(8)}  ${((100 * us) / sum).toFixed(1).padStart(5)}%`);
    out.push(`  the ${nodes} slowest nodes:`);
    for (const [node, us] of r.nodes!.slice(0, nodes)) out.push(`  ${us.toFixed(0).padStart(8)}  ${node}`);
  }
  process.stdout.write(out.join("\n") + "\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main(process.argv.slice(2));
