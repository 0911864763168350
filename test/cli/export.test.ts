// `mssmc export` end to end: train a small run, export it, and check the exported model against
// `mssmc predict` on raw Adult test rows.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../base/package-root.js";

const root = packageRoot();
const cli = join(root, "dist", "cli", "mssmc.js");
const adult = join(root, "..", "shared", "data", "adult");
const mssmc = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });

/** The first rows of adult.data and adult.test (each with its header) as train.csv and test.csv in `dir`. */
function adultSlice(dir: string, trainRows: number, testRows: number): { train: string; test: string; testLines: string[] } {
  const train = join(dir, "train.csv");
  const test = join(dir, "test.csv");
  writeFileSync(train, readFileSync(join(adult, "adult.data"), "utf8").split("\n").slice(0, trainRows + 1).join("\n") + "\n");
  const testLines = readFileSync(join(adult, "adult.test"), "utf8").split("\n").slice(0, testRows + 1);
  writeFileSync(test, testLines.join("\n") + "\n");
  return { train, test, testLines };
}

/** The exported model's scores on the raw test rows equal `mssmc predict`'s (eval.onnx) within 1e-5. */
async function expectExportMatchesPredict(dir: string, run: string, model: string, test: string, testLines: string[]): Promise<void> {
  const scores = join(dir, "pred.csv");
  expect(mssmc("predict", run, "--data", test, "-o", scores).status).toBe(0);
  const predicted = readFileSync(scores, "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));

  // Raw cells as a server would send them: trimmed strings, numbers with NaN for missing.
  const header = testLines[0]!.split(",").map((c) => c.trim());
  const rows = testLines.slice(1).map((l) => l.split(",").map((c) => c.trim()));
  const session = await ort.InferenceSession.create(readFileSync(model));
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    const k = header.indexOf(name);
    const cells = rows.map((r) => r[k]!);
    const numeric = /^(age|fnlwgt|education-num|capital-gain|capital-loss|hours-per-week)$/.test(name);
    feeds[name] = numeric ? new ort.Tensor("float32", Float32Array.from(cells, (c) => (c === "?" ? NaN : Number(c))), [cells.length]) : new ort.Tensor("string", cells, [cells.length]);
  }
  const out = await session.run(feeds);
  expect(session.outputNames).toEqual(["income", "never_married"]);
  session.outputNames.forEach((task, t) => {
    const got = out[task]!.data as Float32Array;
    expect(got.length).toBe(testLines.length - 1);
    predicted.forEach((row, i) => expect(Math.abs(got[i]! - row[t]!)).toBeLessThanOrEqual(1e-5));
  });
  await session.release();
}

describe("mssmc export", () => {
  it("writes a model whose scores on raw columns equal mssmc predict's within 1e-5", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-export-cli-"));
    try {
      const { train, test, testLines } = adultSlice(dir, 1500, 500);
      const run = join(dir, "run");
      const trained = mssmc("train", join(root, "specs", "zoo", "mssm.mssm"), "--data", train, "--out", run, "--epochs", "1");
      expect(trained.status, trained.stderr).toBe(0);

      const model = join(dir, "out", "model.onnx");
      const exported = mssmc("export", run, "-o", model);
      expect(exported.stderr).toBe("");
      expect(exported.status).toBe(0);
      expect(exported.stdout).toMatch(/^exported adult_mssm to .*model\.onnx \([\d.]+ KiB, [\d,]+ numbers, opset 17\)\n  inputs: age \(float32\), workclass \(string\), /);
      expect(exported.stdout).toContain("\n  outputs: income (binary), never_married (binary)\n  L0 gates folded: 807, ");
      expect(exported.stdout).toMatch(/\n  pruned: removed \d+ closed block\(s\), \d+ unit\(s\), \d+ field\(s\)( \([^)]*\))?; numbers [\d,]+ -> [\d,]+, nodes \d+ -> \d+\n(  inputs removed \(do not feed them\): .*\n)?$/);

      await expectExportMatchesPredict(dir, run, model, test, testLines);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads a run folder written before gates.select_offset existed as trained, with the paper's FSCM (offset 0)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-export-cli-"));
    try {
      const { train, test, testLines } = adultSlice(dir, 800, 300);
      // Trained with offset 0, then the manifest written as the older compiler wrote it: no select_offset.
      const spec = join(dir, "old.mssm");
      const zoo = readFileSync(join(root, "specs", "zoo", "mssm.mssm"), "utf8");
      writeFileSync(spec, zoo.replace('import "adult.mssm"', `import ${JSON.stringify(join(root, "specs", "zoo", "adult.mssm"))}`).replace("select fields per group\n", "select fields per group(form: tanh)\n").replace("regularize { l2: 1e-5 }", "regularize { l2: 1e-5 }\n  gates { select_offset: 0 }"));
      expect(readFileSync(spec, "utf8")).toContain("gates { select_offset: 0 }");
      const run = join(dir, "run");
      const trained = mssmc("train", spec, "--data", train, "--out", run, "--epochs", "1");
      expect(trained.status, trained.stderr).toBe(0);
      const manifestPath = join(run, "artifact", "manifest.json");
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
      expect(manifest.spec.gates.select_offset).toBe(0);
      delete manifest.spec.gates.select_offset;
      writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");

      const model = join(dir, "model.onnx");
      const exported = mssmc("export", run, "-o", model, "--no-prune");
      expect(exported.stderr).toBe("");
      expect(exported.status).toBe(0);
      await expectExportMatchesPredict(dir, run, model, test, testLines);
      const inspected = mssmc("inspect", run, "--data", test, "--format", "json");
      expect(inspected.status, inspected.stderr).toBe(0);
      const strength = (JSON.parse(inspected.stdout) as { fieldSelection: { strength: number[][] } }).fieldSelection.strength.flat();
      expect(strength.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a missing run folder as a user error and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-export-cli-"));
    try {
      const r = mssmc("export", join(dir, "nope"), "-o", join(dir, "m.onnx"));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^mssmc: error: /);
      expect(existsSync(join(dir, "m.onnx"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
