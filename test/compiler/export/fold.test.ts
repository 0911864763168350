import { describe, expect, it } from "vitest";
import { foldNode } from "../../../compiler/export/fold.js";
import { Builder, type Value } from "../../../compiler/ir/graph.js";
import { evaluate, refTensor } from "../ir/reference.js";

// Folding (compiler/export/fold.ts) against the reference evaluator, on the broadcasts and sums
// that a zero pattern or a mask's element numbers go through (closed-weights.ts, slice-params.ts).

/** Distinct values for a tensor of `shape`: 1.5, 2.5, 3.5, ... */
const values = (shape: readonly number[]) => Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_v, i) => i + 1.5);

/** The one node `build` adds over inputs of `shapes`, folded and evaluated by the reference. */
function foldedAndReference(shapes: readonly (readonly number[])[], build: (b: Builder, xs: Value[]) => Value): { folded: number[]; reference: number[] } {
  const b = new Builder("fold");
  const xs = shapes.map((shape, i) => b.input(`x${i}`, "float32", [...shape]));
  b.output(build(b, xs));
  const graph = b.finish();
  const node = graph.nodes.at(-1)!;
  const data = shapes.map(values);
  const folded = foldNode(
    node,
    shapes.map((shape, i) => ({ data: data[i]!, shape })),
    undefined,
  );
  const feeds = Object.fromEntries(shapes.map((shape, i) => [`x${i}`, refTensor("float32", shape, data[i]!)]));
  const reference = evaluate(graph, feeds).get(graph.outputs[0]!.name)!;
  return { folded: Array.from(folded![0]!), reference: reference.data as number[] };
}

describe("folding", () => {
  it.each([
    [[3, 1], [3, 4]],
    [[1, 4], [3, 4]],
    [[4], [3, 4]],
    [[2, 1, 5], [2, 3, 5]],
    [[3, 1, 1], [3, 2, 4]],
    [[1, 2, 1], [3, 2, 4]],
    [[1], [2, 3]],
    [[2, 3], [2, 3]],
  ])("expands %j to %j as the reference does", (from, to) => {
    const { folded, reference } = foldedAndReference([from], (b, [x]) => b.expand(x!, to));
    expect(folded).toEqual(reference);
  });

  it.each([
    [[3, 4], [3, 1]],
    [[3, 4], [1, 4]],
    [[2, 3, 4], [2, 1, 4]],
    [[3, 1], [1, 4]],
    [[2, 3], [2, 3]],
  ])("multiplies %j by %j, broadcast, as the reference does", (a, c) => {
    const { folded, reference } = foldedAndReference([a, c], (b, [x, y]) => b.mul(x!, y!));
    // float32 products against float64 ones: these small integers' products are exact in both.
    expect(folded).toEqual(reference);
  });

  it.each([
    [[3, 4], [0]],
    [[3, 4], [1]],
    [[2, 3, 4], [0]],
    [[2, 3, 4], [1]],
    [[2, 3, 4], [2]],
    [[2, 3, 4], [0, 2]],
    [[2, 3, 4], [0, 1, 2]],
    [[5], [0]],
  ])("sums %j over axes %j as the reference does", (shape, axes) => {
    const { folded, reference } = foldedAndReference([shape], (b, [x]) => b.reduceSum(x!, axes, false));
    expect(folded).toEqual(reference);
  });
});
