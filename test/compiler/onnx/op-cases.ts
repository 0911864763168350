// The op test cases: one tiny graph per op form, shared by the ORT test and the ONNX checker test.

import { expect } from "vitest";
import { Builder, type Value } from "../../../compiler/ir/graph.js";
import { HardConcreteGate } from "../../../compiler/ir/hard-concrete.js";
import { BATCH, type DType, type OpKind } from "../../../compiler/ir/ops.js";
import { Random } from "../../../base/random.js";
import type { RefTensor } from "../ir/reference.js";

/** The run-time batch size fed to the test graphs. */
export const BATCH_SIZE = 3;

/** One op form: a graph builder and how to feed it. */
export interface OpCase {
  /** The op under test (one case may cover it in several forms). */
  op: OpKind;
  title: string;
  /** Element type of the float inputs. */
  dtype?: DType;
  build(b: Builder, t: DType): void;
  /** Inputs drawn from [0.5, 2] instead of ±[0.5, 2]. */
  positive?: boolean;
  /** Custom feeds by input name. */
  feeds?: (rng: Random) => Record<string, RefTensor>;
  tolerance?: number;
}

const x = (b: Builder, t: DType, shape: (number | string)[] = [BATCH, 4], name = "x") => b.input(name, t, shape);
const out = (b: Builder, v: Value) => b.output(v);

const unary = (op: OpKind, f: (b: Builder, v: Value) => Value, extra: Partial<OpCase> = {}): OpCase => ({
  op,
  title: op,
  build: (b, t) => out(b, f(b, x(b, t))),
  ...extra,
});

const binary = (op: OpKind, f: (b: Builder, a: Value, c: Value) => Value): OpCase => ({
  op,
  title: `${op} with broadcasting`,
  build: (b, t) => out(b, f(b, x(b, t, [BATCH, 1, 4], "a"), x(b, t, [2, 1], "c"))),
});

/** Every op, some in several forms. */
export const CASES: OpCase[] = [
  unary("Neg", (b, v) => b.neg(v)),
  unary("Exp", (b, v) => b.exp(v)),
  unary("Log", (b, v) => b.log(v), { positive: true }),
  unary("Sqrt", (b, v) => b.sqrt(v), { positive: true }),
  unary("Abs", (b, v) => b.abs(v)),
  unary("Relu", (b, v) => b.relu(v)),
  // onnxruntime's CPU provider has float32-only kernels for LeakyRelu, Elu and Erf (opset-dependent).
  unary("LeakyRelu", (b, v) => b.leakyRelu(v, 0.1), { dtype: "float32" }),
  unary("Elu", (b, v) => b.elu(v, 0.7), { dtype: "float32" }),
  unary("Sigmoid", (b, v) => b.sigmoid(v)),
  unary("Tanh", (b, v) => b.tanh(v)),
  unary("Erf", (b, v) => b.erf(v), { dtype: "float32" }),
  unary("Pow", (b, v) => b.pow(v, 3)),
  { ...unary("Pow", (b, v) => b.pow(v, 0.5), { positive: true }), title: "Pow with a fractional exponent" },
  unary("Clip", (b, v) => b.clip(v, -1, 1.5)),
  { ...unary("Clip", (b, v) => b.clip(v, undefined, 0.75)), title: "Clip with only a max" },
  { ...unary("Clip", (b, v) => b.clip(v, -0.75, undefined)), title: "Clip with only a min" },
  unary("Identity", (b, v) => b.identity(v)),
  unary("Cast", (b, v) => b.cast(v, "int64")),
  { ...unary("Cast", (b, v) => b.cast(b.cast(v, "bool"), "float32")), title: "Cast to bool and back" },
  {
    op: "Cast",
    title: "Cast strings to float64",
    build: (b) => out(b, b.cast(b.input("s", "string", [BATCH]), "float64")),
    feeds: () => ({ s: { dtype: "string", shape: [3], data: ["1.5", "-2", "0.25"] } }),
  },
  binary("Add", (b, a, c) => b.add(a, c)),
  binary("Sub", (b, a, c) => b.sub(a, c)),
  binary("Mul", (b, a, c) => b.mul(a, c)),
  binary("Div", (b, a, c) => b.div(a, c)),
  binary("Max", (b, a, c) => b.max(a, c)),
  binary("Min", (b, a, c) => b.min(a, c)),
  binary("Greater", (b, a, c) => b.greater(a, c)),
  binary("Less", (b, a, c) => b.less(a, c)),
  {
    op: "Equal",
    title: "Equal",
    build: (b, t) => out(b, b.equal(x(b, t, [BATCH, 4], "a"), x(b, t, [BATCH, 4], "c"))),
    feeds: (rng) => {
      const a = Array.from({ length: 12 }, () => rng.uniformIn(-2, 2));
      return { a: { dtype: "float64", shape: [3, 4], data: a }, c: { dtype: "float64", shape: [3, 4], data: a.map((v, i) => (i % 2 ? v : v + 1)) } };
    },
  },
  {
    op: "Where",
    title: "Where with broadcasting",
    build: (b, t) => out(b, b.where(b.input("cond", "bool", [BATCH, 4]), x(b, t, [4], "a"), x(b, t, [BATCH, 1], "c"))),
  },
  { op: "MatMul", title: "MatMul", build: (b, t) => out(b, b.matmul(x(b, t, [BATCH, 4]), x(b, t, [4, 5], "w"))) },
  { op: "MatMul", title: "MatMul with batch broadcasting", build: (b, t) => out(b, b.matmul(x(b, t, [2, BATCH, 4]), x(b, t, [4, 2], "w"))) },
  { op: "MatMul", title: "MatMul of a matrix and a vector", build: (b, t) => out(b, b.matmul(x(b, t, [BATCH, 4]), x(b, t, [4], "w"))) },
  { op: "ReduceSum", title: "ReduceSum", build: (b, t) => out(b, b.reduceSum(x(b, t, [BATCH, 2, 4]), [-1, 1], false)) },
  { op: "ReduceSum", title: "ReduceSum over the batch, keepdims", build: (b, t) => out(b, b.reduceSum(x(b, t), [0], true)) },
  { op: "ReduceMean", title: "ReduceMean", build: (b, t) => out(b, b.reduceMean(x(b, t, [BATCH, 2, 4]), [2], true)) },
  { op: "ReduceMean", title: "ReduceMean over everything", build: (b, t) => out(b, b.reduceMean(x(b, t), [0, 1], false)) },
  { op: "ReduceMax", title: "ReduceMax", build: (b, t) => out(b, b.reduceMax(x(b, t, [BATCH, 2, 4]), [1], false)) },
  { op: "Softmax", title: "Softmax", build: (b, t) => out(b, b.softmax(x(b, t, [BATCH, 2, 4]), 1)) },
  { op: "LogSoftmax", title: "LogSoftmax", build: (b, t) => out(b, b.logSoftmax(x(b, t), -1)) },
  { op: "Concat", title: "Concat", build: (b, t) => out(b, b.concat([x(b, t, [BATCH, 2]), x(b, t, [BATCH, 3], "y"), x(b, t, [BATCH, 1], "z")], 1)) },
  { op: "Slice", title: "Slice", build: (b, t) => out(b, b.slice(x(b, t, [BATCH, 6, 5]), { axes: [-1, 1], starts: [1, 0], ends: [-1, 6], steps: [1, 2] })) },
  {
    op: "Split",
    title: "Split",
    build: (b, t) => {
      for (const v of b.split(x(b, t, [BATCH, 6]), 1, [1, 2, 3])) out(b, v);
    },
  },
  { op: "Reshape", title: "Reshape keeping the batch", build: (b, t) => out(b, b.reshape(x(b, t, [BATCH, 2, 3]), [BATCH, 3, 2])) },
  { op: "Reshape", title: "Reshape moving the batch", build: (b, t) => out(b, b.reshape(x(b, t, [2, BATCH, 3]), [BATCH, 6])) },
  { op: "Transpose", title: "Transpose", build: (b, t) => out(b, b.transpose(x(b, t, [BATCH, 2, 4]), [2, 0, 1])) },
  { op: "Unsqueeze", title: "Unsqueeze", build: (b, t) => out(b, b.unsqueeze(x(b, t), [0, -1])) },
  { op: "Squeeze", title: "Squeeze", build: (b, t) => out(b, b.squeeze(x(b, t, [1, BATCH, 1, 4]), [0, 2])) },
  { op: "Expand", title: "Expand a kept batch", build: (b, t) => out(b, b.expand(x(b, t, [BATCH, 1]), [BATCH, 5])) },
  {
    op: "Expand",
    title: "Expand to the run-time batch size",
    build: (b, t) => {
      const y = x(b, t, [BATCH, 2], "y");
      out(b, b.identity(y));
      out(b, b.expand(x(b, t, [1, 4]), [BATCH, 4]));
    },
  },
  {
    op: "Gather",
    title: "Gather embedding rows",
    build: (b, t) => out(b, b.gather(x(b, t, [5, 3], "table"), b.input("ids", "int64", [BATCH, 2]), 0)),
    feeds: (rng) => ({ ids: { dtype: "int64", shape: [3, 2], data: Array.from({ length: 6 }, () => Math.floor(rng.uniform() * 5)) } }),
  },
  { op: "Gather", title: "Gather along axis 1", build: (b, t) => out(b, b.gather(x(b, t, [BATCH, 4]), b.constant([3, 0, 3], "int64"), 1)) },
  {
    op: "ScatterAdd",
    title: "ScatterAdd of embedding-row gradients with repeated ids",
    build: (b, t) => out(b, b.scatterAdd(x(b, t, [5, 3], "table"), b.input("ids", "int64", [BATCH, 2]), x(b, t, [BATCH, 2, 3], "dy"))),
    feeds: () => ({ ids: { dtype: "int64", shape: [3, 2], data: [4, 0, 4, 2, 0, 4] } }),
  },
  {
    op: "LabelEncoder",
    title: "LabelEncoder of strings to vocabulary ids, unknown to the default",
    build: (b) => out(b, b.node("LabelEncoder", [b.input("s", "string", [BATCH, 2])], { keys: ["a", "b c", "é", ""], values: [1, 2, 3, 0], defaultValue: 0 })[0]!),
    feeds: () => ({ s: { dtype: "string", shape: [3, 2], data: ["a", "zz", "é", "b c", "", "A"] } }),
  },
  {
    op: "StringHash",
    title: "StringHash of strings to MurmurHash3 buckets",
    build: (b) => out(b, b.node("StringHash", [b.input("s", "string", [BATCH, 2])], { buckets: 1000 })[0]!),
    feeds: () => ({ s: { dtype: "string", shape: [3, 2], data: ["a", "zz", "é", "b c", "", "United-States"] } }),
  },
  {
    op: "Call",
    title: "Call of a local function",
    build: (b, t) => {
      const gamma = b.constant(-0.1, t);
      const zeta = b.constant(1.1, t);
      out(b, b.call(HardConcreteGate, [x(b, t), gamma, zeta])[0]!);
    },
  },
];

/** Builds a case's graph in the given element type. */
export function buildCase(c: OpCase): { builder: Builder; dtype: DType } {
  const dtype = c.dtype ?? "float64";
  const builder = new Builder(c.title.replace(/\W+/g, "_"));
  c.build(builder, dtype);
  return { builder, dtype };
}

/** Random inputs for every graph input without a custom feed: floats in ±[0.5, 2] (or [0.5, 2]), bools 0/1. */
export function feedsFor(b: Builder, c: OpCase, rng: Random): Record<string, RefTensor> {
  const custom = c.feeds?.(rng) ?? {};
  const feeds: Record<string, RefTensor> = {};
  for (const v of b.graph.inputs) {
    if (custom[v.name]) {
      feeds[v.name] = { ...custom[v.name]!, dtype: v.dtype };
      continue;
    }
    const shape = v.shape.map((d) => (typeof d === "number" ? d : BATCH_SIZE));
    const n = shape.reduce((a, d) => a * d, 1);
    const data = Array.from({ length: n }, () => {
      if (v.dtype === "bool") return rng.uniform() < 0.5 ? 1 : 0;
      const m = rng.uniformIn(0.5, 2);
      const s = c.positive || rng.uniform() < 0.5 ? m : -m;
      return v.dtype === "float32" ? Math.fround(s) : s;
    });
    feeds[v.name] = { dtype: v.dtype, shape, data };
  }
  return feeds;
}

/** Asserts same type and shape, and values within a relative tolerance (exact for non-floats). */
export function expectClose(actual: RefTensor, expected: RefTensor, tolerance: number): void {
  expect(actual.dtype).toBe(expected.dtype);
  expect(actual.shape).toEqual(expected.shape);
  if (expected.dtype === "float32" || expected.dtype === "float64") {
    expected.data.forEach((e, i) => {
      const a = actual.data[i] as number;
      expect(Math.abs(a - (e as number)), `element ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e as number)));
    });
  } else {
    expect(actual.data).toEqual(expected.data);
  }
}

