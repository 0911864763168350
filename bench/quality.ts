import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { compileSpec } from "../compiler/compile.js";
import { packageRoot } from "../base/package-root.js";
import { loadSpec } from "../compiler/load/load.js";
import type { Spec } from "../compiler/load/types.js";
import { checkpointPath, readCheckpoint } from "../runtime/checkpoint.js";
import { loadData, loadTrainingData } from "../runtime/data/dataset.js";
import { predictDataset, taskMetrics } from "../runtime/evaluate.js";
import { exportModel } from "../runtime/export.js";
import { openSession } from "../runtime/session.js";
import { SYNTH_DEFAULTS, writeSynth } from "../runtime/synth.js";
import type { TrainedModel } from "../runtime/trained-model.js";
import { train } from "../runtime/train.js";
import { markdownTable } from "./train-speed.js";
import { optionText } from "./args.js";

// Issue 7.2: model quality per architecture. Every zoo architecture on Adult (income and
// never_married: test AUC) and the synthetic specs (specs/synth) on `mssmc synth` data for task
// correlations p (y1 and y2: test MSE), several seeds each, early stopping on validation (the
// best checkpoint is evaluated). Per model: the metric per task as mean ± std over seeds, dense
// parameters and multiply-adds per example (the compiler's summary of the lowered graph), and the
// fraction of L0 gates closed at inference (folded gates exactly 0, as `mssmc export` counts them).
//
//   node dist/bench/quality.js [--parts adult,synth] [--seeds 1,2,3] [--only mssm,mmoe]
//        [--epochs N] [--patience N] [--valid-fraction F] [--correlations 0.5,0.9,1]
//        [--synth-rows 10000,1000,1000] [--threads N]
//
// Adult validation: a seeded random --valid-fraction of adult.data (seed = the run's seed); the
// test set is adult.test. Synthetic data: one data set per p (seed 1), shared by every model and
// seed, so the seeds vary only the models' initialisation, batch order and gate noise.

export interface QualityOptions {
  seeds: number[];
  /** Override train.epochs (undefined: the spec's). */
  epochs?: number;
  /** Override train.patience (epochs without validation improvement before stopping). */
  patience: number;
  validFraction: number;
  threads: number;
  /** Synthetic split sizes. */
  synthRows: { train: number; valid: number; test: number };
}

/** One trained run's outcome. */
export interface RunOutcome {
  seed: number;
  /** AUC (binary) or MSE (regression) per task on the test data. */
  metrics: Record<string, number>;
  epochs: number;
  bestEpoch: number;
  gates: { total: number; closed: number };
  /** Wall time of the whole run (load, compile, train, test, export), and of training alone (every epoch with its validation). */
  seconds: number;
  trainSeconds: number;
}

/** One table row: a model on a data set over seeds. */
export interface QualityRow {
  model: string;
  data: string;
  /** Task name -> metric name ("AUC" or "MSE"). */
  metric: Record<string, string>;
  params: number;
  macs: number;
  runs: RunOutcome[];
}

/**
 * Trains `spec` (seed overridden) on train/valid files, evaluates the best checkpoint on test;
 * `onModel` sees that checkpoint's trained model before the run folder is removed.
 */
export async function trainAndTest(
  base: Spec,
  files: { train: string; valid?: string; test: string },
  seed: number,
  o: Pick<QualityOptions, "epochs" | "patience" | "validFraction" | "threads">,
  onModel?: (model: TrainedModel) => void,
): Promise<RunOutcome> {
  const started = performance.now();
  const spec: Spec = structuredClone(base);
  spec.train.seed = seed;
  spec.train.patience = o.patience;
  if (o.epochs !== undefined) spec.train.epochs = o.epochs;
  const artifact = compileSpec(spec);
  const loaded = await loadTrainingData(spec, files.train, { validFraction: files.valid ? 0 : o.validFraction, seed });
  const valid = files.valid ? (await loadData(spec, files.valid, loaded.preprocessing)).data : loaded.valid;
  const test = (await loadData(spec, files.test, loaded.preprocessing)).data;
  const runDir = mkdtempSync(join(tmpdir(), "mssmc-quality-"));
  try {
    const trainStarted = performance.now();
    const result = await train(
      { manifest: artifact.manifest, train: artifact.files["train.onnx"], eval: artifact.files["eval.onnx"] },
      { train: loaded.train, valid, preprocessing: loaded.preprocessing },
      { runDir, device: "cpu", threads: o.threads, log: () => {} },
    );
    const trainSeconds = (performance.now() - trainStarted) / 1000;
    const best = readCheckpoint(checkpointPath(runDir, "best"), artifact.manifest).state;
    const session = await openSession(artifact.files["eval.onnx"], { device: "cpu", threads: o.threads });
    const tables = best.store.valueTables();
    const m = taskMetrics(spec, await predictDataset(session, artifact.manifest, { params: best.params, tables }, test), test);
    await session.release();
    const model: TrainedModel = { manifest: artifact.manifest, params: best.params, tables, preprocessing: loaded.preprocessing };
    const exported = exportModel(model);
    onModel?.(model);
    const metrics: Record<string, number> = {};
    for (const [task, v] of Object.entries(m)) metrics[task] = "auc" in v ? v.auc : "rmse" in v ? v.rmse * v.rmse : v.accuracy;
    return { seed, metrics, epochs: result.history.length, bestEpoch: best.best?.epoch ?? result.history.length, gates: exported.gates, seconds: (performance.now() - started) / 1000, trainSeconds };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** Runs one spec file over every seed. */
export async function qualityRow(specFile: string, data: string, files: { train: string; valid?: string; test: string }, o: QualityOptions, onRun?: (r: RunOutcome) => void): Promise<QualityRow> {
  const loaded = loadSpec(specFile);
  if (!loaded.spec) throw new Error(`${specFile} does not check: ${loaded.diagnostics.map((d) => d.message).join("; ")}`);
  const spec = loaded.spec;
  const summary = compileSpec(spec).manifest.summary;
  const runs: RunOutcome[] = [];
  for (const seed of o.seeds) {
    const r = await trainAndTest(spec, files, seed, o);
    onRun?.(r);
    runs.push(r);
  }
  const metric = Object.fromEntries(spec.tasks.map((t) => [t.name, t.kind === "binary" ? "AUC" : t.kind === "regression" ? "MSE" : "accuracy"]));
  return { model: specFile.split("/").pop()!.replace(/\.mssm$/, ""), data, metric, params: summary.params, macs: summary.macsPerExample, runs };
}

/** Mean and sample standard deviation (0 for one value). */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

/** The table of rows on one data set: one column per task (mean ± std), then sizes and gates. */
export function formatQuality(rows: readonly QualityRow[]): string[] {
  if (rows.length === 0) return [];
  // Every task any row has, in first-seen order; a model without a task (single-task) shows "–".
  const tasks = [...new Set(rows.flatMap((r) => Object.keys(r.metric)))];
  const metricOf = (t: string) => rows.find((r) => r.metric[t])!.metric[t]!;
  const header = ["model", ...tasks.map((t) => `${t} ${metricOf(t)} (mean ± std)`), "seeds", "epochs (best)", "dense params", "mult-adds/example", "gates closed"];
  const digits = 4;
  return markdownTable(
    header,
    rows.map((r) => {
      const gates = r.runs.reduce((a, x) => ({ total: a.total + x.gates.total, closed: a.closed + x.gates.closed }), { total: 0, closed: 0 });
      return [
        r.model,
        ...tasks.map((t) => {
          if (!r.metric[t]) return "–";
          const s = meanStd(r.runs.map((x) => x.metrics[t]!));
          return `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
        }),
        String(r.runs.length),
        r.runs.map((x) => `${x.epochs} (${x.bestEpoch})`).join(", "),
        r.params.toLocaleString("en-US"),
        r.macs.toLocaleString("en-US"),
        gates.total === 0 ? "no gates" : `${((100 * gates.closed) / gates.total).toFixed(1)}% of ${(gates.total / r.runs.length).toLocaleString("en-US")}`,
      ];
    }),
  );
}

/** The model specs of a folder (libraries without a model left out), sorted. */
export function modelSpecs(dir: string, libraries: readonly string[]): string[] {
  return readdirSync(dir).sort().filter((f) => f.endsWith(".mssm") && !libraries.includes(f));
}

async function main(argv: string[]): Promise<void> {
  const value = (name: string) => optionText(argv, name);
  const numbers = (name: string, fallback: string) => (value(name) ?? fallback).split(",").map(Number);
  const rows3 = numbers("synth-rows", `${SYNTH_DEFAULTS.rows.train},${SYNTH_DEFAULTS.rows.valid},${SYNTH_DEFAULTS.rows.test}`);
  const o: QualityOptions = {
    seeds: numbers("seeds", "1,2,3"),
    ...(value("epochs") !== undefined ? { epochs: Number(value("epochs")) } : {}),
    patience: Number(value("patience") ?? 2),
    validFraction: Number(value("valid-fraction") ?? 0.1),
    threads: Number(value("threads") ?? 1),
    synthRows: { train: rows3[0]!, valid: rows3[1]!, test: rows3[2]! },
  };
  const parts = new Set((value("parts") ?? "adult,synth").split(","));
  const only = value("only") ? new Set(value("only")!.split(",").map((s) => (s.endsWith(".mssm") ? s : `${s}.mssm`))) : undefined;
  const root = packageRoot();
  const say = (s: string) => process.stdout.write(s + "\n");
  const progress = (model: string) => (r: RunOutcome) =>
    process.stderr.write(`  ${model} seed ${r.seed}: ${Object.entries(r.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")}; ${r.epochs} epochs (best ${r.bestEpoch}); gates closed ${r.gates.closed}/${r.gates.total}; ${r.seconds.toFixed(1)} s\n`);
  say(`node ${process.version}; ${o.threads} intra-op thread(s); seeds ${o.seeds.join(",")}; epochs ${o.epochs ?? "from each spec"}; patience ${o.patience}`);
  if (parts.has("adult")) {
    const dir = join(root, "specs", "zoo");
    const files = { train: join(root, "data", "adult", "adult.data.gz"), test: join(root, "data", "adult", "adult.test.gz") };
    const rows: QualityRow[] = [];
    for (const f of modelSpecs(dir, ["adult.mssm"]).filter((f) => !only || only.has(f))) rows.push(await qualityRow(join(dir, f), "adult", files, o, progress(f)));
    say("");
    say(`Adult (train adult.data less a seeded ${o.validFraction} validation split, test adult.test): test AUC, best validation epoch`);
    say("");
    for (const line of formatQuality(rows)) say(line);
  }
  if (parts.has("synth")) {
    const dir = join(root, "specs", "synth");
    const work = mkdtempSync(join(tmpdir(), "mssmc-synth-"));
    try {
      for (const p of numbers("correlations", "0.5,0.9,1")) {
        const { files } = writeSynth(join(work, `p${p}`), { ...SYNTH_DEFAULTS, correlation: p, rows: o.synthRows, seed: 1 });
        const rows: QualityRow[] = [];
        for (const f of modelSpecs(dir, ["synth.mssm"]).filter((f) => !only || only.has(f))) rows.push(await qualityRow(join(dir, f), `synth p=${p}`, files, o, progress(`${f} p=${p}`)));
        say("");
        say(`Synthetic (mssmc synth --correlation ${p} --rows ${o.synthRows.train},${o.synthRows.valid},${o.synthRows.test} --seed 1): test MSE`);
        say("");
        for (const line of formatQuality(rows)) say(line);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main(process.argv.slice(2));
