import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deviceEnv, formatDeviceTable, isSwiftShader, measureDevice } from "../../bench/device.js";
import { packageRoot } from "../../base/package-root.js";
import { hasVulkanLoader } from "../../runtime/device.js";

// Keeps bench/device.ts from rotting: one step and eval pass of the smallest zoo model on the CPU
// and the table's shape; on WebGPU (Chromium's SwiftShader) the whole command, labelled coverage
// only. The command runs from dist/ (build first): it measures each device in a process of its own.

const file = join(packageRoot(), "specs", "zoo", "single-task.mssm");
const ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";

describe("device benchmark", () => {
  it("times the step and eval on the CPU and prints one row per model and device", async () => {
    const row = await measureDevice(file, "cpu", { steps: 1, warmup: 1, threads: 1 }, [64], [1, 8]);
    expect(row.spec).toBe("single-task.mssm");
    expect(row.device).toBe("cpu");
    expect(Object.keys(row.stepMs)).toEqual(["64"]);
    expect(Object.keys(row.evalMs)).toEqual(["1", "8"]);
    for (const ms of [...Object.values(row.stepMs), ...Object.values(row.evalMs)]) expect(ms).toBeGreaterThan(0);
    const lines = formatDeviceTable([row, { ...row, device: "webgpu", stepMs: {} }], [64, 8192], [1, 8]);
    expect(lines[0]).toMatch(/^spec +device +step ms @64 +samples\/s @64 +step ms @8192 +samples\/s @8192 +eval ms @1 +eval ms @8$/);
    expect(lines[1]).toMatch(/^single-task\.mssm +cpu +[\d.]+ +[\d,]+ +- +- +[\d.]+ +[\d.]+$/);
    expect(lines[2]).toMatch(/^single-task\.mssm +webgpu +- +- +- +- +[\d.]+ +[\d.]+$/);
  });

  it("uses SwiftShader for webgpu only when no Vulkan loader is found", () => {
    const none = { PATH: "/usr/bin", LD_LIBRARY_PATH: "/nonexistent" };
    const icd = join(packageRoot(), "package.json");
    expect(deviceEnv("cpu", none, icd)).toBe(none);
    expect(deviceEnv("webgpu", none, "/nonexistent/icd.json")).toBe(none);
    const env = deviceEnv("webgpu", none, icd);
    if (hasVulkanLoader(none)) expect(env).toBe(none);
    else expect([env["VK_ICD_FILENAMES"], env["LD_LIBRARY_PATH"]]).toEqual([icd, "/usr/lib/chromium:/nonexistent"]);
    expect(isSwiftShader({ VK_ICD_FILENAMES: ICD })).toBe(true);
    expect(isSwiftShader({})).toBe(false);
  });

  it.skipIf(!existsSync(ICD))("labels the webgpu rows on SwiftShader coverage only", () => {
    const bench = join(packageRoot(), "dist", "bench", "device.js");
    const run = spawnSync(process.execPath, [bench, "--only", "single-task", "--devices", "cpu,webgpu", "--steps", "1"], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/coverage only, SwiftShader/);
    expect(lines.find((l) => l.startsWith("webgpu:"))).toMatch(/COVERAGE ONLY/);
    expect(lines.filter((l) => l.startsWith("single-task.mssm")).map((l) => l.split(/ +/)[1])).toEqual(["cpu", "webgpu"]);
  }, 120_000);
});
