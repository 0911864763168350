// The ONNX reference checker (Debian's python3-onnx 1.12, with full_check: strict shape inference)
// accepts every model the op tests and the gate tests emit at the default opset 17 / IR 8.
// Skipped only on a developer machine without python3-onnx; in CI (CI set) it always runs.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitModel } from "../../../compiler/onnx/emit.js";
import { buildCase, CASES } from "./op-cases.js";
import { gateModel } from "./hard-concrete-model.js";

const PYTHON = "/usr/bin/python3";
const hasOnnx = spawnSync(PYTHON, ["-c", "import onnx"]).status === 0;

const CHECK = `
import sys, onnx
failed = 0
for path in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
    except Exception as e:
        failed += 1
        print("FAIL", path, str(e).splitlines()[0] if str(e) else type(e).__name__)
print("checked", len(sys.argv) - 1, "failed", failed)
sys.exit(1 if failed else 0)
`;

describe.skipIf(!hasOnnx && !process.env.CI)("onnx.checker.check_model(full_check=True)", () => {
  it("accepts every op test model and the hard-concrete model at opset 17", () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-checker-"));
    try {
      const paths: string[] = [];
      CASES.forEach((c, i) => {
        const path = join(dir, `op${i}.onnx`);
        writeFileSync(path, emitModel(buildCase(c).builder.finish()));
        paths.push(path);
      });
      const gates = join(dir, "gates.onnx");
      writeFileSync(gates, emitModel(gateModel("float32")));
      paths.push(gates);

      const run = spawnSync(PYTHON, ["-c", CHECK, ...paths], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      expect(run.stdout).toBe(`checked ${paths.length} failed 0\n`);
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
