import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../base/package-root.js";
import { SMALL_SPEC, smallCsv, tempDir, writeTemp } from "../runtime/helpers.js";

// `mssmc train --gate-noise` (gates.noise): the built CLI (npm test compiles with tsc before vitest).
const cli = join(packageRoot(), "dist", "cli", "mssmc.js");
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

describe("mssmc train --gate-noise", () => {
  const data = writeTemp("train.csv", smallCsv(200));

  it("puts gates.noise into the run's spec; the training graph then takes [batch, gates] noise", () => {
    const spec = writeTemp("small.mssm", SMALL_SPEC);
    const runDir = join(tempDir(), "run");
    const t = run("train", spec, "--data", data, "--out", runDir, "--epochs", "1", "--gate-noise", "per_example");
    expect(t.status, t.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(runDir, "artifact", "manifest.json"), "utf8"));
    expect(manifest.spec.gates.noise).toBe("per_example");
    const noise = manifest.graphs.train.inputs.filter((i: { name: string }) => i.name.startsWith("noise/"));
    expect(noise.length).toBeGreaterThan(0);
    for (const i of noise) expect(i.shape[0]).toBe("batch");
  });

  it("refuses an unknown value and, on a model with one gate per weight, per_example: one line, nothing written", () => {
    const spec = writeTemp("small.mssm", SMALL_SPEC);
    const bad = run("train", spec, "--data", data, "--out", join(tempDir(), "never"), "--gate-noise", "per_batch");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/option '--gate-noise <how>' argument 'per_batch' is invalid\. Allowed choices are per_step, per_example, per_example_fields/);
    const weights = writeTemp("weights.mssm", SMALL_SPEC.replace("connect: cssm }", "connect: cssm(granularity: weight) }"));
    const out = join(tempDir(), "never");
    const refused = run("train", weights, "--data", data, "--out", out, "--gate-noise", "per_example");
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim().split("\n")).toEqual([
      "mssmc: error: --gate-noise per_example does not apply to a cssm connection with 'granularity: weight' (one gate per weight would need a draw per weight and example); this model has one.",
    ]);
    expect(existsSync(out)).toBe(false);
  });
});
