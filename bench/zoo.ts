// The zoo's MSSM spec (specs/zoo/mssm.mssm), which the Adult benchmarks train, and a timed run.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSpec, type Artifact, type Spec } from "../compiler/index.js";
import { packageRoot } from "../base/package-root.js";
import { train, type RunData, type TrainResult } from "../runtime/train.js";

/** specs/zoo/mssm.mssm, checked; throws if it does not check. */
export function zooMssm(): Spec {
  const loaded = loadSpec(join(packageRoot(), "specs", "zoo", "mssm.mssm"));
  if (!loaded.spec) throw new Error("specs/zoo/mssm.mssm does not check");
  return loaded.spec;
}

/**
 * Trains a compiled artifact on `data` (quietly, on the CPU, in a run folder removed afterwards):
 * the result, with the wall and process CPU seconds of the train() call alone.
 */
export async function timedTrain(artifact: Artifact, data: RunData, threads: number): Promise<{ result: TrainResult; wallSeconds: number; cpuSeconds: number }> {
  const runDir = mkdtempSync(join(tmpdir(), "mssmc-bench-run-"));
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await train({ manifest: artifact.manifest, train: artifact.files["train.onnx"], eval: artifact.files["eval.onnx"] }, data, { runDir, device: "cpu", threads, log: () => {} });
  const wallSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  rmSync(runDir, { recursive: true, force: true });
  return { result, wallSeconds, cpuSeconds: (used.user + used.system) / 1e6 };
}
