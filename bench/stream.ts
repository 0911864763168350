import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { freemem, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../base/package-root.js";
import { optionText, wholeNumber } from "./args.js";

// Streamed against in-memory training (docs/design.md, "Data", Streaming): `mssmc synth --rows N
// --format parquet` data (the MMoE recipe: 100 numeric columns, two regression labels), one model,
// one epoch, no validation, each run in its own process under /usr/bin/time -v. Columns: the
// process's peak RSS and wall time; the epoch's samples/s over its whole wall time (metrics.jsonl
// `seconds`: batches read, built and trained on; the loading or fitting pass before it is in the
// process time, not here). The in-memory run reads `--memory-rows` rows (default: the streamed
// file's, when the load fits: runtime/data/stream-size.ts, 24 bytes a cell within half of free
// memory), so a file too large for memory is compared with the largest one that fits.
// `--repeats R` runs R rounds of (in-memory, streamed), so both modes see the same load.
//
//   node dist/bench/stream.js [--rows 2000000] [--dir /tmp/mssmc-stream-2000000] [--memory-rows N] [--memory-dir DIR]
//                             [--spec specs/synth/shared-bottom.mssm] [--threads 1] [--repeats 1]

const argv = process.argv.slice(2);
const rows = wholeNumber(argv, "rows", 2_000_000, 1);
const threads = wholeNumber(argv, "threads", 1, 1);
const repeats = wholeNumber(argv, "repeats", 1, 1);
const spec = optionText(argv, "spec") ?? join(packageRoot(), "specs", "synth", "shared-bottom.mssm");
const cli = join(packageRoot(), "dist", "cli", "mssmc.js");
const fits = (n: number) => n * 102 * 24 <= freemem() / 2;
const memoryRows = wholeNumber(argv, "memory-rows", fits(rows) ? rows : 0, 0);

/** The training file of `n` rows under `dir`, written by `mssmc synth` when missing. */
function dataFile(n: number, dir: string): string {
  const data = join(dir, "train.parquet");
  if (!existsSync(data)) {
    process.stderr.write(`writing ${n} rows to ${data} (mssmc synth) ...\n`);
    const r = spawnSync(process.execPath, [cli, "synth", "--out", dir, "--rows", `${n},1000,1000`, "--format", "parquet"], { stdio: "inherit" });
    if (r.status !== 0) process.exit(1);
  }
  return data;
}
const streamed = { rows, data: dataFile(rows, optionText(argv, "dir") ?? join(tmpdir(), `mssmc-stream-${rows}`)) };
const inMemory = memoryRows > 0 ? { rows: memoryRows, data: memoryRows === rows ? streamed.data : dataFile(memoryRows, optionText(argv, "memory-dir") ?? join(tmpdir(), `mssmc-stream-${memoryRows}`)) } : undefined;

/** One measured run. */
interface Measured {
  mode: string;
  rows: number;
  peakMb: number;
  processSeconds: number;
  epochSeconds: number;
  samplesPerSecond: number;
}

/** Trains one epoch in a child process, streamed or not. */
function measure(mode: "in-memory" | "streamed", file: { rows: number; data: string }): Measured {
  const out = mkdtempSync(join(tmpdir(), "mssmc-stream-run-"));
  try {
    const args = [process.execPath, cli, "train", spec, "--data", file.data, "--out", join(out, "run"), "--epochs", "1", "--threads", String(threads), "--force"];
    if (mode === "streamed") args.push("--stream");
    const r = spawnSync("/usr/bin/time", ["-v", ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${mode} run failed:\n${r.stderr}`);
    const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)![1]);
    const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr)!;
    const processSeconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
    const record = JSON.parse(readFileSync(join(out, "run", "metrics.jsonl"), "utf8").trim().split("\n")[0]!) as { seconds: number };
    return { mode, rows: file.rows, peakMb: peakKb / 1024, processSeconds, epochSeconds: record.seconds, samplesPerSecond: file.rows / record.seconds };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const loadBefore = loadavg()[0]!;
const results: Measured[] = [];
const ratios: number[] = [];
for (let round = 0; round < repeats; round++) {
  const memory = inMemory ? measure("in-memory", inMemory) : undefined;
  const stream = measure("streamed", streamed);
  results.push(...(memory ? [memory] : []), stream);
  if (memory) ratios.push(stream.samplesPerSecond / memory.samplesPerSecond);
}
const loadAfter = loadavg()[0]!;

const fmt = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const lines = [
  `${rows.toLocaleString("en-US")} rows streamed (${streamed.data})${inMemory ? `, ${inMemory.rows.toLocaleString("en-US")} in memory (${inMemory.data})` : ""}, ${spec.replace(packageRoot() + "/", "")}, 1 epoch, ${threads} thread${threads === 1 ? "" : "s"}, ${repeats} round${repeats === 1 ? "" : "s"}; load average ${fmt(loadBefore, 1)} before, ${fmt(loadAfter, 1)} after`,
  "",
  "| mode      |       rows | peak RSS MB | process s | epoch s | samples/s (epoch) | vs in-memory (its round) |",
  "|-----------|------------|-------------|-----------|---------|-------------------|--------------------------|",
  ...results.map((m, i) => {
    const ratio = m.mode === "streamed" && inMemory ? `${fmt(100 * ratios[Math.floor(i / 2)]!)}%` : m.mode === "in-memory" ? "100%" : "(no fit)";
    return `| ${m.mode.padEnd(9)} | ${fmt(m.rows).padStart(10)} | ${fmt(m.peakMb).padStart(11)} | ${fmt(m.processSeconds, 1).padStart(9)} | ${fmt(m.epochSeconds, 1).padStart(7)} | ${fmt(m.samplesPerSecond).padStart(17)} | ${ratio.padStart(24)} |`;
  }),
];
if (ratios.length > 1) {
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
  lines.push("", `streamed / in-memory samples/s per round: ${ratios.map((r) => `${fmt(100 * r)}%`).join(", ")}; median ${fmt(100 * median)}%`);
}
if (!inMemory) lines.push("", `in-memory left out: ${rows} rows x 102 columns x 24 bytes is more than half of the ${fmt(freemem() / 1e9, 1)} GB free (give --memory-rows)`);
process.stdout.write(lines.join("\n") + "\n");
