import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { compileSpec } from "../compiler/compile.js";
import { packageRoot } from "../base/package-root.js";
import { loadSpec } from "../compiler/load/load.js";
import type { GateNoise } from "../compiler/load/types.js";
import { markdownTable, type SpeedOptions } from "./train-speed.js";
import { dumpStep } from "./torch/dump-step.js";
import { measureStep } from "./train-step.js";
import { optionText, wholeNumber } from "./args.js";

// Issue 7.3, side by side: the training step of a zoo model in mssmc's runtime (bench/train-step's
// measureStep) and the same model written directly in PyTorch (bench/torch/speed.py, Debian's
// python3-torch run with /usr/bin/python3), same batch, same intra-op threads, in the same run;
// with the ratio and both parameter counts (embedding tables excluded on both sides).
// Only the models speed.py writes are compared (Shared-Bottom, MMoE, CGC, PLE, MSSM). "loss diff": the
// absolute difference of the step-1 total loss (task losses + λ0·L0 + λ2·L2) of mssmc and of the
// PyTorch model given mssmc's initial weights, one batch of 256 and, for MSSM, the same gate noise
// (bench/torch/dump-step.ts, bench/torch/equivalence.py); the target is at most 1e-5.
// "prediction diff": the largest difference of a per-example prediction in that step, over tasks.
//
// This machine's speed drifts by tens of percent from minute to minute (a shared VM), so each model
// is measured in `--rounds` rounds (default 3) that alternate mssmc and PyTorch; each side's step
// time is the median of its rounds' medians, and the ratio column gives the median of the rounds'
// ratios with their range.
//
//   node dist/bench/torch-speed.js [--rounds N] [--steps N] [--warmup N] [--batch N] [--threads N] [--python /usr/bin/python3]

/** What bench/torch/speed.py prints. */
export interface TorchStep {
  model: string;
  params: number;
  torch: string;
  step_ms: number;
  samples_per_second: number;
}

/** Runs speed.py for one model; undefined with the reason when PyTorch cannot run. */
export function torchStep(python: string, model: string, o: SpeedOptions): TorchStep | string {
  const script = join(packageRoot(), "bench", "torch", "speed.py");
  const r = spawnSync(python, [script, "--model", model, "--batch", String(o.batch), "--steps", String(o.steps), "--warmup", String(o.warmup), "--threads", String(o.threads)], {
    encoding: "utf8",
    // Debian's torch does its matmuls in the system BLAS (BLAS_INFO=generic): pin its threads too.
    env: { ...process.env, OMP_NUM_THREADS: String(o.threads), OPENBLAS_NUM_THREADS: String(o.threads) },
  });
  if (r.error) return `${python}: ${r.error.message}`;
  if (r.status !== 0) return (r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`).trim();
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as TorchStep;
}

/** What bench/torch/equivalence.py prints. */
export interface TorchEquivalence {
  mssmc_loss: number;
  torch_loss: number;
  abs_diff: number;
  task_diff: Record<string, number>;
  /** |L0 of mssmc − L0 of PyTorch|, unweighted (0 for models without L0 gates). */
  l0_diff: number;
  /** The largest |prediction of mssmc − prediction of PyTorch| per task, over the batch. */
  pred_diff: Record<string, number>;
  mssmc_params: number;
  torch_params: number;
  unmapped_params: string[];
}

/** Issue 7.3's check: mssmc's step-1 loss and PyTorch's on the same weights, batch and gate noise (drawn as `noise`); a string says why it could not run. */
export async function torchEquivalence(python: string, model: string, batch = 256, noise?: GateNoise): Promise<TorchEquivalence | string> {
  const dir = mkdtempSync(join(tmpdir(), "mssmc-torch-"));
  try {
    const dump = join(dir, "step.json");
    await dumpStep(model, dump, batch, noise);
    const r = spawnSync(python, [join(packageRoot(), "bench", "torch", "equivalence.py"), dump], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" } });
    if (r.error) return `${python}: ${r.error.message}`;
    if (r.status !== 0) return (r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`).trim();
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as TorchEquivalence;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The models both sides have. */
export const TORCH_MODELS = ["shared-bottom", "mmoe", "cgc", "ple", "mssm"] as const;

async function main(argv: string[]): Promise<void> {
  const option = (name: string, fallback: number) => wholeNumber(argv, name, fallback);
  const python = optionText(argv, "python") ?? "/usr/bin/python3";
  const o: SpeedOptions = { steps: option("steps", 30), warmup: option("warmup", 5), batch: option("batch", 1024), threads: option("threads", 1) };
  const rounds = option("rounds", 3);
  const rows: string[][] = [];
  let version = "";
  const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  for (const model of TORCH_MODELS) {
    const file = join(packageRoot(), "specs", "zoo", `${model}.mssm`);
    const params = compileSpec(loadSpec(file).spec!).manifest.summary.params;
    const oursMs: number[] = [];
    const theirsMs: number[] = [];
    let failed: string | undefined;
    let torchParams = 0;
    for (let r = 0; r < rounds && failed === undefined; r++) {
      oursMs.push((await measureStep(file, o)).stepMs);
      const theirs = torchStep(python, model, o);
      if (typeof theirs === "string") failed = theirs;
      else {
        theirsMs.push(theirs.step_ms);
        torchParams = theirs.params;
        version = theirs.torch;
      }
    }
    const ours = { stepMs: median(oursMs), samplesPerSecond: o.batch / (median(oursMs) / 1000) };
    if (failed !== undefined) {
      rows.push([model, params.toLocaleString("en-US"), "–", "–", "–", ours.stepMs.toFixed(2), "–", Math.round(ours.samplesPerSecond).toLocaleString("en-US"), "–", `PyTorch did not run: ${failed}`]);
      continue;
    }
    const ratios = theirsMs.map((t, i) => t / oursMs[i]!);
    const theirs = { params: torchParams, step_ms: median(theirsMs), samples_per_second: o.batch / (median(theirsMs) / 1000) };
    const eq = await torchEquivalence(python, model);
    rows.push([
      model,
      params.toLocaleString("en-US"),
      theirs.params.toLocaleString("en-US"),
      typeof eq === "string" ? eq : eq.unmapped_params.length ? `unmapped: ${eq.unmapped_params.join(" ")}` : eq.abs_diff.toExponential(1),
      typeof eq === "string" ? "–" : Math.max(...Object.values(eq.pred_diff)).toExponential(1),
      ours.stepMs.toFixed(2),
      theirs.step_ms.toFixed(2),
      Math.round(ours.samplesPerSecond).toLocaleString("en-US"),
      Math.round(theirs.samples_per_second).toLocaleString("en-US"),
      `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
    ]);
  }
  process.stdout.write(
    [
      `training step, batch ${o.batch}, ${o.threads} intra-op thread(s), median of ${o.steps} steps after ${o.warmup}, ${rounds} alternating round(s) per side (median of the rounds; ratio: median of the rounds' ratios, range); node ${process.version}; PyTorch ${version || "(not run)"} eager, torch.set_num_threads(${o.threads})`,
      "",
      ...markdownTable(["model", "mssmc params", "PyTorch params", "loss diff, same weights", "prediction diff", "mssmc step ms", "PyTorch step ms", "mssmc samples/s", "PyTorch samples/s", "mssmc / PyTorch"], rows),
      "",
    ].join("\n"),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main(process.argv.slice(2));
