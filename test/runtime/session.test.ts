import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Builder } from "../../compiler/ir/graph.js";
import { emitModel } from "../../compiler/onnx/emit.js";
import { UserError } from "../../base/user-error.js";
import { assertCudaAvailable, CUDA_INSTALL_HINT, openSession } from "../../runtime/session.js";
import * as ort from "onnxruntime-node";

function reluModel(): Uint8Array {
  const b = new Builder("relu");
  const x = b.input("x", "float32", [3]);
  b.output(b.relu(x, "y"));
  return emitModel(b.finish(), {});
}

describe("openSession", () => {
  it("runs a model on the CPU", async () => {
    const s = await openSession(reluModel(), { device: "cpu", threads: 1 });
    const out = await s.run({ x: new ort.Tensor("float32", Float32Array.from([-1, 0.5, 2]), [3]) });
    expect(Array.from(out["y"]!.data as Float32Array)).toEqual([0, 0.5, 2]);
  });

  it("refuses --device cuda with one clear message when the CUDA libraries are missing", () => {
    const empty = mkdtempSync(join(tmpdir(), "mssmc-no-cuda-"));
    expect(() => assertCudaAvailable(empty)).toThrow(UserError);
    expect(() => assertCudaAvailable(empty)).toThrow(`the CUDA execution provider is not installed (no ${join(empty, "libonnxruntime_providers_cuda.so")}). ${CUDA_INSTALL_HINT}`);
  });

  it.skipIf(process.env["MSSMC_EXPECT_CUDA"] === "1")("fails cleanly on this machine, which has no CUDA provider", async () => {
    await expect(openSession(reluModel(), { device: "cuda", threads: 1 })).rejects.toThrow(/ONNXRUNTIME_NODE_INSTALL=cuda12 npm install/);
  });
});
