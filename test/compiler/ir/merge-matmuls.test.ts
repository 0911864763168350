// Merging sibling matmuls: layers that read one input run as one matmul on the concatenated
// weights (and biases), split back by columns; every value a reader saw is the same.

import { describe, expect, it } from "vitest";
import { Builder, type Graph } from "../../../compiler/ir/graph.js";
import { mergeSiblingMatMuls } from "../../../compiler/ir/merge-matmuls.js";
import { Random } from "../../../base/random.js";
import { evaluate, type RefTensor } from "./reference.js";

/** Random feeds for every input and param of `graph` (batch 5). */
function feedsOf(graph: Graph, seed: number): Record<string, RefTensor> {
  const rng = Random.derive(seed, graph.name);
  const feeds: Record<string, RefTensor> = {};
  for (const v of [...graph.inputs, ...graph.params.map((p) => p.value)]) {
    const shape = v.shape.map((d) => (typeof d === "string" ? 5 : d));
    const n = shape.reduce((a, d) => a * d, 1);
    feeds[v.name] = { dtype: "float32", shape, data: Array.from({ length: n }, () => Math.fround(rng.normal())) };
  }
  return feeds;
}

/** The outputs of both graphs on the same feeds are equal. */
function expectSameOutputs(before: Graph, after: Graph): void {
  const feeds = feedsOf(before, 1);
  const a = evaluate(before, feeds);
  const b = evaluate(after, feeds);
  for (const o of before.outputs) {
    const x = a.get(o.name)!.data as number[];
    const y = b.get(o.name)!.data as number[];
    x.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 5));
  }
}

describe("mergeSiblingMatMuls", () => {
  it("merges layers reading one input, with their biases, moving up a weight computed later", () => {
    const b = new Builder("experts");
    const x = b.input("x", "float32", ["batch", 4]);
    const outs = [3, 2, 5].map((width, e) =>
      b.scope(`expert${e}`, () => {
        let w = b.param("weight", [4, width], { kind: "zeros" });
        // The last expert's weight is gated right before its layer, after the others ran.
        if (e === 2) w = b.mul(w, b.sigmoid(b.param("gate", [4, width], { kind: "zeros" }), "z"), "gated_weight");
        const pre = b.add(b.matmul(x, w, "xw"), b.param("bias", [width], { kind: "zeros" }), "pre");
        return b.relu(pre, "out");
      }),
    );
    b.output(b.concat(outs, 1, "all"));
    const before = b.finish();
    const after = mergeSiblingMatMuls(before);
    expect(after.nodes.map((n) => `${n.op} ${n.outputs.map((o) => o.name).join(",")}`)).toEqual([
      "Sigmoid expert2/z",
      "Mul expert2/gated_weight",
      "Concat x/siblings/weight",
      "MatMul x/siblings/xw",
      "Concat x/siblings/bias",
      "Add x/siblings/pre",
      "Split expert0/pre,expert1/pre,expert2/pre",
      "Relu expert0/out",
      "Relu expert1/out",
      "Relu expert2/out",
      "Concat all",
    ]);
    expect(after.nodes.find((n) => n.op === "Split")!.attrs).toEqual({ axis: 1, sizes: [3, 2, 5] });
    expectSameOutputs(before, after);
  });

  it("merges the matmuls alone when a sibling's result is read without a bias", () => {
    const b = new Builder("mixed");
    const x = b.input("x", "float32", ["batch", 3]);
    const w1 = b.param("w1", [3, 2], { kind: "zeros" });
    const w2 = b.param("w2", [3, 4], { kind: "zeros" });
    const a = b.add(b.matmul(x, w1, "a/xw"), b.param("a/bias", [2], { kind: "zeros" }), "a/pre");
    const c = b.matmul(x, w2, "c/xw");
    b.output(b.tanh(a, "a/out"));
    b.output(b.sigmoid(c, "c/out"));
    const before = b.finish();
    const after = mergeSiblingMatMuls(before);
    expect(after.nodes.map((n) => n.op)).toEqual(["Concat", "MatMul", "Split", "Add", "Tanh", "Sigmoid"]);
    expect(after.nodes.find((n) => n.op === "Split")!.outputs.map((o) => o.name)).toEqual(["a/xw", "c/xw"]);
    expectSameOutputs(before, after);
  });

  it("leaves alone a group whose weight depends on a sibling's result, and a graph without siblings", () => {
    const b = new Builder("chained");
    const x = b.input("x", "float32", ["batch", 3]);
    const h = b.matmul(x, b.param("w1", [3, 3], { kind: "zeros" }), "h");
    // The second weight is computed from the first layer's result: it cannot move before it.
    const w2 = b.reduceSum(b.unsqueeze(h, [2], "h3"), [0], false, "w2");
    b.output(b.add(h, b.matmul(x, w2, "g"), "out"));
    const chained = b.finish();
    expect(mergeSiblingMatMuls(chained)).toBe(chained);

    const c = new Builder("single");
    const y = c.input("y", "float32", ["batch", 2]);
    c.output(c.matmul(y, c.param("w", [2, 2], { kind: "zeros" }), "out"));
    const single = c.finish();
    expect(mergeSiblingMatMuls(single)).toBe(single);
  });
});
