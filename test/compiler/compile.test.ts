import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { compileSpec, specHash } from "../../compiler/compile.js";
import { loadSpec } from "../../compiler/load/load.js";
import { packageRoot } from "../../base/package-root.js";

const zooDir = join(packageRoot(), "specs", "zoo");
const zoo = readdirSync(zooDir).filter((f) => f.endsWith(".mssm") && f !== "adult.mssm").sort();
const cli = join(packageRoot(), "dist", "cli", "mssmc.js");

function specOf(file: string) {
  const r = loadSpec(join(zooDir, file));
  expect(r.diagnostics).toEqual([]);
  return r.spec!;
}

describe("compileSpec", () => {
  it.each(zoo)("%s: both graphs load in onnxruntime with exactly the manifest's inputs and outputs", async (file) => {
    const artifact = compileSpec(specOf(file));
    const m = artifact.manifest;
    for (const which of ["train", "eval"] as const) {
      const session = await ort.InferenceSession.create(artifact.files[`${which}.onnx`]);
      expect([...session.inputNames]).toEqual(m.graphs[which].inputs.map((t) => t.name));
      expect([...session.outputNames]).toEqual(m.graphs[which].outputs.map((t) => t.name));
      await session.release();
    }
    expect(m.params.length).toBe(m.graphs.eval.inputs.filter((t) => t.role === "param").length);
    expect(m.opset).toBe(17);
    expect(m.ir_version).toBe(8);
  });

  it("is deterministic: the same spec gives byte-identical files, whatever the text's layout", () => {
    const a = compileSpec(specOf("mssm.mssm"));
    const b = compileSpec(specOf("mssm.mssm"));
    expect(Buffer.from(a.files["train.onnx"]).equals(Buffer.from(b.files["train.onnx"]))).toBe(true);
    expect(Buffer.from(a.files["eval.onnx"]).equals(Buffer.from(b.files["eval.onnx"]))).toBe(true);
    expect(a.files["manifest.json"]).toBe(b.files["manifest.json"]);
    expect(a.manifest.spec_hash).toBe(specHash(specOf("mssm.mssm")));
    expect(a.manifest.spec_hash).not.toBe(specHash(specOf("mssm-a.mssm")));
  });
});

describe("mssmc compile", () => {
  it("writes the artifact folder and compiles to the same bytes twice; --opset selects a newer opset", () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-compile-"));
    try {
      const spec = join(zooDir, "mmoe.mssm");
      const first = spawnSync(process.execPath, [cli, "compile", spec, "-o", join(dir, "a")], { encoding: "utf8" });
      expect(first.stderr).toBe("");
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/^compiled adult_mmoe: 73,218 parameters, 0 L0 gates in 0 groups/);
      spawnSync(process.execPath, [cli, "compile", spec, "-o", join(dir, "b")]);
      for (const f of ["manifest.json", "train.onnx", "eval.onnx"]) {
        expect(readFileSync(join(dir, "a", f)).equals(readFileSync(join(dir, "b", f)))).toBe(true);
      }
      const newer = spawnSync(process.execPath, [cli, "compile", spec, "-o", join(dir, "c"), "--opset", "21"], { encoding: "utf8" });
      expect(newer.status).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, "c", "manifest.json"), "utf8")).opset).toBe(21);
      expect(spawnSync(process.execPath, [cli, "compile", spec, "-o", join(dir, "d"), "--opset", "12"]).status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops on a spec with errors and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-compile-bad-"));
    try {
      const spec = join(dir, "bad.mssm");
      writeFileSync(spec, `fields { a numeric }\ntasks { t binary(label: y) }\nmodel m { towers { } }\n`);
      const r = spawnSync(process.execPath, [cli, "compile", spec, "-o", join(dir, "out")], { encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("error[task-without-tower]");
      expect(readdirSync(dir).map((f) => basename(f))).toEqual(["bad.mssm"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const PYTHON = "/usr/bin/python3";
const hasOnnx = spawnSync(PYTHON, ["-c", "import onnx"]).status === 0;

describe.skipIf(!hasOnnx && !process.env["CI"])("Debian's ONNX checker", () => {
  it("accepts every zoo model's train.onnx and eval.onnx with full_check", () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-zoo-checker-"));
    try {
      const paths: string[] = [];
      for (const file of zoo) {
        const artifact = compileSpec(specOf(file));
        for (const which of ["train", "eval"] as const) {
          const path = join(dir, `${basename(file, ".mssm")}-${which}.onnx`);
          writeFileSync(path, artifact.files[`${which}.onnx`]);
          paths.push(path);
        }
      }
      const script = "import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\nprint('ok', len(sys.argv) - 1)\n";
      const run = spawnSync(PYTHON, ["-c", script, ...paths], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      expect(run.stdout).toBe(`ok ${paths.length}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
