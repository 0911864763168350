// The verifier catches broken graphs, as a buggy pass would leave them.

import { describe, expect, it } from "vitest";
import { Builder, type Graph, type Node, type Value } from "../../../compiler/ir/graph.js";
import { BATCH } from "../../../compiler/ir/ops.js";
import { assertValid, verifyGraph } from "../../../compiler/ir/verify.js";
import { InvariantError } from "../../../base/source/diagnostic.js";

/** x -> relu -> exp, valid. */
function valid(): Graph {
  const b = new Builder("g");
  const x = b.input("x", "float32", [BATCH, 4]);
  b.output(b.exp(b.relu(x, "r"), "e"));
  return b.finish();
}

const value = (name: string, shape: (number | string)[] = [BATCH, 4], dtype: Value["dtype"] = "float32"): Value => ({ name, dtype, shape });

describe("verifyGraph", () => {
  it("accepts a valid graph", () => {
    expect(verifyGraph(valid())).toEqual([]);
  });

  it("finds a node that uses a value before it is defined", () => {
    const g = valid();
    const broken = { ...g, nodes: [g.nodes[1]!, g.nodes[0]!] };
    expect(verifyGraph(broken)).toEqual(["Exp %e: input %r is not defined before this node."]);
  });

  it("finds a name defined twice", () => {
    const g = valid();
    const twice: Node = { op: "Relu", attrs: {}, inputs: [g.inputs[0]!], outputs: [value("r")], doc: "" };
    expect(verifyGraph({ ...g, nodes: [...g.nodes, twice] })).toEqual(["The name %r is defined twice (again as an output of Relu)."]);
  });

  it("finds an input that is a stale copy of the defined value", () => {
    const g = valid();
    const stale: Node = { ...g.nodes[1]!, inputs: [value("r")] } as Node;
    expect(verifyGraph({ ...g, nodes: [g.nodes[0]!, stale] })).toEqual(["Exp %e: input %r is not the value defined under that name."]);
  });

  it("finds an output type that disagrees with shape inference", () => {
    const g = valid();
    const wrong: Node = { ...g.nodes[0]!, outputs: [value("r", [BATCH, 5])] } as Node;
    expect(verifyGraph({ ...g, nodes: [wrong], outputs: [] })).toEqual(["Relu %r: output %r is float32[batch,5], the op gives float32[batch,4]."]);
  });

  it("finds attributes that are not normalized", () => {
    const x = value("x");
    const node: Node = { op: "Softmax", attrs: { axis: -1 }, inputs: [x], outputs: [value("y")], doc: "" };
    const g: Graph = { name: "g", doc: "", inputs: [x], params: [], constants: [], nodes: [node], outputs: [], functions: [] };
    expect(verifyGraph(g)).toEqual(['Softmax %y: attributes {"axis":-1} are not normalized']);
  });

  it("finds op errors, undefined outputs, unknown functions and bad constants", () => {
    const x = value("x");
    const nodes: Node[] = [
      { op: "MatMul", attrs: {}, inputs: [x, x], outputs: [value("m")], doc: "" },
      { op: "Call", attrs: { function: "Nope" }, inputs: [x], outputs: [value("c")], doc: "" },
    ];
    const constant = { value: value("k", [3], "int64"), data: new BigInt64Array(2) };
    const g: Graph = { name: "g", doc: "", inputs: [x], params: [], constants: [constant], nodes, outputs: [value("gone")], functions: [] };
    expect(verifyGraph(g)).toEqual([
      "Constant %k: its data does not fill int64[3].",
      "MatMul %m: inner dimensions 4 and batch differ ([batch,4] x [batch,4]).",
      "Call %c: function Nope is not in the graph's functions",
      "Graph output %gone is not defined.",
    ]);
  });

  it("finds params that are not static float tensors", () => {
    const g: Graph = { ...valid(), params: [{ value: value("w", [BATCH, 2]), init: { kind: "zeros" }, group: "dense", doc: "" }] };
    expect(verifyGraph(g)).toEqual(["Param %w must be a float tensor of static shape, not float32[batch,2]."]);
  });

  it("is run by assertValid, which names the pass", () => {
    const g = valid();
    expect(() => assertValid({ ...g, outputs: [...g.outputs, ...g.outputs] }, "autodiff")).toThrow(
      new InvariantError("After autodiff, graph g is not valid:\n  Graph output %e is listed twice."),
    );
  });
});
