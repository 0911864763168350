import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { compileSpec } from "../compiler/compile.js";
import { packageRoot } from "../base/package-root.js";
import { loadSpec } from "../compiler/load/load.js";
import type { Spec } from "../compiler/load/types.js";
import { batches, type Batch } from "../runtime/data/batches.js";
import { loadTrainingData } from "../runtime/data/dataset.js";
import { openSession } from "../runtime/session.js";
import { StepRunner } from "../runtime/step.js";
import { initialState } from "../runtime/train.js";
import { measureStep, syntheticData, zooModels, type StepRow } from "./train-step.js";
import { numberList, optionText, wholeNumber } from "./args.js";

// Issue 4's benchmark table, three parts, each printed as a markdown table:
//  (a) per zoo model at one batch size: training samples/s and median step time (bench/train-step's
//      measureStep: the runtime's own StepRunner), with the intra-op thread count;
//  (b) step time against the vocabulary of ONE hashed categorical field (10^3 .. 10^6 rows): the
//      table lives in the runtime's embedding store and a step gathers only the batch's rows, so
//      step time should stay flat (target: 10^6 within 1.3x of 10^3); the table's memory is shown;
//  (c) data loading's share of an epoch: reading and encoding adult.data against one training
//      epoch of the MSSM zoo model on it, and building that epoch's batches.
//
// Part (a) runs once per thread count of `--threads` (default 1,2: one core, and both of this
// machine's); parts (b) and (c) use the first.
//
//   node dist/bench/train-speed.js [--steps N] [--warmup N] [--batch N] [--threads 1,2] [--only a,b]
//                                  [--vocab 1000,10000,100000,1000000] [--cold] [--parts a,b,c] [--data FILE]

export interface SpeedOptions {
  steps: number;
  warmup: number;
  batch: number;
  threads: number;
  /** Part (b): leave the store's fresh tables unwritten (first steps pay page faults). */
  cold?: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** A markdown table: header cells, then rows; every column after the first right-aligned. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)];
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");

/** Part (a): one row per zoo model. */
export async function zooSpeed(files: readonly string[], o: SpeedOptions): Promise<StepRow[]> {
  const rows: StepRow[] = [];
  for (const f of files) rows.push(await measureStep(f, o));
  return rows;
}

/** Part (a) as a markdown table. */
export function formatZoo(rows: readonly StepRow[], o: SpeedOptions): string[] {
  return markdownTable(
    ["model", "batch", "threads", "samples/s", "median step ms", "session.run ms"],
    rows.map((r) => [r.spec.replace(/\.mssm$/, ""), String(o.batch), String(o.threads), int(r.samplesPerSecond), r.stepMs.toFixed(2), r.runMs.toFixed(2)]),
  );
}

/** The spec of part (b): one hashed categorical field of `buckets` rows, one numeric field, one binary task. */
export function vocabSpecText(buckets: number): string {
  return [
    "fields {",
    `  item  categorical(dim: 16, hash_buckets: ${buckets})`,
    "  x     numeric",
    "}",
    "tasks { click binary(label: y) }",
    "model vocab_sweep {",
    "  groups shared",
    "  level 1 { experts: mlp[64, 32] relu }",
    "  towers { tower: mlp[16] relu }",
    "  train { optimizer: adam(lr: 1e-3), batch: 1024, seed: 7 }",
    "}",
    "",
  ].join("\n");
}

/** One row of part (b). */
export interface VocabRow {
  rows: number;
  /** Bytes of the table and its optimizer state rows in the embedding store. */
  tableBytes: number;
  stepMs: number;
  samplesPerSecond: number;
  /** Mean unique rows gathered per step. */
  uniqueRows: number;
  /** Median session.run time, and median time of the rest of the step (gate noise, gathering rows from the store and scattering them back, feeds). */
  runMs: number;
  outsideMs: number;
}

/** Loads a spec from text (a virtual file), throwing with its diagnostics when it does not check. */
export function specFromText(text: string, name = "bench.mssm"): Spec {
  const loaded = loadSpec(name, (p) => {
    if (p !== name) throw new Error(`no file ${p}`);
    return text;
  });
  if (!loaded.spec) throw new Error(`${name} does not check: ${loaded.diagnostics.map((d) => d.message).join("; ")}`);
  return loaded.spec;
}

/** Times the runtime's step on the vocab-sweep spec for each table size. */
export async function vocabSpeed(sizes: readonly number[], o: SpeedOptions): Promise<VocabRow[]> {
  // Every size is set up first, then the steps are interleaved (one step of each size per round),
  // so a change in the shared machine's load hits every size alike instead of whichever size was
  // running then; the median per size is over its timed rounds.
  const runs = [];
  for (const buckets of sizes) {
    const base = specFromText(vocabSpecText(buckets));
    const spec: Spec = { ...base, train: { ...base.train, batch: o.batch } };
    const artifact = compileSpec(spec);
    const { data, preprocessing } = syntheticData(spec, o.batch * 16);
    const state = initialState(artifact.manifest, preprocessing, spec.train.seed);
    const table = state.store.table("item");
    // A fresh Float32Array is calloc'd: its pages are mapped on first write, so the first steps
    // on a large table pay a page fault per new page their scatter writes (see --cold). Writing
    // each page once first measures the steady state of a long run.
    if (!o.cold) for (let i = 0; i < table.slab.length; i += 1024) table.slab[i] = table.slab[i]!;
    const tableBytes = table.slab.byteLength;
    const session = await openSession(artifact.files["train.onnx"], { device: "cpu", threads: o.threads });
    const total = o.warmup + o.steps;
    const epochs: Batch[] = [];
    for (let epoch = 0; epochs.length < total; epoch++) epochs.push(...batches(spec, data, { batchSize: o.batch, shuffle: true, seed: spec.train.seed, epoch, dropLast: true }));
    runs.push({ buckets, tableBytes, state, session, batches: epochs, runner: new StepRunner(artifact.manifest, session, total), stepMs: [] as number[], runMs: [] as number[], unique: 0 });
  }
  for (let t = 1; t <= o.warmup + o.steps; t++) {
    for (const r of runs) {
      const batch = r.batches[t - 1]!;
      const s0 = performance.now();
      const run0 = r.runner.timings.run;
      await r.runner.run(r.state, batch, t);
      if (t > o.warmup) {
        r.stepMs.push(performance.now() - s0);
        r.runMs.push(r.runner.timings.run - run0);
        r.unique += batch.embeddings["item"]!.unique.length;
      }
    }
  }
  const out: VocabRow[] = [];
  for (const r of runs) {
    await r.session.release();
    const outside = r.stepMs.map((ms, i) => ms - r.runMs[i]!);
    out.push({ rows: r.buckets, tableBytes: r.tableBytes, stepMs: median(r.stepMs), samplesPerSecond: o.batch / (median(r.stepMs) / 1000), uniqueRows: r.unique / o.steps, runMs: median(r.runMs), outsideMs: median(outside) });
  }
  return out;
}

/** Part (b) as a markdown table, each step time also relative to the first row's. */
export function formatVocab(rows: readonly VocabRow[], o: SpeedOptions): string[] {
  const first = rows[0]?.stepMs ?? NaN;
  return markdownTable(
    ["table rows", "table + Adam state MiB", "unique rows/step", "median step ms", "vs first", "session.run ms", "rest of step ms", "samples/s", "batch", "threads"],
    rows.map((r) => [
      int(r.rows),
      (r.tableBytes / 2 ** 20).toFixed(2),
      int(r.uniqueRows),
      r.stepMs.toFixed(2),
      `${(r.stepMs / first).toFixed(2)}x`,
      r.runMs.toFixed(2),
      r.outsideMs.toFixed(2),
      int(r.samplesPerSecond),
      String(o.batch),
      String(o.threads),
    ]),
  );
}

/** Part (c): the times of loading a training file, building one epoch's batches and training one epoch. */
export interface LoadShare {
  file: string;
  rows: number;
  loadMs: number;
  batchMs: number;
  epochMs: number;
  steps: number;
  /** Loads timed (the minimum is kept). */
  repeats: number;
}

/** Loads `file` for `specFile`'s model (min of `repeats` loads), then builds and trains one epoch. */
export async function loadShare(specFile: string, file: string, o: SpeedOptions, repeats = 3): Promise<LoadShare> {
  const loaded = loadSpec(specFile);
  if (!loaded.spec) throw new Error(`${specFile} does not check`);
  const spec: Spec = { ...loaded.spec, train: { ...loaded.spec.train, batch: o.batch } };
  let loadMs = Infinity;
  let training = undefined as Awaited<ReturnType<typeof loadTrainingData>> | undefined;
  for (let i = 0; i < repeats; i++) {
    const s0 = performance.now();
    training = await loadTrainingData(spec, file, { seed: spec.train.seed });
    loadMs = Math.min(loadMs, performance.now() - s0);
  }
  const data = training!;
  const artifact = compileSpec(spec);
  const state = initialState(artifact.manifest, data.preprocessing, spec.train.seed);
  const session = await openSession(artifact.files["train.onnx"], { device: "cpu", threads: o.threads });
  // One untimed warm-up epoch's first steps, so session start-up is not charged to the epoch.
  const warm = [...batches(spec, data.train, { batchSize: o.batch, shuffle: true, seed: spec.train.seed, epoch: 0 })];
  const runner = new StepRunner(artifact.manifest, session, warm.length * 2);
  for (let t = 0; t < Math.min(o.warmup, warm.length); t++) await runner.run(state, warm[t]!, t + 1);
  const b0 = performance.now();
  const epoch: Batch[] = [...batches(spec, data.train, { batchSize: o.batch, shuffle: true, seed: spec.train.seed, epoch: 1 })];
  const batchMs = performance.now() - b0;
  const e0 = performance.now();
  let t = warm.length;
  for (const batch of epoch) await runner.run(state, batch, ++t);
  const epochMs = performance.now() - e0;
  await session.release();
  return { file: file.split("/").pop()!, rows: data.train.rows, loadMs, batchMs, epochMs, steps: epoch.length, repeats };
}

/** Part (c) as a markdown table. */
export function formatLoadShare(r: LoadShare, model: string, o: SpeedOptions): string[] {
  const total = r.loadMs + r.batchMs + r.epochMs;
  return markdownTable(
    ["phase", "ms", "share of load + 1 epoch"],
    [
      [`load + encode ${r.file} (${int(r.rows)} rows; min of ${r.repeats})`, r.loadMs.toFixed(1), `${((100 * r.loadMs) / total).toFixed(1)}%`],
      [`build one epoch's batches (${r.steps} of ${o.batch})`, r.batchMs.toFixed(1), `${((100 * r.batchMs) / total).toFixed(1)}%`],
      [`train one epoch (${model}, ${r.steps} steps, ${o.threads} thread(s))`, r.epochMs.toFixed(1), `${((100 * r.epochMs) / total).toFixed(1)}%`],
    ],
  );
}

/** The Adult training file shipped with the package. */
export function adultTrainFile(): string {
  return join(packageRoot(), "data", "adult", "adult.data.gz");
}

async function main(argv: string[]): Promise<void> {
  const option = (name: string, fallback: number) => wholeNumber(argv, name, fallback);
  const list = (name: string, fallback: string) => (optionText(argv, name) ?? fallback).split(",");
  const threads = numberList(argv, "threads", [1, 2], true);
  const o: SpeedOptions = { steps: option("steps", 30), warmup: option("warmup", 5), batch: option("batch", 1024), threads: threads[0]!, cold: argv.includes("--cold") };
  const parts = new Set(list("parts", "a,b,c"));
  const only = argv.includes("--only") ? new Set(list("only", "").map((s) => (s.endsWith(".mssm") ? s : `${s}.mssm`))) : undefined;
  const zooDir = join(packageRoot(), "specs", "zoo");
  const out: string[] = [`node ${process.version}; ${threads.join(", ")} intra-op thread(s) (parts b and c: ${o.threads}); batch ${o.batch}; median of ${o.steps} steps after ${o.warmup} warm-up`, ""];
  const print = (lines: string[]) => process.stdout.write(lines.join("\n") + "\n");
  if (parts.has("a")) {
    for (const t of threads) {
      const ot = { ...o, threads: t };
      const rows = await zooSpeed(zooModels().filter((f) => !only || only.has(f)).map((f) => join(zooDir, f)), ot);
      out.push(`(a) training step per zoo model (Adult-like batches), ${t} intra-op thread(s)`, "", ...formatZoo(rows, ot), "");
      print(out.splice(0));
    }
  }
  print(out.splice(0));
  if (parts.has("b")) {
    const sizes = list("vocab", "1000,10000,100000,1000000").map(Number);
    out.push(`(b) one hashed categorical field (dim 16) + one numeric, shared-bottom mlp[64, 32], tower mlp[16]; ids uniform over the table; sizes interleaved step by step; ${o.cold ? "cold tables (fresh pages)" : "table pages written once before timing"}`, "", ...formatVocab(await vocabSpeed(sizes, o), o), "");
  }
  print(out.splice(0));
  if (parts.has("c")) {
    const i = argv.indexOf("--data");
    const file = i >= 0 ? argv[i + 1]! : adultTrainFile();
    const r = await loadShare(join(zooDir, "mssm.mssm"), file, o);
    out.push("(c) data loading's share (MSSM zoo model)", "", ...formatLoadShare(r, "mssm", o), "");
  }
  print(out);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main(process.argv.slice(2));
