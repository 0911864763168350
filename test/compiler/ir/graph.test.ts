// The builder: scoped deterministic names, deduplicated constants, doc strings, and shape and
// dtype inference as nodes are added.

import { describe, expect, it } from "vitest";
import { Builder, type FunctionDef } from "../../../compiler/ir/graph.js";
import { BATCH } from "../../../compiler/ir/ops.js";
import { broadcastShapes } from "../../../compiler/ir/shapes.js";
import { InvariantError } from "../../../base/source/diagnostic.js";

const type = (v: { dtype: string; shape: readonly (number | string)[] }) => `${v.dtype}[${v.shape.join(",")}]`;

describe("names", () => {
  it("are scoped and deterministic, defaulting to the op kind with a counter", () => {
    const b = new Builder("g");
    const x = b.input("x", "float32", [BATCH, 4]);
    const names = b.scope("income/tower", () => [
      b.relu(x).name,
      b.relu(x).name,
      b.scope("dense0", () => b.matmul(x, b.param("weight", [4, 2], { kind: "zeros" }), "out").name),
      b.leakyRelu(x, 0.1).name,
      b.split(b.concat([x, x], 1), 1, [3, 5]).map((v) => v.name).join(" "),
    ]);
    expect(names).toEqual([
      "income/tower/relu",
      "income/tower/relu_1",
      "income/tower/dense0/out",
      "income/tower/leaky_relu",
      "income/tower/split/0 income/tower/split/1",
    ]);
    expect(b.lookup("income/tower/dense0/weight")?.shape).toEqual([4, 2]);
  });

  it("may not be used twice", () => {
    const b = new Builder("g");
    const x = b.input("x", "float32", [2]);
    b.relu(x, "act");
    expect(() => b.relu(x, "act")).toThrow(new InvariantError("The name act is defined twice."));
  });

  it("of another graph's values are rejected", () => {
    const other = new Builder("other").input("x", "float32", [2]);
    const b = new Builder("g");
    b.input("x", "float32", [2]);
    expect(() => b.relu(other)).toThrow(new InvariantError("Relu: input x is not a value of graph g."));
  });
});

describe("constants", () => {
  it("are deduplicated by type, shape and contents and named by their contents", () => {
    const b = new Builder("g");
    const half = b.constant(0.5, "float32");
    expect(b.constant(0.5, "float32")).toBe(half);
    expect(b.constant(0.5, "float64")).not.toBe(half);
    expect(b.constant([0.5], "float32")).not.toBe(half); // shape [1], not []
    expect(b.constant(0.1, "float32").name).toBe("const/float32/0.1");
    expect(b.constant(0.1, "float64").name).toBe("const/float64/0.1");
    expect(b.constant(-0, "float64").name).toBe("const/float64/-0");
    expect(b.constant([1, 2, 3, 4], "int64", [2, 2]).name).toBe("const/int64[2,2]/1,2,3,4");
    expect(b.graph.constants.map((c) => c.value.name)).toEqual([
      "const/float32/0.5",
      "const/float64/0.5",
      "const/float32[1]/0.5",
      "const/float32/0.1",
      "const/float64/0.1",
      "const/float64/-0",
      "const/int64[2,2]/1,2,3,4",
    ]);
  });

  it("larger than 8 elements need a tag", () => {
    const b = new Builder("g");
    expect(b.constant(new Float32Array(9), "float32", [9], "table").name).toBe("const/float32[9]/#table");
    expect(() => b.constant(new Float32Array(9), "float64", [9])).toThrow(new InvariantError("Constant data is not of element type float64."));
  });
});

describe("doc strings", () => {
  it("record the spec location on nodes and params, scoped or sticky", () => {
    const b = new Builder("g");
    const x = b.input("x", "float32", [2]);
    b.at("a.mssm:1");
    b.relu(x, "r1");
    b.at("a.mssm:7", () => {
      b.param("p", [2], { kind: "zeros" });
      b.relu(x, "r2");
    });
    b.relu(x, "r3");
    expect(b.graph.nodes.map((n) => n.doc)).toEqual(["a.mssm:1", "a.mssm:7", "a.mssm:1"]);
    expect(b.graph.params[0]!.doc).toBe("a.mssm:7");
  });
});

describe("shape inference", () => {
  const b = new Builder("g");
  const x = b.input("x", "float32", [BATCH, 4]);
  const cases: [string, () => { dtype: string; shape: readonly (number | string)[] }, string][] = [
    ["broadcasting adds dims", () => b.add(b.input("a", "float32", [BATCH, 1, 4]), b.input("c", "float32", [2, 1])), "float32[batch,2,4]"],
    ["MatMul", () => b.matmul(x, b.input("w", "float32", [4, 5])), "float32[batch,5]"],
    ["MatMul with a vector", () => b.matmul(x, b.input("v", "float32", [4])), "float32[batch]"],
    ["comparison gives bool", () => b.greater(x, b.constant(0, "float32")), "bool[batch,4]"],
    ["ReduceSum keepdims", () => b.reduceSum(x, [-1], true), "float32[batch,1]"],
    ["ReduceMean over the batch", () => b.reduceMean(x, [0], false), "float32[4]"],
    ["Concat sums the axis", () => b.concat([x, x, x], -1), "float32[batch,12]"],
    ["Slice", () => b.slice(b.input("s", "float32", [BATCH, 10]), { axes: [1], starts: [-8], ends: [9], steps: [3] }), "float32[batch,3]"],
    ["Reshape keeps symbols", () => b.reshape(x, [BATCH, 2, 2]), "float32[batch,2,2]"],
    ["Transpose", () => b.transpose(x, [1, 0]), "float32[4,batch]"],
    ["Unsqueeze counts axes in the output", () => b.unsqueeze(x, [-1, 0]), "float32[1,batch,4,1]"],
    ["Squeeze", () => b.squeeze(b.unsqueeze(x, [1]), [1]), "float32[batch,4]"],
    ["Expand to the batch", () => b.expand(b.input("e", "float32", [1, 4]), [BATCH, 4]), "float32[batch,4]"],
    ["Gather of embedding rows", () => b.gather(b.input("table", "float32", [100, 8]), b.input("ids", "int64", [BATCH, 3]), 0), "float32[batch,3,8]"],
    ["ScatterAdd into embedding rows", () => b.scatterAdd(b.input("rows", "float32", ["rows", 8]), b.input("rid", "int64", [BATCH, 3]), b.input("dy", "float32", [BATCH, 3, 8])), "float32[rows,8]"],
    ["Cast", () => b.cast(x, "int64"), "int64[batch,4]"],
    ["Where", () => b.where(b.input("m", "bool", [BATCH, 1]), x, b.constant(0, "float32")), "float32[batch,4]"],
  ];
  for (const [title, make, expected] of cases) it(title, () => expect(type(make())).toBe(expected));

  it("stores attributes normalized", () => {
    const g = b.graph;
    const reduce = g.nodes.find((n) => n.op === "ReduceSum")!;
    expect(reduce.attrs).toEqual({ axes: [1], keepdims: true });
    const unsq = g.nodes.find((n) => n.op === "Unsqueeze")!;
    expect(unsq.attrs).toEqual({ axes: [0, 3] });
    const slice = g.nodes.find((n) => n.op === "Slice")!;
    expect(slice.attrs).toEqual({ axes: [1], starts: [2], ends: [9], steps: [3] });
  });

  const failures: [string, () => unknown, string][] = [
    ["shapes that do not broadcast", () => b.add(x, b.input("f1", "float32", [3])), "Add: shapes [batch,4] and [3] do not broadcast."],
    ["a symbol against a number", () => b.mul(x, b.input("f2", "float32", [5, 4])), "Mul: shapes [batch,4] and [5,4] do not broadcast."],
    ["two different symbols", () => b.sub(x, b.input("f3", "float32", ["rows", 4])), "Sub: shapes [batch,4] and [rows,4] do not broadcast."],
    ["mixed element types", () => b.add(x, b.input("f4", "float64", [4])), "Add: inputs have different element types (float32, float64)."],
    ["MatMul inner dims", () => b.matmul(x, b.input("f5", "float32", [3, 2])), "MatMul: inner dimensions 4 and 3 differ ([batch,4] x [3,2])."],
    ["Log of integers", () => b.log(b.input("f6", "int64", [2])), "Log: element type int64 is not one of float32, float64."],
    ["an axis out of range", () => b.softmax(x, 2), "Softmax: axis 2 is not in 0..1."],
    ["Reshape that changes the size", () => b.reshape(x, [BATCH, 3]), "Reshape: [batch,4] cannot become [batch,3]."],
    ["Squeeze of a non-1 axis", () => b.squeeze(x, [1]), "Squeeze: axis 1 has size 4, not 1."],
    ["Split sizes", () => b.split(x, 1, [1, 2]), "Split: sizes [1,2] do not add up to 4."],
    ["Slice past the end", () => b.slice(x, { axes: [1], starts: [1], ends: [5] }), "Slice: 1:5:1 is not a non-empty forward range within 0..4 on axis 1."],
    ["Split of a joined run-time size by other sizes", () => b.split(b.concat([x, x], 0), 0, [BATCH]), "Split: sizes [batch] do not add up to batch+batch."],
    ["float indices", () => b.gather(x, x, 0), "Gather: element type float32 is not one of int64."],
    [
      "ScatterAdd updates of the wrong shape",
      () => b.scatterAdd(b.input("t2", "float32", [10, 8]), b.input("i2", "int64", [BATCH]), b.input("u2", "float32", [BATCH, 4])),
      "ScatterAdd: updates [batch,4] should be [batch,8] for data [10,8] and indices [batch].",
    ],
  ];
  for (const [title, make, message] of failures) it(`rejects ${title}`, () => expect(make).toThrow(new InvariantError(message)));

  it("joins run-time sizes along a Concat axis into one symbol, which a Split by the same sizes cuts back", () => {
    const rows = [b.input("ra", "float32", ["rows_a", 3]), b.input("rb", "float32", ["rows_b", 3])];
    const joined = b.concat(rows, 0);
    expect(joined.shape).toEqual(["rows_a+rows_b", 3]);
    expect(b.split(joined, 0, ["rows_a", "rows_b"]).map((v) => v.shape)).toEqual([
      ["rows_a", 3],
      ["rows_b", 3],
    ]);
    expect(b.concat([b.input("static_rows", "float32", [2, 3]), rows[0]!], 0).shape).toEqual(["2+rows_a", 3]);
  });

  it("broadcasts a symbol with 1 and with itself", () => {
    expect(broadcastShapes("t", [BATCH, 1], [1, 3], [BATCH, 3])).toEqual([BATCH, 3]);
    expect(broadcastShapes("t", [], [2])).toEqual([2]);
  });
});

describe("Call", () => {
  const square: FunctionDef = { name: "Square", doc: "", inputs: ["x"], outputs: ["y"], body: (b, [x]) => [b.mul(x!, x!, "y")] };

  it("types its outputs by instantiating the body for the call's inputs", () => {
    const b = new Builder("g");
    const x = b.input("x", "float64", [BATCH, 3]);
    const [y] = b.scope("s", () => b.call(square, [x]));
    expect(y!.name).toBe("s/square/y");
    expect(type(y!)).toBe("float64[batch,3]");
    const [z] = b.call(square, [b.input("v", "float64", [7])], ["z"]);
    expect(type(z!)).toBe("float64[7]");
    expect(b.finish().functions).toEqual([square]);
  });

  it("rejects two different functions under one name", () => {
    const b = new Builder("g");
    const x = b.input("x", "float32", [2]);
    b.call(square, [x]);
    expect(() => b.call({ ...square }, [x])).toThrow(new InvariantError("Two different functions are named Square."));
  });
});

describe("Builder.extend", () => {
  it("appends to a copy and leaves the original graph as it was", () => {
    const b = new Builder("g");
    const x = b.input("x", "float32", [2]);
    b.output(b.relu(x));
    const g = b.finish();
    const e = Builder.extend(g);
    e.output(e.exp(g.nodes[0]!.outputs[0]!));
    expect(e.constant(1, "float32").name).toBe("const/float32/1");
    expect(e.finish().nodes.map((n) => n.op)).toEqual(["Relu", "Exp"]);
    expect(g.nodes.map((n) => n.op)).toEqual(["Relu"]);
    expect(g.outputs.map((v) => v.name)).toEqual(["relu"]);
  });
});
