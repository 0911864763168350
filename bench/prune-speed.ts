import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-node";
import { packageRoot } from "../base/package-root.js";
import { isMissing, readCsv } from "../runtime/data/csv.js";
import { BadRows } from "../runtime/data/errors.js";
import type { Pruning } from "../runtime/inspect.js";
import { optionText, wholeNumber } from "./args.js";

// Issue 5's benchmark table: for each zoo model, train on Adult with the real CLI (so the numbers
// are those of what a user deploys), export it pruned and unpruned, and print per model what
// pruning removed (closed blocks, constant or unread units, fields), the
// numbers stored, multiply-adds per example (from `mssmc inspect --format json`), graph nodes,
// and onnxruntime-node inference latency at batch 1 and batch 1024 on real adult.test rows fed
// as raw columns (strings for categorical, float32 with NaN for missing numeric).
//
//   node dist/bench/prune-speed.js [--only a,b] [--epochs N] [--reps1 200] [--reps1024 20]
//                                  [--warmup 10] [--threads 1]

/** How hard to measure. */
export interface PruneOptions {
  /** Override train.epochs (undefined: the spec's own). */
  epochs?: number;
  /** Timed runs at batch 1 and at batch 1024 (medians are reported). */
  reps1: number;
  reps1024: number;
  /** Untimed runs before timing, per batch size and variant. */
  warmup: number;
  /** onnxruntime intra-op threads for inference. */
  threads: number;
}

/** One model's measurements, unpruned ("full") and pruned. */
export interface PruneRow {
  model: string;
  params: { full: number; pruned: number };
  macs: { full: number; pruned: number };
  nodes: { full: number; pruned: number };
  /** What pruning removed (from `mssmc inspect`). */
  removed: { blocks: number; units: number; fields: string[] };
  /** Median ms per session.run at batch 1 and 1024. */
  ms1: { full: number; pruned: number };
  ms1024: { full: number; pruned: number };
  /** Largest |pruned - full| over every output score of the 1024 test rows. */
  maxDiff: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const int = (n: number) => Math.round(n).toLocaleString("en-US");

/** The zoo's model files (not the adult.mssm library), sorted. */
export function zooModels(): string[] {
  return readdirSync(join(packageRoot(), "specs", "zoo"))
    .filter((f) => f.endsWith(".mssm") && f !== "adult.mssm")
    .sort();
}

/** Runs the built CLI (dist/cli/mssmc.js) and returns its stdout. */
function mssmc(args: string[]): string {
  return execFileSync(process.execPath, [join(packageRoot(), "dist", "cli", "mssmc.js"), ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

/** The first `n` rows of adult.test as raw column arrays, keyed by column name. */
export async function testColumns(columns: readonly string[], n: number): Promise<Map<string, string[]>> {
  const file = join(packageRoot(), "data", "adult", "adult.test.gz");
  const out = new Map(columns.map((c) => [c, [] as string[]]));
  let rows = 0;
  for await (const row of readCsv(file, columns.map((c) => ({ column: c, usedBy: `input "${c}"` })), new BadRows(false))) {
    row.cells.forEach((cell, i) => out.get(columns[i]!)!.push(cell));
    if (++rows === n) break;
  }
  return out;
}

/** Feeds for the first `batch` rows: strings as read, numbers as float32 (NaN when missing). */
function feeds(session: ort.InferenceSession, cols: Map<string, string[]>, batch: number): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    const cells = cols.get(meta.name)!.slice(0, batch);
    const type = meta.isTensor ? meta.type : "string";
    f[meta.name] = type === "string" ? new ort.Tensor("string", cells, [batch]) : new ort.Tensor("float32", Float32Array.from(cells, (c) => (isMissing(c) ? NaN : Number(c))), [batch]);
  }
  return f;
}

/** Median ms per run of the two sessions on the same feeds, interleaved so load hits both alike. */
async function latency(a: ort.InferenceSession, b: ort.InferenceSession, fa: Record<string, ort.Tensor>, fb: Record<string, ort.Tensor>, reps: number, warmup: number): Promise<[number, number]> {
  for (let i = 0; i < warmup; i++) {
    await a.run(fa);
    await b.run(fb);
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    await a.run(fa);
    ta.push(performance.now() - t);
    t = performance.now();
    await b.run(fb);
    tb.push(performance.now() - t);
  }
  return [median(ta), median(tb)];
}

/** Trains `specFile` on Adult, exports it both ways and measures it. */
export async function measurePrune(specFile: string, o: PruneOptions): Promise<PruneRow> {
  const dir = mkdtempSync(join(tmpdir(), "prune-speed-"));
  try {
    const run = join(dir, "run");
    const adult = join(packageRoot(), "data", "adult", "adult.data.gz");
    mssmc(["train", specFile, "--data", adult, "--valid-fraction", "0.1", "--out", run, "--seed", "7", ...(o.epochs === undefined ? [] : ["--epochs", String(o.epochs)])]);
    const info = JSON.parse(mssmc(["inspect", run, "--format", "json"])) as { model: string; pruning: Pruning };
    const prunedFile = join(dir, "pruned.onnx");
    const fullFile = join(dir, "full.onnx");
    mssmc(["export", run, "-o", prunedFile]);
    mssmc(["export", run, "--no-prune", "-o", fullFile]);
    const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: o.threads, interOpNumThreads: 1, executionMode: "sequential" };
    const full = await ort.InferenceSession.create(fullFile, opts);
    const pruned = await ort.InferenceSession.create(prunedFile, opts);
    // Every input either graph reads (the pruned one may drop fields no group reads).
    const cols = await testColumns([...new Set([...full.inputNames, ...pruned.inputNames])], 1024);
    const [full1, pruned1] = [feeds(full, cols, 1), feeds(pruned, cols, 1)];
    const [fullB, prunedB] = [feeds(full, cols, 1024), feeds(pruned, cols, 1024)];
    const outFull = await full.run(fullB);
    const outPruned = await pruned.run(prunedB);
    let maxDiff = 0;
    for (const name of full.outputNames) {
      const x = outFull[name]!.data as Float32Array;
      const y = outPruned[name]!.data as Float32Array;
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i]! - y[i]!));
    }
    const [f1, p1] = await latency(full, pruned, full1, pruned1, o.reps1, o.warmup);
    const [fB, pB] = await latency(full, pruned, fullB, prunedB, o.reps1024, o.warmup);
    await full.release();
    await pruned.release();
    const p = info.pruning;
    return {
      model: specFile.replace(/^.*[\\/]/, "").replace(/\.mssm$/, ""),
      params: { full: p.params.before, pruned: p.params.after },
      macs: { full: p.macs.before, pruned: p.macs.after },
      nodes: { full: p.nodes.before, pruned: p.nodes.after },
      removed: { blocks: p.blocks, units: p.units, fields: p.fields },
      ms1: { full: f1, pruned: p1 },
      ms1024: { full: fB, pruned: pB },
      maxDiff,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A markdown table: header cells, then rows; every column after the first right-aligned. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)];
}

/** The column names of every model's table. */
export const HEADER = ["variant", "numbers", "mult-adds/example", "nodes", "threads", "batch 1 ms", "batch 1024 ms", "examples/s @1024"] as const;

/** One model's table: unpruned, pruned, and pruned as a fraction of unpruned. */
export function formatPrune(r: PruneRow, o: PruneOptions): string[] {
  const row = (v: "full" | "pruned", label: string) => [label, int(r.params[v]), int(r.macs[v]), int(r.nodes[v]), String(o.threads), r.ms1[v].toFixed(3), r.ms1024[v].toFixed(2), int((1024 * 1000) / r.ms1024[v])];
  const ratio = (k: "params" | "macs" | "nodes" | "ms1" | "ms1024") => `${(r[k].pruned / r[k].full).toFixed(2)}x`;
  return [
    `${r.model}: pruning removed ${r.removed.blocks} block(s), ${r.removed.units} unit(s), ${r.removed.fields.length} field(s)${r.removed.fields.length ? ` (${r.removed.fields.join(", ")})` : ""}; ` +
      `max |pruned - unpruned| score over 1024 test rows ${r.maxDiff.toExponential(1)}`,
    "",
    ...markdownTable(HEADER, [row("full", "unpruned"), row("pruned", "pruned"), ["pruned / unpruned", ratio("params"), ratio("macs"), ratio("nodes"), "", ratio("ms1"), ratio("ms1024"), `${(r.ms1024.full / r.ms1024.pruned).toFixed(2)}x`]]),
  ];
}

/** Command-line entry: one table per selected zoo model, printed as each finishes. */
export async function main(argv: string[]): Promise<void> {
  const option = (name: string, fallback: number) => wholeNumber(argv, name, fallback);
  const epochs = optionText(argv, "epochs") === undefined ? undefined : wholeNumber(argv, "epochs", 0, 1);
  const o: PruneOptions = { epochs, reps1: option("reps1", 200), reps1024: option("reps1024", 20), warmup: option("warmup", 10), threads: option("threads", 1) };
  const i = argv.indexOf("--only");
  const only = i >= 0 ? new Set(argv[i + 1]!.split(",").map((s) => (s.endsWith(".mssm") ? s : `${s}.mssm`))) : undefined;
  const zooDir = join(packageRoot(), "specs", "zoo");
  process.stdout.write(
    `node ${process.version}; onnxruntime-node inference, ${o.threads} intra-op thread(s); epochs ${o.epochs ?? "(spec's own)"}; ` +
      `median of ${o.reps1} runs at batch 1 and ${o.reps1024} at batch 1024 after ${o.warmup} warm-up, pruned and unpruned interleaved; ` +
      `load average ${loadavg()[0]!.toFixed(2)}\n\n`,
  );
  for (const f of zooModels().filter((f) => !only || only.has(f))) {
    const r = await measurePrune(join(zooDir, f), o);
    process.stdout.write(formatPrune(r, o).join("\n") + "\n\n");
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main(process.argv.slice(2));
