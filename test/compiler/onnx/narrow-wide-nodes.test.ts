// Narrowing wide Split and Concat nodes for a device that limits the tensors one node touches:
// every node fits the limit, the results are the same numbers, a CPU compile is untouched, and a
// WebGPU compile of every zoo model fits the WebGPU default of 8 storage buffers per shader.

import { describe, expect, it } from "vitest";
import { compileSpec } from "../../../compiler/compile.js";
import { Builder, type Graph } from "../../../compiler/ir/graph.js";
import { emitModel } from "../../../compiler/onnx/emit.js";
import { narrowWideNodes } from "../../../compiler/onnx/narrow-wide-nodes.js";
import { TARGETS } from "../../../compiler/onnx/target.js";
import { ZOO, zooSpec } from "../lower/helpers.js";
import { runModel } from "./ort.js";

/** x [2, 60] cut into 20 pieces of 1..5 columns, each doubled, and joined again: a 21-tensor Split and a 21-tensor Concat. */
function wideGraph(): Graph {
  const b = new Builder("wide");
  const x = b.input("x", "float32", [2, 60]);
  const sizes = Array.from({ length: 20 }, (_, i) => 1 + (i % 5));
  sizes[19]! += 60 - sizes.reduce((a, s) => a + s, 0);
  const pieces = b.split(x, 1, sizes, sizes.map((_, i) => `piece${i}`));
  b.output(b.concat(pieces.map((p, i) => b.add(p, p, `double${i}`)), 1, "y"));
  return b.finish();
}

const widest = (g: Graph) => Math.max(...g.nodes.map((n) => n.inputs.length + n.outputs.length));

describe("narrowWideNodes", () => {
  it("leaves a graph alone for a target without limits", () => {
    const g = wideGraph();
    expect(narrowWideNodes(g, TARGETS.cpu)).toBe(g);
  });

  it("makes every node touch at most the limit's tensors and computes the same numbers", async () => {
    const g = wideGraph();
    const narrowed = narrowWideNodes(g, TARGETS.webgpu);
    expect(widest(g)).toBe(21);
    expect(widest(narrowed)).toBeLessThanOrEqual(8);
    // 20 outputs, 7 per node: one Split into 7 pieces of 3, 3, 3, 3, 3, 3, 2 outputs, each split again; the same for Concat.
    expect(narrowed.nodes.filter((n) => n.op === "Split")).toHaveLength(8);
    expect(narrowed.nodes.filter((n) => n.op === "Concat")).toHaveLength(8);
    const x = { dtype: "float32" as const, shape: [2, 60], data: Array.from({ length: 120 }, (_, i) => i / 7) };
    const expected = (await runModel(emitModel(g, {}), { x }))["y"]!;
    const got = (await runModel(emitModel(narrowed, {}), { x }))["y"]!;
    expect(got.shape).toEqual([2, 60]);
    expect(got.data).toEqual(expected.data);
    expect(got.data[59]).toBeCloseTo((2 * 59) / 7, 5);
  });

  it("keeps a CPU compile byte-identical and fits every zoo model's WebGPU graphs into 8 tensors per node", () => {
    for (const file of ZOO) {
      const { spec } = zooSpec(file);
      const plain = compileSpec(spec);
      const cpu = compileSpec(spec, { target: "cpu" });
      expect(Buffer.from(cpu.files["train.onnx"]).equals(Buffer.from(plain.files["train.onnx"])), file).toBe(true);
      expect(Buffer.from(cpu.files["eval.onnx"]).equals(Buffer.from(plain.files["eval.onnx"])), file).toBe(true);
      const gpu = compileSpec(spec, { target: "webgpu" });
      expect(widest(gpu.train), file).toBeLessThanOrEqual(8);
      expect(widest(gpu.eval), file).toBeLessThanOrEqual(8);
      expect(gpu.files["manifest.json"]).toBe(plain.files["manifest.json"]);
    }
  });
});
