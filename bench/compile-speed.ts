import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { compileSpec } from "../compiler/compile.js";
import { lowerSpec } from "../compiler/lower/lower-spec.js";
import { emitModel } from "../compiler/onnx/emit.js";
import { packageRoot } from "../base/package-root.js";
import { loadSpec, type LoadResult } from "../compiler/load/load.js";
import type { Spec } from "../compiler/load/types.js";
import { buildTrainStep } from "../compiler/train-step.js";
import { DEFAULT_SIZE, generateSpec } from "./check-speed.js";
import { wholeNumber } from "./args.js";

// How long `mssmc compile` takes and how big its graphs are, per zoo spec and for the generated
// large spec of check-speed.ts. Targets: under 200 ms per zoo spec, under 2 s for the
// 500-field spec; they are printed next to the medians, not asserted (test/bench keeps the code
// running). For the large spec a second table splits compileSpec into its stages.
//
//   node dist/bench/compile-speed.js [--runs N] [--large-runs N]

/** Median, 90th percentile and minimum of some durations in ms. */
export interface Stats {
  median: number;
  p90: number;
  min: number;
}

function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { median: at(0.5), p90: at(0.9), min: s[0]! };
}

/** Times `run` `runs` times after `warmup` untimed runs. */
function time(run: () => unknown, runs: number, warmup: number): Stats {
  for (let i = 0; i < warmup; i++) run();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

/** One row of the table: sizes of the compiled model and the time to load and compile it. */
export interface CompileRow {
  spec: string;
  params: number;
  gates: number;
  forwardNodes: number;
  trainNodes: number;
  evalNodes: number;
  trainKiB: number;
  load: Stats;
  /** compileSpec alone: lowering (train and eval), autodiff and optimizers, emission, manifest. */
  compile: Stats;
  targetMs: number;
}

/** Loads (`load` must succeed) and compiles one spec `runs` times after `warmup` runs. */
export function measureCompile(spec: string, load: () => LoadResult, targetMs: number, runs: number, warmup: number): CompileRow {
  const loaded = load();
  if (!loaded.spec) throw new Error(`${spec} does not check: ${loaded.diagnostics.map((d) => d.message).join("; ")}`);
  const checked = loaded.spec;
  const artifact = compileSpec(checked);
  return {
    spec,
    params: artifact.manifest.summary.params,
    gates: artifact.manifest.summary.gates,
    forwardNodes: lowerSpec(checked, { mode: "train" }).nodes.length,
    trainNodes: artifact.train.nodes.length,
    evalNodes: artifact.eval.nodes.length,
    trainKiB: artifact.files["train.onnx"].length / 1024,
    load: time(load, runs, warmup),
    compile: time(() => compileSpec(checked), runs, warmup),
    targetMs,
  };
}

/** Median time of each stage of compileSpec, in its order (the manifest is left out). */
export function measureStages(spec: Spec, runs: number, warmup: number): { stage: string; ms: Stats }[] {
  let forward = lowerSpec(spec, { mode: "train" });
  let evalGraph = lowerSpec(spec, { mode: "eval" });
  let step = buildTrainStep(forward, { train: spec.train });
  const stages: [string, () => unknown][] = [
    ["lower (train mode)", () => (forward = lowerSpec(spec, { mode: "train" }))],
    ["lower (eval mode)", () => (evalGraph = lowerSpec(spec, { mode: "eval" }))],
    ["autodiff + optimizers", () => (step = buildTrainStep(forward, { train: spec.train }))],
    ["emit train.onnx", () => emitModel(step.graph, { params: "inputs" })],
    ["emit eval.onnx", () => emitModel(evalGraph, { params: "inputs" })],
  ];
  return stages.map(([stage, run]) => ({ stage, ms: time(run, runs, warmup) }));
}

/** The zoo specs that hold a model (adult.mssm is a library), sorted. */
export function zooFiles(): string[] {
  return readdirSync(join(packageRoot(), "specs", "zoo"))
    .filter((f) => f.endsWith(".mssm") && f !== "adult.mssm")
    .sort();
}

/** The table, one line per row. */
export function formatTable(rows: readonly CompileRow[]): string[] {
  const header = ["spec", "params", "L0 gates", "fwd nodes", "step nodes", "eval nodes", "train KiB", "load ms", "compile ms", "p90 ms", "target"];
  const lines = rows.map((r) => [
    r.spec,
    r.params.toLocaleString("en-US"),
    r.gates.toLocaleString("en-US"),
    r.forwardNodes.toLocaleString("en-US"),
    r.trainNodes.toLocaleString("en-US"),
    r.evalNodes.toLocaleString("en-US"),
    r.trainKiB.toFixed(0),
    r.load.median.toFixed(1),
    r.compile.median.toFixed(1),
    r.compile.p90.toFixed(1),
    `< ${r.targetMs} ms ${r.compile.median < r.targetMs ? "met" : "MISSED"}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]! + 2))).join("");
  return [row(header), ...lines.map(row)];
}

function main(argv: string[]): void {
  const option = (name: string, fallback: number) => wholeNumber(argv, name, fallback, 1);
  const runs = option("runs", 20);
  const largeRuns = option("large-runs", 5);
  const zooDir = join(packageRoot(), "specs", "zoo");
  const rows = zooFiles().map((f) => measureCompile(f, () => loadSpec(join(zooDir, f)), 200, runs, 3));
  const text = generateSpec(DEFAULT_SIZE);
  const path = resolve("generated.mssm");
  const loadLarge = () => loadSpec(path, () => text);
  const large = `generated (${DEFAULT_SIZE.fields} fields)`;
  rows.push(measureCompile(large, loadLarge, 2000, largeRuns, 1));
  const stages = measureStages(loadLarge().spec!, largeRuns, 1);
  const out = [
    `compile speed: loadSpec, then compileSpec (lower train + eval, autodiff, optimizers, emit, manifest); median of ${runs} runs after 3 warm-up ` +
      `(${largeRuns} after 1 for the generated spec: ${DEFAULT_SIZE.fields} fields, ${DEFAULT_SIZE.tasks} tasks, ${DEFAULT_SIZE.levels} levels); node ${process.version}`,
    "",
    ...formatTable(rows),
    "",
    `stages of compileSpec for the generated spec (median / p90 ms):`,
    ...stages.map((s) => `  ${s.stage.padEnd(24)}${s.ms.median.toFixed(0).padStart(7)}${s.ms.p90.toFixed(0).padStart(7)}`),
  ];
  process.stdout.write(out.join("\n") + "\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main(process.argv.slice(2));
