// Training that gets cheaper as its gates close: the zoo MSSM on Adult (adult.test validates each
// epoch and is scored at the end) trained several ways, interleaved per seed, repeat and thread
// count so that load on a shared machine hits them alike, their order turning by one each round:
//
// - "off": no freezing (train.prune_during_training: false);
// - "on": closed gates frozen at each epoch's end, the run moving to a smaller, sliced step where
//   the switch rule says it pays over the running step (runtime/step-switch.ts);
// - "on, every switch": the same with a switch and a cut step costing nothing in the rule (S = c = 0);
// - "on, cell gates from the start": "on" with the warm-up holding the field gates only
//   (GATE_WARMUP_HOLDS, an experiment: the language's default holds every gate);
// - "on, ε X" (--thresholds X,...): "on" with train.freeze_threshold X;
// - "PyTorch (dense)": bench/torch/train.py, the PyTorch MSSM of bench/torch on the same encoded
//   rows, epochs, batch, threads and warm-up (--torch; /usr/bin/python3 with python3-torch).
//
// Per run: the wall and CPU time of the whole run (every epoch with its validation), the share of
// its wall time spent in the steps (every StepRunner.run timed; the rest is building batches,
// validation, the field check, freezing and checkpoints: bench/run-overhead.ts splits it), the
// median step time of the first and the last epoch, multiply-adds per example
// and samples/s per epoch, test AUC per task, gates closed at inference (folded z exactly 0) and
// frozen. Then, per variant and thread count: the median over seeds and repeats of the wall-time
// ratio to "off" of the same seed, repeat and thread count, of last / first epoch's median step,
// and of PyTorch's wall time to the variant's; test AUC against "off", mean [min, max] over seeds.
//
//   node dist/bench/sparse-training.js [--epochs 10] [--threads 1,2] [--repeats 1] [--seeds 7] [--only on,off] [--thresholds 0.1,0.2] [--torch] [--python /usr/bin/python3]

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../base/package-root.js";
import { logAlphaParam } from "../compiler/artifact.js";
import { compileSpec } from "../compiler/compile.js";
import { timedTrain, zooMssm } from "./zoo.js";
import type { Spec } from "../compiler/load/types.js";
import { foldGate, GATE_WARMUP_HOLDS, gateWarmupEpochs, type Manifest, sparseStep, cutForward } from "../compiler/index.js";
import { batches } from "../runtime/data/batches.js";
import type { Dataset } from "../runtime/data/dataset.js";
import { loadData, loadTrainingData } from "../runtime/data/dataset.js";
import { tableRows } from "../runtime/embeddings/store.js";
import { openSession } from "../runtime/session.js";
import { StepRunner } from "../runtime/step.js";
import { frozenNoise, SWITCH_COSTS } from "../runtime/step-switch.js";
import { train, type TrainResult } from "../runtime/train.js";
import { numberList, optionText, wholeNumber } from "./args.js";
import { spread } from "./selection.js";
import { median } from "./train-step.js";
import { markdownTable } from "./train-speed.js";

/** A way of training. */
interface Variant {
  name: string;
  /** undefined: PyTorch. */
  freezing?: boolean;
  /** The switch rule's costs S and c taken as 0 (runtime/step-switch.ts): every cut that removes a multiply-add is taken. */
  freeSwitches?: boolean;
  holds?: "all" | "fields";
  /** train.freeze_threshold (default: the language's). */
  threshold?: number;
}

const VARIANTS: readonly Variant[] = [
  { name: "off", freezing: false, holds: "all" },
  { name: "on", freezing: true, holds: "all" },
  { name: "on, every switch", freezing: true, freeSwitches: true, holds: "all" },
  { name: "on, cell gates from the start", freezing: true, holds: "fields" },
  { name: "PyTorch (dense)" },
];

/** The switch rule's costs as measured, which a variant with free switches replaces for its run. */
const MEASURED_COSTS = { ...SWITCH_COSTS };

/** One run's numbers. */
interface Row {
  variant: string;
  seed: number;
  repeat: number;
  threads: number;
  wallSeconds: number;
  /** CPU seconds of the process (every thread) during the run: less hit by other processes than wall time. */
  cpuSeconds: number;
  /** Median ms of a step, per epoch. */
  medianStepMs: number[];
  /** Wall seconds of all steps together (mssmc only). */
  stepSeconds: number | undefined;
  /** Multiply-adds per example of the step each epoch ended on, and samples/s per epoch (mssmc only). */
  macsPerEpoch: number[];
  samplesPerEpoch: number[];
  /** Seconds to cut, compile and open the step of the run's final frozen set. */
  compileSeconds: number | undefined;
  auc: Record<string, number>;
  closed: number | undefined;
  frozen: number | undefined;
}

/** Gates whose deterministic value is exactly 0 (as the export folds them). */
function closedGates(spec: Spec, result: TrainResult, groups: readonly { name: string }[]): number {
  let closed = 0;
  for (const g of groups) for (const z of foldGate(result.state.params.get(logAlphaParam(g.name))!, spec.gates.gamma, spec.gates.zeta)) if (z === 0) closed++;
  return closed;
}

/** Seconds to cut the forward for a run's final frozen set, compile that step and open it: what one switch costs. */
async function stepCompileSeconds(manifest: Manifest, result: TrainResult): Promise<number> {
  const started = performance.now();
  const step = sparseStep(manifest.spec, cutForward(manifest.spec, frozenNoise(manifest, result.state.frozen)));
  await (await openSession(step.bytes, { device: "cpu", threads: 1 })).release();
  return (performance.now() - started) / 1000;
}

/** Every StepRunner.run's wall time, in order, while `record` holds them. */
const stepTimes: { record: number[] | undefined } = { record: undefined };
const run = StepRunner.prototype.run;
StepRunner.prototype.run = async function (this: StepRunner, ...args: Parameters<StepRunner["run"]>) {
  const started = performance.now();
  const result = await run.apply(this, args);
  stepTimes.record?.push(performance.now() - started);
  return result;
};

/** Per epoch, the median of its steps' times. */
const epochMedians = (times: readonly number[], perEpoch: number): number[] => Array.from({ length: Math.ceil(times.length / perEpoch) }, (_e, e) => median(times.slice(e * perEpoch, (e + 1) * perEpoch)));

/** The rows of a data set as PyTorch reads them (bench/torch/train.py): ids [rows, tables] int64, numeric [rows, n] float32, labels [rows, tasks] float32. */
function writeTorchSplit(spec: Spec, data: Dataset, dir: string, split: string): void {
  const [all] = [...batches(spec, data, { batchSize: data.rows, shuffle: false })];
  const fields = spec.fields.filter((f) => f.kind === "categorical").map((f) => f.name);
  const ids = new BigInt64Array(data.rows * fields.length);
  fields.forEach((f, k) => {
    const e = all!.embeddings[f]!;
    for (let r = 0; r < data.rows; r++) ids[r * fields.length + k] = BigInt(e.unique[Number(e.index[r]!)]!);
  });
  const y = new Float32Array(data.rows * spec.tasks.length);
  spec.tasks.forEach((t, k) => {
    const labels = all!.labels[t.name] as Float32Array;
    for (let r = 0; r < data.rows; r++) y[r * spec.tasks.length + k] = labels[r]!;
  });
  writeFileSync(join(dir, `${split}.ids`), ids);
  writeFileSync(join(dir, `${split}.x`), all!.numeric);
  writeFileSync(join(dir, `${split}.y`), y);
}

/** What bench/torch/train.py prints. */
interface TorchRun {
  wall_seconds: number;
  cpu_seconds: number;
  epoch_seconds: number[];
  median_step_ms: number[];
  auc: Record<string, number>;
}

async function main(argv: readonly string[]): Promise<void> {
  const epochs = wholeNumber(argv, "epochs", 10, 1);
  const repeats = wholeNumber(argv, "repeats", 1, 1);
  const threadCounts = numberList(argv, "threads", [1, 2], true);
  const seeds = numberList(argv, "seeds", [7], true);
  const only = optionText(argv, "only")?.split(",");
  const python = optionText(argv, "python") ?? "/usr/bin/python3";
  const thresholds = numberList(argv, "thresholds", []);
  const variants = [
    ...VARIANTS.filter((v) => (v.freezing === undefined ? argv.includes("--torch") : !only || only.includes(v.name) || v.name === "off")),
    ...thresholds.map((threshold): Variant => ({ name: `on, ε ${threshold}`, freezing: true, holds: "all", threshold })),
  ];
  const root = packageRoot();
  const data = resolve(root, "..", "shared", "data", "adult");
  const zooSpec = zooMssm();
  const base: Spec = { ...zooSpec, train: { ...zooSpec.train, epochs } };
  const training = await loadTrainingData(base, join(data, "adult.data"), { validFraction: 0, seed: base.train.seed });
  const test = (await loadData(base, join(data, "adult.test"), training.preprocessing)).data;
  const perEpoch = Math.ceil(training.train.rows / base.train.batch);
  const torchDir = mkdtempSync(join(tmpdir(), "mssmc-sparse-torch-"));
  const categorical = base.fields.filter((f) => f.kind === "categorical").map((f) => f.name);
  writeFileSync(join(torchDir, "meta.json"), JSON.stringify({ tables: categorical.map((f) => tableRows(training.preprocessing, f)), tasks: base.tasks.map((t) => t.name) }));
  writeTorchSplit(base, training.train, torchDir, "train");
  writeTorchSplit(base, test, torchDir, "test");
  const out: Row[] = [];
  // The order of the variants turns by one each round: the runs share a process, and a run's first
  // epoch is slower when it comes first (its step outputs land in fresh pages; bench/RESULTS.md).
  let round = 0;
  for (const seed of seeds) {
    for (let r = 0; r < repeats; r++) {
      const turn = round++ % variants.length;
      for (const threads of threadCounts) {
        for (const variant of [...variants.slice(turn), ...variants.slice(0, turn)]) {
          const row = variant.freezing === undefined ? torchRun(python, torchDir, base, seed, threads) : await mssmcRun(variant, base, seed, threads, training, test, perEpoch);
          if (typeof row === "string") {
            process.stderr.write(`PyTorch: ${row}\n`);
            continue;
          }
          out.push({ ...row, variant: variant.name, seed, repeat: r, threads });
          process.stderr.write(`seed ${seed} repeat ${r + 1} ${variant.name} threads ${threads}: ${row.wallSeconds.toFixed(1)} s\n`);
        }
      }
    }
  }
  Object.assign(SWITCH_COSTS, MEASURED_COSTS);
  GATE_WARMUP_HOLDS.fieldsOnly.clear();
  rmSync(torchDir, { recursive: true, force: true });

  const tasks = Object.keys(out[0]!.auc);
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  const ms = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(2));
  console.log(`zoo MSSM on Adult (${training.train.rows} training rows, adult.test), ${epochs} epochs, batch ${base.train.batch}, seeds ${seeds.join(", ")}, ${repeats} repeat(s); node ${process.version}`);
  console.log(
    markdownTable(
      ["variant", "seed", "threads", "wall s", "CPU s", "steps / wall", "median step ms epoch 1", "median step ms last", "MACs/example last", ...tasks.map((t) => `AUC ${t}`), "gates closed", "frozen", "step compile s"],
      out.map((r) => [r.variant, String(r.seed), String(r.threads), r.wallSeconds.toFixed(1), r.cpuSeconds.toFixed(1), r.stepSeconds === undefined ? "-" : `${((100 * r.stepSeconds) / r.wallSeconds).toFixed(0)}%`, ms(r.medianStepMs[0]), ms(r.medianStepMs.at(-1)), r.macsPerEpoch.length ? fmt(r.macsPerEpoch.at(-1)!) : "-", ...tasks.map((t) => r.auc[t]!.toFixed(4)), String(r.closed ?? "-"), String(r.frozen ?? "-"), r.compileSeconds?.toFixed(2) ?? "-"]),
    ).join("\n"),
  );
  console.log("\nPer epoch: MACs/example of the step it ended on (thousands), median step ms");
  console.log(
    markdownTable(
      ["variant", "seed", "threads", ...Array.from({ length: epochs }, (_m, e) => `epoch ${e + 1}`)],
      out.map((r) => [r.variant, String(r.seed), String(r.threads), ...r.medianStepMs.map((m, e) => (r.macsPerEpoch.length ? `${(r.macsPerEpoch[e]! / 1000).toFixed(1)}k, ${m.toFixed(2)}` : m.toFixed(2)))]),
    ).join("\n"),
  );
  const off = (r: Row) => out.find((o) => o.variant === "off" && o.seed === r.seed && o.repeat === r.repeat && o.threads === r.threads);
  const torch = (r: Row) => out.find((o) => o.variant === "PyTorch (dense)" && o.seed === r.seed && o.repeat === r.repeat && o.threads === r.threads);
  const ratio = (xs: (number | undefined)[]) => {
    const ys = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
    return ys.length ? `${median(ys).toFixed(2)} [${Math.min(...ys).toFixed(2)}, ${Math.max(...ys).toFixed(2)}]` : "-";
  };
  console.log("\nPer variant and threads, over seeds and repeats: median [min, max] of each run's ratio (above 1: the variant is faster), and test AUC against \"off\" (mean [min, max] over runs)");
  console.log(
    markdownTable(
      ["variant", "threads", "runs", "wall off / variant", "CPU off / variant", "steps / wall", "epoch 1 / last epoch median step", "PyTorch wall / variant", "PyTorch CPU / variant", ...tasks.map((t) => `AUC ${t} vs off`), "gates closed"],
      variants.flatMap((v) =>
        threadCounts.map((threads) => {
          const mine = out.filter((r) => r.variant === v.name && r.threads === threads);
          return [
            v.name,
            String(threads),
            String(mine.length),
            ratio(mine.map((r) => (off(r)?.wallSeconds ?? NaN) / r.wallSeconds)),
            ratio(mine.map((r) => (off(r)?.cpuSeconds ?? NaN) / r.cpuSeconds)),
            ratio(mine.map((r) => (r.stepSeconds ?? NaN) / r.wallSeconds)),
            ratio(mine.map((r) => r.medianStepMs[0]! / r.medianStepMs.at(-1)!)),
            ratio(mine.map((r) => (torch(r)?.wallSeconds ?? NaN) / r.wallSeconds)),
            ratio(mine.map((r) => (torch(r)?.cpuSeconds ?? NaN) / r.cpuSeconds)),
            ...tasks.map((t) => spread(mine.flatMap((r) => (off(r) ? [r.auc[t]! - off(r)!.auc[t]!] : [])), 4, true)),
            spread(mine.flatMap((r) => (r.closed === undefined ? [] : [r.closed])), 0),
          ];
        }),
      ),
    ).join("\n"),
  );
}

/** One mssmc run of a variant. */
async function mssmcRun(variant: Variant, base: Spec, seed: number, threads: number, training: { train: Dataset; preprocessing: Parameters<typeof train>[1]["preprocessing"] }, test: Dataset, perEpoch: number): Promise<Omit<Row, "variant" | "seed" | "repeat" | "threads">> {
  Object.assign(SWITCH_COSTS, MEASURED_COSTS, variant.freeSwitches ? { switchSeconds: 0, cutStepSeconds: 0 } : {});
  const spec: Spec = { ...base, train: { ...base.train, seed, prune_during_training: variant.freezing!, ...(variant.threshold === undefined ? {} : { freeze_threshold: variant.threshold }) } };
  if (variant.holds === "fields") GATE_WARMUP_HOLDS.fieldsOnly.add(spec.model);
  else GATE_WARMUP_HOLDS.fieldsOnly.delete(spec.model);
  const artifact = compileSpec(spec);
  stepTimes.record = [];
  const { result, wallSeconds, cpuSeconds } = await timedTrain(artifact, { train: training.train, valid: test, preprocessing: training.preprocessing }, threads);
  const times = stepTimes.record;
  stepTimes.record = undefined;
  const last = result.history.at(-1)!;
  return {
    wallSeconds,
    cpuSeconds,
    medianStepMs: epochMedians(times, perEpoch),
    stepSeconds: times.reduce((a, b) => a + b, 0) / 1000,
    macsPerEpoch: result.history.map((h) => h.macs_per_example),
    samplesPerEpoch: result.history.map((h) => h.samples_per_second),
    compileSeconds: variant.freezing && result.state.frozen.size ? await stepCompileSeconds(artifact.manifest, result) : undefined,
    auc: Object.fromEntries(Object.entries(last.valid!).map(([task, m]) => [task, (m as { auc: number }).auc])),
    closed: closedGates(spec, result, artifact.manifest.gate_groups),
    frozen: last.gates_frozen,
  };
}

/** One PyTorch run (bench/torch/train.py), or why it could not run. */
function torchRun(python: string, dir: string, spec: Spec, seed: number, threads: number): Omit<Row, "variant" | "seed" | "repeat" | "threads"> | string {
  const script = join(packageRoot(), "bench", "torch", "train.py");
  const args = [script, "--data", dir, "--epochs", String(spec.train.epochs), "--batch", String(spec.train.batch), "--threads", String(threads), "--warmup-epochs", String(gateWarmupEpochs(spec, true)), "--seed", String(seed)];
  // Debian's torch does its matmuls in the system BLAS: pin its threads too.
  const r = spawnSync(python, args, { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) } });
  if (r.error) return `${python}: ${r.error.message}`;
  if (r.status !== 0) return (r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`).trim();
  const t = JSON.parse(r.stdout.trim().split("\n").pop()!) as TorchRun;
  return { wallSeconds: t.wall_seconds, cpuSeconds: t.cpu_seconds, medianStepMs: t.median_step_ms, stepSeconds: undefined, macsPerEpoch: [], samplesPerEpoch: [], compileSeconds: undefined, auc: t.auc, closed: undefined, frozen: undefined };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
