// Pruning passes on small hand-built graphs: what closed gates zero is removed, and every output
// stays what the unpruned graph computes (checked on the reference evaluator).

import { describe, expect, it } from "vitest";
import { pruneGraph } from "../../../compiler/export/prune.js";
import { Builder, type Graph } from "../../../compiler/ir/graph.js";
import type { TensorData } from "../../../compiler/ir/tensor.js";
import { BATCH, expectSameOutputs, matrix } from "./helpers.js";
import type { RefTensor } from "../ir/reference.js";

/** Prunes a copy of `values` and checks that the outputs do not change. */
function pruned(graph: Graph, values: Map<string, TensorData>, inputs: Record<string, RefTensor>) {
  const after = new Map(values);
  const result = pruneGraph(graph, after);
  expectSameOutputs(graph, values, result.graph, after, inputs);
  return { ...result, values: after };
}

const zeros = { kind: "zeros" } as const;

describe("block cutting", () => {
  it("folds W ⊙ mask into one weight and removes the input block whose rows it zeroes, with its input", () => {
    const b = new Builder("block");
    const x1 = b.input("x1", "float32", ["batch", 2]);
    const x2 = b.input("x2", "float32", ["batch", 3]);
    // Rows 2..4 of the gated weight (x2's block) are 0.
    const mask = b.constant([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], "float32", [5, 2], "mask");
    const w = b.mul(b.param("w", [5, 2], zeros), mask, "gated");
    b.output(b.add(b.matmul(b.concat([x1, x2], 1, "x"), w, "xw"), b.param("bias", [2], zeros), "y"));
    const graph = b.finish();
    const values = new Map<string, TensorData>([
      ["w", Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])],
      ["bias", Float32Array.from([0.5, -0.5])],
    ]);
    const r = pruned(graph, values, { x1: matrix(BATCH, 2, 1), x2: matrix(BATCH, 3, 2) });
    expect(r.report.blocks).toBe(1);
    expect(r.report.inputs).toEqual(["x2"]);
    expect(r.graph.nodes.map((n) => n.op)).toEqual(["MatMul", "Add"]);
    // The kept rows of the folded weight: w ⊙ mask, rows 0 and 1.
    const kept = r.graph.nodes[0]!.inputs[1]!;
    expect(kept.shape).toEqual([2, 2]);
    expect(Array.from(r.values.get(kept.name) as Float32Array)).toEqual([1, 2, 3, 0]);
    expect(r.report.params).toEqual({ before: 12, after: 6 });
  });

  it("removes the closed term of a gated sum, a + x ⊙ 0 = a", () => {
    const b = new Builder("sum");
    const x1 = b.input("x1", "float32", ["batch", 2]);
    const x2 = b.input("x2", "float32", ["batch", 2]);
    const open = b.mul(x1, b.constant(0.75, "float32"), "open");
    const closed = b.mul(x2, b.constant(0, "float32"), "closed");
    b.output(b.add(open, closed, "mix"));
    const graph = b.finish();
    const r = pruned(graph, new Map(), { x1: matrix(BATCH, 2, 3), x2: matrix(BATCH, 2, 4) });
    expect(r.report.blocks).toBe(1);
    expect(r.report.inputs).toEqual(["x2"]);
    expect(r.graph.nodes.map((n) => n.op)).toEqual(["Mul", "Identity"]);
  });
});

describe("unit pruning", () => {
  /** x -> h = relu(x W1 + b1) -> y = h W2 + b2, with W1's column 1 all 0 (a closed unit) and `w2` given. */
  function twoLayers(w2: number[]) {
    const b = new Builder("units");
    const x = b.input("x", "float32", ["batch", 2]);
    const h = b.relu(b.add(b.matmul(x, b.param("w1", [2, 3], zeros), "xw1"), b.param("b1", [3], zeros), "pre1"), "h");
    b.output(b.add(b.matmul(h, b.param("w2", [3, 2], zeros), "hw2"), b.param("b2", [2], zeros), "y"));
    const values = new Map<string, TensorData>([
      ["w1", Float32Array.from([1, 0, -1, 2, 0, 0.5])],
      ["b1", Float32Array.from([0.5, 0.7, -0.2])],
      ["w2", Float32Array.from(w2)],
      ["b2", Float32Array.from([0.25, -1])],
    ]);
    return { graph: b.finish(), values };
  }

  it("removes a unit the same for every example and folds act(b)·W into the next layer's bias", () => {
    const { graph, values } = twoLayers([1, 2, 3, 4, 5, 6]);
    const r = pruned(graph, values, { x: matrix(BATCH, 2, 5) });
    // Unit 1 of h is relu(0.7) = 0.7 for every example: it leaves layer 1 (W1's column, b1's entry).
    expect(r.report.units).toBe(1);
    const layer1 = r.graph.nodes.find((n) => n.outputs[0]!.name === "xw1")!;
    expect(layer1.inputs[1]!.shape).toEqual([2, 2]);
    expect(Array.from(r.values.get(layer1.inputs[1]!.name) as Float32Array)).toEqual([1, -1, 2, 0.5]);
    // Layer 2 no longer reads it: W2 loses row 1, and b2' = b2 + 0.7 · W2[1, :] = [0.25 + 2.1, -1 + 2.8].
    const layer2 = r.graph.nodes.find((n) => n.outputs[0]!.name === "hw2")!;
    expect(Array.from(r.values.get(layer2.inputs[1]!.name) as Float32Array)).toEqual([1, 2, 5, 6]);
    const bias = r.graph.nodes.find((n) => n.outputs[0]!.name === "y")!.inputs[1]!;
    const b2 = Array.from(r.values.get(bias.name) as Float32Array);
    expect(b2[0]).toBeCloseTo(2.35, 6);
    expect(b2[1]).toBeCloseTo(1.8, 6);
  });

  it("removes a unit nothing reads (its outgoing row is 0) with its column of the layer before", () => {
    // W2's row 2 is 0: unit 2 of h is read by nothing; unit 1 is constant as before.
    const { graph, values } = twoLayers([1, 2, 3, 4, 0, 0]);
    const r = pruned(graph, values, { x: matrix(BATCH, 2, 6) });
    expect(r.report.units).toBe(2);
    const layer1 = r.graph.nodes.find((n) => n.outputs[0]!.name === "xw1")!;
    expect(layer1.inputs[1]!.shape).toEqual([2, 1]);
  });
});

describe("field pruning", () => {
  /**
   * Two fields (a categorical one looked up in a 3-row table, a numeric pair) read by two groups
   * through FSCM: w_j = relu(tanh((E ⊙ g_j) S)), E_j = E ⊙ (w_j Sᵀ), y_j = E_j W_j + c_j.
   * `closedFor` lists the groups whose g makes the categorical field's score negative on every row.
   */
  function fscm(closedFor: readonly string[]) {
    const b = new Builder("fscm");
    const index = b.input("i1", "int64", ["batch"]);
    const e1 = b.gather(b.param("table", [3, 2], zeros, { group: "embedding" }), index, 0, "e1");
    const e2 = b.input("x2", "float32", ["batch", 2]);
    const e = b.concat([e1, e2], 1, "E");
    const s = b.constant([1, 0, 1, 0, 0, 1, 0, 1], "float32", [4, 2]);
    const sT = b.constant([1, 1, 0, 0, 0, 0, 1, 1], "float32", [2, 4]);
    const values = new Map<string, TensorData>([["table", Float32Array.from([1, 0.5, 0.3, 0.8, 0.6, 0.6])]]);
    for (const group of ["A", "B"]) {
      b.scope(group, () => {
        const g = b.param("g", [4], zeros, { group: "gate" });
        const mask = b.relu(b.tanh(b.matmul(b.mul(e, g, "weighted"), s, "scores"), "tanh"), "mask");
        const selected = b.mul(e, b.matmul(mask, sT, "mask_columns"), "selected");
        b.output(b.add(b.matmul(selected, b.param("w", [4, 1], zeros), "xw"), b.param("c", [1], zeros), "y"));
      });
      const sign = closedFor.includes(group) ? -1 : 1;
      values.set(`${group}/g`, Float32Array.from([sign, sign, 0.5, -0.5]));
      values.set(`${group}/w`, Float32Array.from([1, 2, 3, 4]));
      values.set(`${group}/c`, Float32Array.from([0.1]));
    }
    const inputs: Record<string, RefTensor> = { i1: { dtype: "int64", shape: [BATCH], data: [0, 2, 1, 0] }, x2: matrix(BATCH, 2, 7) };
    return { graph: b.finish(), values, inputs };
  }

  it("cuts a field out of the group whose selection is closed on every row of its table, and keeps it for the other", () => {
    const { graph, values, inputs } = fscm(["A"]);
    const r = pruned(graph, values, inputs);
    expect(r.constantColumns("A/mask")).toEqual([0, undefined]);
    expect(r.constantColumns("B/mask")).toEqual([undefined, undefined]);
    // A's layer reads the numeric field's two columns only; B's all four.
    const layer = (group: string) => r.graph.nodes.find((n) => n.outputs[0]!.name === `${group}/xw`)!;
    expect(layer("A").inputs[1]!.shape).toEqual([2, 1]);
    expect(layer("B").inputs[1]!.shape).toEqual([4, 1]);
    expect(r.report.inputs).toEqual([]);
  });

  it("removes a field no group reads any more, with its lookup and its input", () => {
    const { graph, values, inputs } = fscm(["A", "B"]);
    const r = pruned(graph, values, inputs);
    expect(r.report.inputs).toEqual(["i1"]);
    expect(r.graph.nodes.some((n) => n.op === "Gather")).toBe(false);
    expect(r.graph.params.map((p) => p.value.name)).not.toContain("table");
    expect(r.values.has("table")).toBe(false);
  });
});
