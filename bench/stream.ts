import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { freemem, tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../base/package-root.js";
import { optionText, wholeNumber } from "./args.js";

// Streamed against in-memory training on the same rows (docs/design.md, "Data", Streaming):
// `mssmc synth --rows N --format parquet` data (the MMoE recipe: 100 numeric columns, two
// regression labels), one model, one epoch, no validation, each run in its own process under
// /usr/bin/time -v. Columns: the process's peak RSS and wall time; the epoch's samples/s over its
// whole wall time (metrics.jsonl `seconds`: batches read, built and trained on; the loading or
// fitting pass before it is in the process time, not here). The in-memory run is left out when
// the load would not fit (runtime/data/stream-size.ts: 24 bytes a cell above half of free memory).
//
//   node dist/bench/stream.js [--rows 2000000] [--dir /tmp/mssmc-stream-2000000] [--spec specs/synth/shared-bottom.mssm] [--threads 1]

const argv = process.argv.slice(2);
const rows = wholeNumber(argv, "rows", 2_000_000, 1);
const threads = wholeNumber(argv, "threads", 1, 1);
const dir = optionText(argv, "dir") ?? join(tmpdir(), `mssmc-stream-${rows}`);
const spec = optionText(argv, "spec") ?? join(packageRoot(), "specs", "synth", "shared-bottom.mssm");
const cli = join(packageRoot(), "dist", "cli", "mssmc.js");
const data = join(dir, "train.parquet");

if (!existsSync(data)) {
  process.stderr.write(`writing ${rows} rows to ${data} (mssmc synth) ...\n`);
  const r = spawnSync(process.execPath, [cli, "synth", "--out", dir, "--rows", `${rows},1000,1000`, "--format", "parquet"], { stdio: "inherit" });
  if (r.status !== 0) process.exit(1);
}

/** One measured run. */
interface Measured {
  mode: string;
  peakMb: number;
  processSeconds: number;
  epochSeconds: number;
  samplesPerSecond: number;
}

/** Trains one epoch in a child process, streamed or not. */
function measure(mode: "in-memory" | "streamed"): Measured {
  const out = mkdtempSync(join(tmpdir(), "mssmc-stream-run-"));
  try {
    const args = [process.execPath, cli, "train", spec, "--data", data, "--out", join(out, "run"), "--epochs", "1", "--threads", String(threads), "--force"];
    if (mode === "streamed") args.push("--stream");
    const r = spawnSync("/usr/bin/time", ["-v", ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${mode} run failed:\n${r.stderr}`);
    const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)![1]);
    const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr)!;
    const processSeconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
    const record = JSON.parse(readFileSync(join(out, "run", "metrics.jsonl"), "utf8").trim().split("\n")[0]!) as { seconds: number };
    return { mode, peakMb: peakKb / 1024, processSeconds, epochSeconds: record.seconds, samplesPerSecond: rows / record.seconds };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const fits = rows * 102 * 24 <= freemem() / 2;
const results: Measured[] = [];
if (fits) results.push(measure("in-memory"));
results.push(measure("streamed"));

const fmt = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const lines = [
  `${rows.toLocaleString("en-US")} rows (${data}), ${spec.replace(packageRoot() + "/", "")}, 1 epoch, ${threads} thread${threads === 1 ? "" : "s"}`,
  "",
  "| mode      | peak RSS MB | process s | epoch s | samples/s (epoch) | vs in-memory |",
  "|-----------|-------------|-----------|---------|-------------------|--------------|",
  ...results.map(
    (m) =>
      `| ${m.mode.padEnd(9)} | ${fmt(m.peakMb).padStart(11)} | ${fmt(m.processSeconds, 1).padStart(9)} | ${fmt(m.epochSeconds, 1).padStart(7)} | ${fmt(m.samplesPerSecond).padStart(17)} | ${
        fits ? `${fmt((100 * m.samplesPerSecond) / results[0]!.samplesPerSecond)}%`.padStart(12) : "(no fit)".padStart(12)
      } |`,
  ),
];
if (!fits) lines.push("", `in-memory left out: ${rows} rows x 102 columns x 24 bytes is more than half of the ${fmt(freemem() / 1e9, 1)} GB free`);
process.stdout.write(lines.join("\n") + "\n");
