import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../base/package-root.js";

const cli = join(packageRoot(), "dist", "cli", "mssmc.js");

describe.skipIf(process.env["MSSMC_EXPECT_CUDA"] === "1")("mssmc train --device cuda without the CUDA provider", () => {
  it("stops with the install instruction before writing anything", () => {
    const out = join(mkdtempSync(join(tmpdir(), "mssmc-cuda-")), "run");
    const r = spawnSync(process.execPath, [cli, "train", join(packageRoot(), "specs", "zoo", "shared-bottom.mssm"), "--data", join(packageRoot(), "data", "adult", "adult.test.gz"), "--out", out, "--device", "cuda"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mssmc: error: --device cuda: the CUDA execution provider is not installed .*ONNXRUNTIME_NODE_INSTALL=cuda12 npm install --ignore-scripts=false/);
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});
