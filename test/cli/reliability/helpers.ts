import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { packageRoot } from "../../../base/package-root.js";
import { tempDir } from "../../runtime/helpers.js";

// Shared by the reliability tests: a small spec on a few hundred Adult rows (two epochs, both
// improving on validation, so best.ckpt is written twice), the built CLI, and strace.

/** The built CLI (npm test compiles with tsc before vitest). */
export const CLI = join(packageRoot(), "dist", "cli", "mssmc.js");

/** Debian's strace, which injects faults into system calls. */
export const STRACE = "/usr/bin/strace";
export const hasStrace = existsSync(STRACE);

/** Two numeric fields and a categorical one of Adult, one binary task. */
export const ADULT_SPEC = `fields {
  age numeric
  hours numeric(column: hours-per-week)
  edu categorical(column: education, dim: 4)
}
tasks {
  income binary(label: Y, positive: [">50K"])
}
model tiny {
  towers { income: mlp[8] relu }
  train { optimizer: adam(lr: 0.01), batch: 64, epochs: 2, seed: 3 }
}
`;

/** The header and first `rows` rows of the bundled Adult training file (data/adult). */
export function adultRows(rows: number): string {
  const text = gunzipSync(readFileSync(join(packageRoot(), "data", "adult", "adult.data.gz"))).toString("utf8");
  return text.split("\n").slice(0, rows + 1).join("\n") + "\n";
}

/** A folder with spec.mssm and train.csv (300 Adult rows) in it. */
export function adultFixture(): { dir: string; spec: string; data: string } {
  const dir = tempDir();
  writeFileSync(join(dir, "spec.mssm"), ADULT_SPEC);
  writeFileSync(join(dir, "train.csv"), adultRows(300));
  return { dir, spec: join(dir, "spec.mssm"), data: join(dir, "train.csv") };
}

/** The arguments of `mssmc train` for the fixture into `out`. */
export const trainArgs = (f: { spec: string; data: string }, out: string): string[] => ["train", f.spec, "--data", f.data, "--valid-fraction", "0.25", "--out", out];

// onnxruntime 1.30 keeps a telemetry database under ~/.cache and flushes it with fsync at moments
// of its own choosing; without it, the fsyncs of a run are the run's own and come in a fixed order.
const env = { ...process.env, NO_COLOR: "1", ORT_DISABLE_TELEMETRY: "1" };

/** Runs the CLI and waits. */
export function mssmc(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env });
}

/** What a finished process gave: its exit code or the signal that ended it, and its standard error. */
export interface Ended {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs a command without blocking the event loop, so several can run at once. */
export function runAsync(command: string, args: string[]): Promise<Ended> {
  return new Promise((done) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status, signal) => done({ status, signal, stderr }));
  });
}

/** The CLI under strace, with a fault injected (`inject` as strace's -e inject= takes it, e.g. `rename:error=EIO:signal=KILL:when=3`). */
export function mssmcWithFault(inject: string, ...args: string[]): Promise<Ended> {
  // (--seccomp-bpf would be faster, but strace 6.1 then returns the error without sending the signal.)
  const syscall = inject.slice(0, inject.indexOf(":"));
  return runAsync(STRACE, ["-f", "-qq", "-o", "/dev/null", "-e", `trace=${syscall}`, "-e", `inject=${inject}`, process.execPath, CLI, ...args]);
}

/**
 * Runs `task` for n = 1, 2, 3, ... in rounds of `width` at once, until a round in which some n
 * gives false (the fault was past the run's last call). Returns the n that gave true.
 */
export async function forEachCall(width: number, limit: number, task: (n: number) => Promise<boolean>): Promise<number[]> {
  const hits: number[] = [];
  for (let first = 1; first <= limit; first += width) {
    const round = Array.from({ length: width }, (_, i) => first + i);
    const results = await Promise.all(round.map(task));
    round.forEach((n, i) => results[i] && hits.push(n));
    if (results.includes(false)) break;
  }
  return hits;
}

/** Every file under a folder, by relative path, with its bytes; metrics.jsonl without its wall-clock timings. */
export function folderContents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = name === "metrics.jsonl" ? withoutTimings(readFileSync(path, "utf8")) : readFileSync(path).toString("base64");
    }
  };
  walk(dir);
  return out;
}

/** metrics.jsonl with the fields that measure time, which no two runs share, removed. */
export function withoutTimings(text: string): string {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const { train_seconds: _a, seconds: _b, samples_per_second: _c, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(rest);
    })
    .join("\n");
}

/** A fresh folder path (not created) for a run. */
export const newRunDir = (): string => join(tempDir(), "run");
