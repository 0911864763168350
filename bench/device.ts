import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { packageRoot } from "../base/package-root.js";
import { compileSpec } from "../compiler/compile.js";
import { predictDataset } from "../runtime/evaluate.js";
import { assertDeviceAvailable, DEVICES, hasVulkanLoader, type Device } from "../runtime/device.js";
import { openSession } from "../runtime/session.js";
import { initialState } from "../runtime/train.js";
import { numberList, optionText, wholeNumber } from "./args.js";
import { benchSpec, measureStep, median, syntheticData, zooModels } from "./train-step.js";

// Training step time and eval latency of every zoo model on each device onnxruntime can start here
// (cpu, webgpu, cuda), on the Adult-like synthetic batches of bench/train-step.ts:
// the runtime's whole step (runtime/step.ts) at batch 1024 and 8192, and one eval.onnx pass over a
// batch of 1 and of 1024 (predictDataset, as `mssmc predict` runs it: building the batch, gathering
// its embedding rows, session.run). Each device is measured in a process of its own, because the
// Vulkan loader's library path must be set when a process starts.
//
//   node dist/bench/device.js [--only a,b] [--devices cpu,webgpu,cuda] [--steps N] [--threads N] [--full]
//
// Without --devices: cpu, then webgpu and cuda where they can start (webgpu on Chromium's
// SwiftShader when no system Vulkan loader is found). On SwiftShader, a Vulkan driver running on
// the CPU, the webgpu numbers show coverage only, not speed; the table says so. There a step of
// MSSM at batch 8192 takes about 17 s (2 cores), so unless --full is given it is timed at batch
// 1024 only, for 1 step.

/** The training batches and eval batches timed. */
export const TRAIN_BATCHES = [1024, 8192] as const;
export const EVAL_BATCHES = [1, 1024] as const;

/** Debian's chromium package: SwiftShader's Vulkan driver and the Vulkan loader it ships. */
const CHROMIUM = "/usr/lib/chromium";
const SWIFTSHADER_ICD = join(CHROMIUM, "vk_swiftshader_icd.json");

/** One model on one device: median step ms per training batch, median eval ms per eval batch. */
export interface DeviceRow {
  spec: string;
  device: Device;
  stepMs: Record<number, number>;
  evalMs: Record<number, number>;
}

export interface DeviceOptions {
  steps: number;
  warmup: number;
  threads: number;
}

/** Median ms of `runs` eval.onnx passes over one synthetic batch of `batch` rows, after one untimed pass. */
export async function measureEval(file: string, device: Device, batch: number, runs: number, threads: number): Promise<number> {
  const spec = benchSpec(file, batch);
  const artifact = compileSpec(spec, { target: device });
  const { data, preprocessing } = syntheticData(spec, batch);
  const state = initialState(artifact.manifest, preprocessing, spec.train.seed);
  const session = await openSession(artifact.files["eval.onnx"], { device, threads });
  const weights = { params: state.params, tables: state.store };
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    await predictDataset(session, artifact.manifest, weights, data, batch);
    if (i > 0) times.push(performance.now() - t0);
  }
  await session.release();
  return median(times);
}

/** Times one zoo model on one device: the step at each training batch, eval at each eval batch. */
export async function measureDevice(file: string, device: Device, options: DeviceOptions, trainBatches: readonly number[] = TRAIN_BATCHES, evalBatches: readonly number[] = EVAL_BATCHES): Promise<DeviceRow> {
  const row: DeviceRow = { spec: file.split("/").pop()!, device, stepMs: {}, evalMs: {} };
  for (const batch of trainBatches) row.stepMs[batch] = (await measureStep(file, { ...options, batch, device })).stepMs;
  for (const batch of evalBatches) row.evalMs[batch] = await measureEval(file, device, batch, options.steps, options.threads);
  return row;
}

/** True when a webgpu run in a process with `env` would use SwiftShader (its ICD file is the one named). */
export function isSwiftShader(env: NodeJS.ProcessEnv): boolean {
  return /swiftshader/i.test(env["VK_ICD_FILENAMES"] ?? "");
}

/** The environment a device's process runs with: for webgpu with no Vulkan loader of the system's, Chromium's SwiftShader. */
export function deviceEnv(device: Device, env: NodeJS.ProcessEnv = process.env, icd = SWIFTSHADER_ICD): NodeJS.ProcessEnv {
  if (device !== "webgpu" || hasVulkanLoader(env) || !existsSync(icd)) return env;
  return { ...env, LD_LIBRARY_PATH: [CHROMIUM, env["LD_LIBRARY_PATH"]].filter(Boolean).join(":"), VK_ICD_FILENAMES: icd, XDG_RUNTIME_DIR: env["XDG_RUNTIME_DIR"] ?? "/tmp" };
}

/** The table, one line per model and device. */
export function formatDeviceTable(rows: readonly DeviceRow[], trainBatches: readonly number[] = TRAIN_BATCHES, evalBatches: readonly number[] = EVAL_BATCHES): string[] {
  const header = ["spec", "device", ...trainBatches.flatMap((b) => [`step ms @${b}`, `samples/s @${b}`]), ...evalBatches.map((b) => `eval ms @${b}`)];
  const lines = rows.map((r) => [
    r.spec,
    r.device,
    ...trainBatches.flatMap((b) => (r.stepMs[b] === undefined ? ["-", "-"] : [r.stepMs[b].toFixed(2), Math.round(b / (r.stepMs[b] / 1000)).toLocaleString("en-US")])),
    ...evalBatches.map((b) => r.evalMs[b]?.toFixed(2) ?? "-"),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]! + (i === 1 ? 0 : 2)) : c.padStart(widths[i]! + 2))).join("");
  return [row(header), ...lines.map(row)];
}

/** Measures the models in this process on one device and prints one JSON row per line (the child's side). */
async function measureHere(device: Device, models: string[], options: DeviceOptions, trainBatches: readonly number[]): Promise<void> {
  const zooDir = join(packageRoot(), "specs", "zoo");
  for (const f of models) process.stdout.write(JSON.stringify(await measureDevice(join(zooDir, f), device, options, trainBatches)) + "\n");
}

/** The rows of one device, measured in a process of its own; or why the device cannot run here. */
function measureInChild(device: Device, models: string[], threads: number, steps: number, trainBatches: readonly number[]): { rows: DeviceRow[] } | { skipped: string } {
  const env = deviceEnv(device);
  const self = fileURLToPath(import.meta.url);
  const args = ["--child", device, "--only", models.join(","), "--threads", String(threads), "--steps", String(steps), "--train-batches", trainBatches.join(",")];
  const run = spawnSync(process.execPath, [self, ...args], { encoding: "utf8", env, maxBuffer: 1 << 26 });
  if (run.status !== 0) {
    const reason = run.stderr.split("\n").find((l) => /error/i.test(l)) ?? run.stderr.trim().split("\n").pop() ?? `exit status ${run.status}`;
    return { skipped: reason.trim() };
  }
  return { rows: run.stdout.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as DeviceRow) };
}

async function main(argv: string[]): Promise<void> {
  const only = optionText(argv, "only");
  const wanted = only?.split(",").map((s) => (s.endsWith(".mssm") ? s : `${s}.mssm`));
  const models = zooModels().filter((f) => !wanted || wanted.includes(f));
  if (models.length === 0) throw new Error(`--only ${only}: no zoo model of that name (${zooModels().join(", ")})`);
  const threads = wholeNumber(argv, "threads", 1, 1);
  const child = optionText(argv, "child");
  if (child !== undefined) return measureHere(child as Device, models, { steps: wholeNumber(argv, "steps", 10, 1), warmup: 1, threads }, numberList(argv, "train-batches", TRAIN_BATCHES, true));

  const named = optionText(argv, "devices")?.split(",");
  for (const d of named ?? []) if (!(DEVICES as readonly string[]).includes(d)) throw new Error(`--devices: unknown device "${d}" (${DEVICES.join(", ")})`);
  const devices = (named ?? DEVICES) as Device[];
  const rows: DeviceRow[] = [];
  const notes: string[] = [];
  let coverageOnly = false;
  for (const device of devices) {
    const swiftShader = device === "webgpu" && isSwiftShader(deviceEnv(device));
    // SwiftShader runs a step of the larger models at batch 8192 for seconds: a few steps show coverage.
    const short = swiftShader && !argv.includes("--full");
    const steps = wholeNumber(argv, "steps", short ? 1 : 10, 1);
    const trainBatches = short ? TRAIN_BATCHES.slice(0, 1) : TRAIN_BATCHES;
    try {
      if (device !== "webgpu") assertDeviceAvailable(device);
    } catch (e) {
      if (named) throw e;
      notes.push(`${device}: not measured: ${(e as Error).message}`);
      continue;
    }
    const result = measureInChild(device, models, threads, steps, trainBatches);
    if ("skipped" in result) {
      if (named) throw new Error(`${device}: ${result.skipped}`);
      notes.push(`${device}: not measured: ${result.skipped}`);
      continue;
    }
    rows.push(...result.rows);
    coverageOnly ||= swiftShader;
    notes.push(`${device}: median of ${steps} step(s) and eval pass(es) after 1 warm-up${short ? ", batch 8192 not timed (--full times it)" : ""}${swiftShader ? "; SwiftShader (VK_ICD_FILENAMES), a Vulkan driver on the CPU: COVERAGE ONLY, its times say nothing about a GPU" : ""}`);
  }
  const out = [
    `device benchmark${coverageOnly ? " (webgpu rows: coverage only, SwiftShader)" : ""}: runtime/step.ts at batch ${TRAIN_BATCHES.join(" and ")}, eval.onnx pass (predictDataset) at batch ${EVAL_BATCHES.join(" and ")}, ` +
      `Adult-like synthetic batches; ${threads} intra-op thread(s); node ${process.version}`,
    ...notes,
    "",
    ...formatDeviceTable(rows),
  ];
  process.stdout.write(out.join("\n") + "\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    await main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench:device: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
