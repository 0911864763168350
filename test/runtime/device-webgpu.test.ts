// Parity on WebGPU (Dawn over Vulkan), run on Chromium's SwiftShader, a Vulkan driver on the CPU:
// every zoo model's eval.onnx and one training step of every zoo model (their packed parameters
// are split into one tensor per parameter, the case that needs narrowing), compiled for webgpu,
// give the CPU's numbers; and a 2-epoch MSSM training run on Adult rows tracks the CPU's loss curve. The runs happen in a process of their own (device-parity-child.mjs): the
// Vulkan loader is found through LD_LIBRARY_PATH, which must be set when a process starts.
//
// Tolerances. Both sides compute in float32 with different kernels (summation order, fused
// multiply-adds, exp/log approximations), so results differ by a few ulps per operation:
// observed 1.2e-7 relative on predictions and 2e-7 (norm-wise) on losses and gradients (Adam's
// first moment). eval.onnx must match element for element within 1e-4 relative. A training step's
// outputs are compared norm-wise (|a - b| / |a| over the tensor) within 1e-4: Adam's first update
// is lr * g / (|g| + eps), about lr * sign(g), so a parameter whose gradient is near 0 may move by
// a different amount on each device (observed up to 0.8 relative on one of MSSM's 73,586 elements,
// 6e-6 norm-wise); that is the optimizer's sensitivity, not a wrong kernel, which would show
// norm-wise.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileSpec } from "../../compiler/compile.js";
import { readFileSync } from "node:fs";
import { packageRoot } from "../../base/package-root.js";
import { ZOO, zooSpec } from "../compiler/lower/helpers.js";

const CHROMIUM = "/usr/lib/chromium";
const ICD = join(CHROMIUM, "vk_swiftshader_icd.json");
const TRAINED = ZOO;

interface Parity {
  model: string;
  graph: "eval" | "train";
  outputs: Record<string, { normRel: number; maxRel: number }>;
}

describe.skipIf(!existsSync(ICD))("WebGPU on SwiftShader", () => {
  it("runs every zoo model's eval.onnx and a training step of every zoo model like the CPU", () => {
    const root = mkdtempSync(join(tmpdir(), "mssmc-webgpu-"));
    const dirs: string[] = [];
    for (const file of ZOO) {
      const artifact = compileSpec(zooSpec(file).spec, { target: "webgpu" });
      const dir = join(root, file.replace(".mssm", ""));
      mkdirSync(dir);
      for (const [name, data] of Object.entries(artifact.files)) writeFileSync(join(dir, name), data);
      dirs.push(dir);
    }
    const child = join(import.meta.dirname, "device-parity-child.mjs");
    const run = spawnSync(process.execPath, [child, ...dirs], {
      encoding: "utf8",
      env: { ...process.env, LD_LIBRARY_PATH: CHROMIUM, VK_ICD_FILENAMES: ICD, XDG_RUNTIME_DIR: root, MSSMC_TRAIN: TRAINED.map((f) => f.replace(".mssm", "")).join(",") },
    });
    expect(run.status, run.stderr).toBe(0);
    const results = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Parity);
    expect(results.filter((r) => r.graph === "eval").map((r) => r.model)).toEqual(ZOO.map((f) => f.replace(".mssm", "")));
    expect(results.filter((r) => r.graph === "train").map((r) => r.model)).toEqual(TRAINED.map((f) => f.replace(".mssm", "")));
    for (const r of results) {
      expect(Object.keys(r.outputs).length).toBeGreaterThan(0);
      for (const [name, d] of Object.entries(r.outputs)) {
        if (r.graph === "eval") expect(d.maxRel, `${r.model} eval ${name}`).toBeLessThanOrEqual(1e-4);
        else expect(d.normRel, `${r.model} train ${name}`).toBeLessThanOrEqual(1e-4);
      }
    }
  }, 180_000);

  it("trains the zoo MSSM for 2 epochs on Adult rows with the CPU's loss curve (1e-3)", () => {
    const root = mkdtempSync(join(tmpdir(), "mssmc-webgpu-train-"));
    const repo = packageRoot();
    const rows = readFileSync(join(repo, "..", "shared", "data", "adult", "adult.data"), "utf8").split("\n").slice(0, 2001);
    const data = join(root, "train.csv");
    writeFileSync(data, rows.join("\n") + "\n");
    const env = { ...process.env, LD_LIBRARY_PATH: CHROMIUM, VK_ICD_FILENAMES: ICD, XDG_RUNTIME_DIR: root, NO_COLOR: "1" };
    const curve = (device: string) => {
      const out = join(root, device);
      const r = spawnSync(process.execPath, [join(repo, "dist", "cli", "mssmc.js"), "train", join(repo, "specs", "zoo", "mssm.mssm"), "--data", data, "--valid-fraction", "0.1", "--epochs", "2", "--batch", "256", "--out", out, "--device", device], { encoding: "utf8", env });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { loss: number; task_loss: Record<string, number> });
    };
    const cpu = curve("cpu");
    const gpu = curve("webgpu");
    expect(gpu.length).toBe(2);
    expect(cpu.length).toBe(2);
    gpu.forEach((epoch, i) => {
      expect(Math.abs(epoch.loss - cpu[i]!.loss) / cpu[i]!.loss, `epoch ${i + 1} loss`).toBeLessThanOrEqual(1e-3);
      for (const [task, loss] of Object.entries(cpu[i]!.task_loss)) expect(Math.abs(epoch.task_loss[task]! - loss) / loss, `epoch ${i + 1} ${task}`).toBeLessThanOrEqual(1e-3);
    });
  }, 300_000);
});
