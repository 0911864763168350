// Every gradient rule against central finite differences, both sides run in onnxruntime: a tiny
// graph loss = sum(op(inputs) * random weights), inputs random and away from kinks. In float64
// where ORT has float64 kernels; LeakyRelu, Elu and Erf have only float32 kernels there, so those
// run in float32 with a looser tolerance. The measured errors are printed as a table.

import { afterAll, describe, expect, it } from "vitest";
import { GRAD_RULES } from "../../../compiler/autodiff/rules/index.js";
import { Builder, type Value } from "../../../compiler/ir/graph.js";
import { HardConcreteGate, HardConcreteL0, HardConcreteSample } from "../../../compiler/ir/hard-concrete.js";
import { BATCH, OP_KINDS, type DType, type OpKind } from "../../../compiler/ir/ops.js";
import { Random } from "../../../base/random.js";
import type { RefTensor } from "../ir/reference.js";
import { checkGradients, floatInputs, randomFeeds, RUN_SIZE, weightedSum } from "./gradcheck.js";

/** One graph that exercises a rule. */
interface GradCase {
  op: OpKind;
  title: string;
  /** Element type of the float inputs (default float64). */
  dtype?: "float32" | "float64";
  /** Builds the op on fresh inputs and returns the outputs the loss weighs. */
  build(b: Builder, t: DType): Value[];
  positive?: boolean;
  /** Input values to stay 0.1 away from (where the function has a kink). */
  kinks?: number[];
  feeds?: (rng: Random) => Record<string, RefTensor>;
}

const TOLERANCE = { float64: 1e-6, float32: 5e-3 };

const x = (b: Builder, t: DType, shape: (number | string)[] = [BATCH, 4], name = "x") => b.input(name, t, shape);
const unary = (op: OpKind, f: (b: Builder, v: Value) => Value, extra: Partial<GradCase> = {}): GradCase => ({ op, title: op, build: (b, t) => [f(b, x(b, t))], ...extra });
const binary = (op: OpKind, f: (b: Builder, a: Value, c: Value) => Value, extra: Partial<GradCase> = {}): GradCase => ({
  op,
  title: `${op} with broadcasting`,
  build: (b, t) => [f(b, x(b, t, [BATCH, 1, 4], "a"), x(b, t, [2, 1], "c"))],
  ...extra,
});
const scalarFeed = (t: DType, v: number): RefTensor => ({ dtype: t, shape: [], data: [v] });
const uniformFeed = (rng: Random, shape: number[], lo: number, hi: number): RefTensor => ({
  dtype: "float64",
  shape,
  data: Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.uniformIn(lo, hi)),
});

const CASES: GradCase[] = [
  unary("Neg", (b, v) => b.neg(v)),
  unary("Exp", (b, v) => b.exp(v)),
  unary("Log", (b, v) => b.log(v), { positive: true }),
  unary("Sqrt", (b, v) => b.sqrt(v), { positive: true }),
  unary("Abs", (b, v) => b.abs(v)),
  unary("Relu", (b, v) => b.relu(v)),
  unary("LeakyRelu", (b, v) => b.leakyRelu(v, 0.1), { dtype: "float32" }),
  unary("Elu", (b, v) => b.elu(v, 0.7), { dtype: "float32" }),
  unary("Sigmoid", (b, v) => b.sigmoid(v)),
  unary("Tanh", (b, v) => b.tanh(v)),
  unary("Erf", (b, v) => b.erf(v), { dtype: "float32" }),
  unary("Pow", (b, v) => b.pow(v, 3)),
  { ...unary("Pow", (b, v) => b.pow(v, 2)), title: "Pow with exponent 2" },
  { ...unary("Pow", (b, v) => b.pow(v, -1.5), { positive: true }), title: "Pow with a negative fractional exponent" },
  unary("Clip", (b, v) => b.clip(v, -1, 1.5), { kinks: [-1, 1.5] }),
  { ...unary("Clip", (b, v) => b.clip(v, undefined, 0.75), { kinks: [0.75] }), title: "Clip with only a max" },
  { ...unary("Clip", (b, v) => b.clip(v, -0.75, undefined), { kinks: [-0.75] }), title: "Clip with only a min" },
  unary("Identity", (b, v) => b.identity(v)),
  { op: "Cast", title: "Cast float32 to float64", build: (b) => [b.tanh(b.cast(x(b, "float32"), "float64"))] },
  { op: "Cast", title: "Cast float64 to float32", dtype: "float32", build: (b) => [b.tanh(b.cast(x(b, "float64"), "float32"))] },
  binary("Add", (b, a, c) => b.add(a, c)),
  { op: "Add", title: "Add of a bias [batch,n] + [n]", build: (b, t) => [b.add(x(b, t, [BATCH, 5]), x(b, t, [5], "bias"))] },
  binary("Sub", (b, a, c) => b.sub(a, c)),
  binary("Mul", (b, a, c) => b.mul(a, c)),
  { op: "Mul", title: "Mul fan-out: x * tanh(x) + x", build: (b, t) => { const v = x(b, t); return [b.add(b.mul(v, b.tanh(v)), v)]; } },
  binary("Div", (b, a, c) => b.div(a, c)),
  binary("Max", (b, a, c) => b.max(a, c)),
  binary("Min", (b, a, c) => b.min(a, c)),
  {
    op: "Where",
    title: "Where with broadcasting",
    build: (b, t) => [b.where(b.input("cond", "bool", [BATCH, 4]), x(b, t, [4], "a"), x(b, t, [BATCH, 1], "c"))],
  },
  {
    op: "Where",
    title: "Where on a comparison (|x| by hand)",
    build: (b, t) => { const v = x(b, t); return [b.where(b.greater(v, b.constant(0, t)), v, b.neg(v))]; },
  },
  { op: "MatMul", title: "MatMul", build: (b, t) => [b.matmul(x(b, t, [BATCH, 4]), x(b, t, [4, 5], "w"))] },
  { op: "MatMul", title: "MatMul with batch dims", build: (b, t) => [b.matmul(x(b, t, [2, BATCH, 4]), x(b, t, [4, 2], "w"))] },
  { op: "MatMul", title: "MatMul with broadcast batch dims on both sides", build: (b, t) => [b.matmul(x(b, t, [2, 1, 3, 4]), x(b, t, [BATCH, 4, 2], "w"))] },
  { op: "MatMul", title: "MatMul of a matrix and a vector", build: (b, t) => [b.matmul(x(b, t, [BATCH, 4]), x(b, t, [4], "w"))] },
  { op: "MatMul", title: "MatMul of a vector and a batch of matrices", build: (b, t) => [b.matmul(x(b, t, [4]), x(b, t, [2, 4, BATCH], "w"))] },
  { op: "ReduceSum", title: "ReduceSum", build: (b, t) => [b.reduceSum(x(b, t, [BATCH, 2, 4]), [-1, 1], false)] },
  { op: "ReduceSum", title: "ReduceSum over the batch, keepdims", build: (b, t) => [b.reduceSum(x(b, t), [0], true)] },
  { op: "ReduceMean", title: "ReduceMean", build: (b, t) => [b.reduceMean(x(b, t, [BATCH, 2, 4]), [2], true)] },
  { op: "ReduceMean", title: "ReduceMean over the batch (counted at run time)", build: (b, t) => [b.reduceMean(x(b, t, [BATCH, 2, 4]), [0, 2], false)] },
  { op: "ReduceMax", title: "ReduceMax", build: (b, t) => [b.reduceMax(x(b, t, [BATCH, 2, 4]), [1], false)] },
  { op: "ReduceMax", title: "ReduceMax over everything", build: (b, t) => [b.reduceMax(x(b, t), [0, 1], false)] },
  { op: "Softmax", title: "Softmax", build: (b, t) => [b.softmax(x(b, t, [BATCH, 2, 4]), 1)] },
  { op: "LogSoftmax", title: "LogSoftmax", build: (b, t) => [b.logSoftmax(x(b, t), -1)] },
  { op: "Concat", title: "Concat", build: (b, t) => [b.concat([x(b, t, [BATCH, 2]), x(b, t, [BATCH, 3], "y"), x(b, t, [BATCH, 1], "z")], 1)] },
  { op: "Slice", title: "Slice with a step", build: (b, t) => [b.slice(x(b, t, [BATCH, 6, 5]), { axes: [-1, 1], starts: [1, 0], ends: [-1, 6], steps: [1, 2] })] },
  { op: "Split", title: "Split with an unused piece", build: (b, t) => { const [p, , r] = b.split(x(b, t, [BATCH, 6]), 1, [1, 2, 3]); return [p!, r!]; } },
  { op: "Reshape", title: "Reshape keeping the batch", build: (b, t) => [b.reshape(x(b, t, [BATCH, 2, 3]), [BATCH, 3, 2])] },
  { op: "Reshape", title: "Reshape moving the batch", build: (b, t) => [b.reshape(x(b, t, [2, BATCH, 3]), [BATCH, 6])] },
  { op: "Transpose", title: "Transpose", build: (b, t) => [b.transpose(x(b, t, [BATCH, 2, 4]), [2, 0, 1])] },
  { op: "Unsqueeze", title: "Unsqueeze", build: (b, t) => [b.unsqueeze(x(b, t), [0, -1])] },
  { op: "Squeeze", title: "Squeeze", build: (b, t) => [b.squeeze(x(b, t, [1, BATCH, 1, 4]), [0, 2])] },
  { op: "Expand", title: "Expand a kept batch", build: (b, t) => [b.expand(x(b, t, [BATCH, 1]), [BATCH, 5])] },
  { op: "Expand", title: "Expand to the run-time batch size", build: (b, t) => [b.tanh(x(b, t, [BATCH, 2], "y")), b.expand(x(b, t, [1, 4]), [2, BATCH, 4])] },
  {
    op: "Gather",
    title: "Gather embedding rows with repeated ids (ScatterAdd)",
    build: (b, t) => [b.gather(x(b, t, [5, 3], "table"), b.input("ids", "int64", [BATCH, 2]), 0)],
    feeds: () => ({ ids: { dtype: "int64", shape: [RUN_SIZE, 2], data: [4, 0, 4, 2, 0, 4] } }),
  },
  { op: "Gather", title: "Gather along axis 1 with a repeated index", build: (b, t) => [b.gather(x(b, t, [BATCH, 4, 2]), b.constant([3, 0, 3], "int64"), 1)] },
  {
    op: "ScatterAdd",
    title: "ScatterAdd with repeated ids",
    build: (b, t) => [b.scatterAdd(x(b, t, [5, 3], "table"), b.input("ids", "int64", [BATCH, 2]), x(b, t, [BATCH, 2, 3], "updates"))],
    feeds: () => ({ ids: { dtype: "int64", shape: [RUN_SIZE, 2], data: [4, 0, 4, 2, 0, 1] } }),
  },
  {
    op: "Call",
    title: "Call of HardConcreteSample (every input)",
    build: (b, t) => b.call(HardConcreteSample, [x(b, t, [4], "log_alpha"), x(b, t, [BATCH, 4], "u"), x(b, t, [], "beta"), x(b, t, [], "gamma"), x(b, t, [], "zeta")]),
    // Interior of the clip: |log α| < 0.5 and u in [0.35, 0.65] keep s in (0.15, 0.85).
    feeds: (rng) => ({
      log_alpha: uniformFeed(rng, [4], -0.5, 0.5),
      u: uniformFeed(rng, [RUN_SIZE, 4], 0.35, 0.65),
      beta: scalarFeed("float64", 2 / 3),
      gamma: scalarFeed("float64", -0.1),
      zeta: scalarFeed("float64", 1.1),
    }),
  },
  {
    op: "Call",
    title: "Call of HardConcreteGate, gates saturated at 0 and 1 included",
    build: (b, t) => b.call(HardConcreteGate, [x(b, t, [6], "log_alpha"), b.constant(-0.1, t), b.constant(1.1, t)]),
    feeds: () => ({ log_alpha: { dtype: "float64", shape: [6], data: [-0.4, 0.2, 0.45, -6, 6, 0.05] } }),
  },
  {
    op: "Call",
    title: "Call of HardConcreteL0 used twice (fan-out through a Call)",
    build: (b, t) => {
      const la = x(b, t, [BATCH, 4], "log_alpha");
      const [beta, gamma, zeta] = [x(b, t, [], "beta"), x(b, t, [], "gamma"), x(b, t, [], "zeta")];
      const l0 = b.call(HardConcreteL0, [la, beta, gamma, zeta])[0]!;
      return [l0, b.mul(l0, la)];
    },
    feeds: () => ({ beta: scalarFeed("float64", 2 / 3), gamma: scalarFeed("float64", -0.1), zeta: scalarFeed("float64", 1.1) }),
  },
];

describe("every gradient rule matches central finite differences in onnxruntime", () => {
  const rows: string[] = [];
  afterAll(() => {
    console.log(["max relative error |analytic - numeric| / max|numeric| per case:", ...rows].join("\n"));
  });

  it("has a case for every differentiable op kind", () => {
    const differentiable = OP_KINDS.filter((k) => GRAD_RULES[k] !== "not-differentiable");
    expect([...new Set(CASES.map((c) => c.op))].sort()).toEqual([...differentiable].sort());
    expect(OP_KINDS.filter((k) => GRAD_RULES[k] === "not-differentiable")).toEqual(["Greater", "Less", "Equal", "LabelEncoder", "StringHash"]);
  });

  for (const c of CASES) {
    const dtype = c.dtype ?? "float64";
    it(`${c.title} (${dtype})`, async () => {
      const b = new Builder(c.title.replace(/\W+/g, "_"));
      weightedSum(b, c.build(b, dtype));
      const forward = b.finish();
      const rng = Random.derive(5, c.title);
      const feeds = randomFeeds(forward.inputs, rng, c.feeds?.(rng), c);
      const errors = await checkGradients(forward, floatInputs(forward), feeds);
      const worst = Math.max(...Object.values(errors));
      rows.push(`  ${worst.toExponential(1).padStart(8)}  ${c.title} (${dtype})`);
      const float32 = dtype === "float32" || forward.inputs.some((v) => v.dtype === "float32");
      for (const [name, error] of Object.entries(errors)) expect(error, name).toBeLessThan(TOLERANCE[float32 ? "float32" : "float64"]);
    });
  }
});
