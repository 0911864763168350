// Shape and dtype inference for every primitive op, with numpy broadcasting. The builder runs
// it as nodes are added and the verifier re-runs it after every pass. A failure here is a bug in
// the code that built the graph, never a user mistake, so it is an `invariant` failure.
//
// Symbolic dimensions ("batch") are names: two are equal only when the names are equal, and a
// symbolic dimension broadcasts only against itself or 1.

import { invariant } from "../../base/source/diagnostic.js";

/**
 * invariant with a message built only on failure: these checks run for every node the builder
 * adds and again in the verifier, and eager template strings (a Concat of 500 inputs printed its
 * shapes once per input) were a large share of compile time.
 */
function check(condition: boolean, message: () => string): asserts condition {
  if (!condition) invariant(false, message());
}
import { formatType, isFloat, sizeOf, type Dim, type DType, type OpAttributes, type OpKind, type Shape } from "./ops.js";

/** The type of a value: element type and shape. */
export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** The op kinds whose output types follow from their inputs alone (Call needs its function). */
export type PrimitiveOpKind = Exclude<OpKind, "Call">;

type InferRule<K extends PrimitiveOpKind> = (attrs: OpAttributes[K], inputs: readonly TensorType[]) => TensorType[];

/** Writes a TensorType as in the text form. */
export function typeText(t: TensorType): string {
  return formatType(t.dtype, t.shape);
}

/** numpy broadcasting of shapes, aligned at the last dimension; fails when they do not broadcast. */
export function broadcastShapes(op: string, ...shapes: Shape[]): Shape {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1 || d === dim) continue;
      check(dim === 1, () => `${op}: shapes [${shapes.map((x) => x.join(",")).join("] and [")}] do not broadcast.`);
      dim = d;
    }
    out.push(dim);
  }
  return out;
}

function arity(op: string, inputs: readonly TensorType[], n: number): void {
  check(inputs.length === n, () => `${op}: expected ${n} input(s), got ${inputs.length}.`);
}

function dtypeIn(op: string, t: TensorType, allowed: readonly DType[]): void {
  check(allowed.includes(t.dtype), () => `${op}: element type ${t.dtype} is not one of ${allowed.join(", ")}.`);
}

function sameDtype(op: string, inputs: readonly TensorType[]): DType {
  const first = inputs[0]!.dtype;
  check(
    inputs.every((t) => t.dtype === first),
    () => `${op}: inputs have different element types (${inputs.map((t) => t.dtype).join(", ")}).`,
  );
  return first;
}

function axisIn(op: string, axis: number, rank: number): void {
  check(Number.isInteger(axis) && axis >= 0 && axis < rank, () => `${op}: axis ${axis} is not in 0..${rank - 1}.`);
}

function sortedAxes(op: string, axes: readonly number[], rank: number): void {
  for (let i = 0; i < axes.length; i++) {
    axisIn(op, axes[i]!, rank);
    check(i === 0 || axes[i]! > axes[i - 1]!, () => `${op}: axes [${axes.join(",")}] are not sorted and distinct.`);
  }
}

const FLOATS: readonly DType[] = ["float32", "float64"];
const NUMBERS: readonly DType[] = ["float32", "float64", "int64"];

function floatUnary(op: string): InferRule<PrimitiveOpKind> {
  return (_attrs, inputs) => {
    arity(op, inputs, 1);
    dtypeIn(op, inputs[0]!, FLOATS);
    return [inputs[0]!];
  };
}

function numberUnary(op: string): InferRule<PrimitiveOpKind> {
  return (_attrs, inputs) => {
    arity(op, inputs, 1);
    dtypeIn(op, inputs[0]!, NUMBERS);
    return [inputs[0]!];
  };
}

function arithmetic(op: string): InferRule<PrimitiveOpKind> {
  return (_attrs, inputs) => {
    arity(op, inputs, 2);
    const dtype = sameDtype(op, inputs);
    dtypeIn(op, inputs[0]!, NUMBERS);
    return [{ dtype, shape: broadcastShapes(op, inputs[0]!.shape, inputs[1]!.shape) }];
  };
}

function comparison(op: string, allowed: readonly DType[]): InferRule<PrimitiveOpKind> {
  return (_attrs, inputs) => {
    arity(op, inputs, 2);
    sameDtype(op, inputs);
    dtypeIn(op, inputs[0]!, allowed);
    return [{ dtype: "bool", shape: broadcastShapes(op, inputs[0]!.shape, inputs[1]!.shape) }];
  };
}

function reduce<K extends "ReduceSum" | "ReduceMean" | "ReduceMax">(op: K, allowed: readonly DType[]): InferRule<K> {
  return (attrs, inputs) => {
    arity(op, inputs, 1);
    const x = inputs[0]!;
    dtypeIn(op, x, allowed);
    check(attrs.axes.length > 0, () => `${op}: no axes to reduce.`);
    sortedAxes(op, attrs.axes, x.shape.length);
    const shape = attrs.keepdims
      ? x.shape.map((d, i) => (attrs.axes.includes(i) ? 1 : d))
      : x.shape.filter((_d, i) => !attrs.axes.includes(i));
    return [{ dtype: x.dtype, shape }];
  };
}

function softmax<K extends "Softmax" | "LogSoftmax">(op: K): InferRule<K> {
  return (attrs, inputs) => {
    arity(op, inputs, 1);
    dtypeIn(op, inputs[0]!, FLOATS);
    axisIn(op, attrs.axis, inputs[0]!.shape.length);
    return [inputs[0]!];
  };
}

function numericDim(op: string, d: Dim | undefined, what: string): number {
  check(typeof d === "number", () => `${op}: ${what} must have a static size, not ${String(d)}.`);
  return d;
}

/** The size of dims joined end to end: their sum when all are static, else a symbol naming them. */
export function joinDims(dims: readonly Dim[]): Dim {
  if (dims.every((d): d is number => typeof d === "number")) return dims.reduce((a, d) => a + d, 0);
  return dims.map(String).join("+");
}

/** numpy matmul, including the rank-1 promotions. */
function matmulShape(a: Shape, b: Shape): Shape {
  check(a.length >= 1 && b.length >= 1, () => `MatMul: inputs must have rank >= 1, got [${a.join(",")}] and [${b.join(",")}].`);
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const k1 = a2[a2.length - 1]!;
  const k2 = b2[b2.length - 2]!;
  check(k1 === k2, () => `MatMul: inner dimensions ${k1} and ${k2} differ ([${a.join(",")}] x [${b.join(",")}]).`);
  const batch = broadcastShapes("MatMul", a2.slice(0, -2), b2.slice(0, -2));
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

const INFER: { [K in PrimitiveOpKind]: InferRule<K> } = {
  Neg: numberUnary("Neg"),
  Exp: floatUnary("Exp"),
  Log: floatUnary("Log"),
  Sqrt: floatUnary("Sqrt"),
  Abs: numberUnary("Abs"),
  Relu: floatUnary("Relu"),
  LeakyRelu: floatUnary("LeakyRelu"),
  Elu: floatUnary("Elu"),
  Sigmoid: floatUnary("Sigmoid"),
  Tanh: floatUnary("Tanh"),
  Erf: floatUnary("Erf"),
  Pow: floatUnary("Pow"),
  Clip: (attrs, inputs) => {
    arity("Clip", inputs, 1);
    dtypeIn("Clip", inputs[0]!, NUMBERS);
    check(
      attrs.min === undefined || attrs.max === undefined || attrs.min <= attrs.max,
      () => `Clip: min ${attrs.min} is above max ${attrs.max}.`,
    );
    return [inputs[0]!];
  },
  Identity: (_attrs, inputs) => {
    arity("Identity", inputs, 1);
    return [inputs[0]!];
  },
  Cast: (attrs, inputs) => {
    arity("Cast", inputs, 1);
    return [{ dtype: attrs.to, shape: inputs[0]!.shape }];
  },
  Add: arithmetic("Add"),
  Sub: arithmetic("Sub"),
  Mul: arithmetic("Mul"),
  Div: arithmetic("Div"),
  Max: arithmetic("Max"),
  Min: arithmetic("Min"),
  Greater: comparison("Greater", NUMBERS),
  Less: comparison("Less", NUMBERS),
  Equal: comparison("Equal", ["float32", "float64", "int64", "bool"]),
  Where: (_attrs, inputs) => {
    arity("Where", inputs, 3);
    dtypeIn("Where", inputs[0]!, ["bool"]);
    const dtype = sameDtype("Where", inputs.slice(1));
    return [{ dtype, shape: broadcastShapes("Where", inputs[0]!.shape, inputs[1]!.shape, inputs[2]!.shape) }];
  },
  MatMul: (_attrs, inputs) => {
    arity("MatMul", inputs, 2);
    const dtype = sameDtype("MatMul", inputs);
    dtypeIn("MatMul", inputs[0]!, FLOATS);
    return [{ dtype, shape: matmulShape(inputs[0]!.shape, inputs[1]!.shape) }];
  },
  ReduceSum: reduce("ReduceSum", NUMBERS),
  ReduceMean: reduce("ReduceMean", FLOATS),
  ReduceMax: reduce("ReduceMax", NUMBERS),
  Softmax: softmax("Softmax"),
  LogSoftmax: softmax("LogSoftmax"),
  Concat: (attrs, inputs) => {
    invariant(inputs.length >= 1, "Concat: expected at least one input.");
    const dtype = sameDtype("Concat", inputs);
    const first = inputs[0]!.shape;
    axisIn("Concat", attrs.axis, first.length);
    for (const t of inputs) {
      check(
        t.shape.length === first.length && t.shape.every((d, i) => i === attrs.axis || d === first[i]),
        () => `Concat: shapes [${inputs.map((x) => x.shape.join(",")).join("] and [")}] differ outside axis ${attrs.axis}.`,
      );
    }
    // Static sizes add up; run-time sizes join into a new symbol naming them ("rows_a+rows_b"),
    // which a Split by the same sizes cuts back.
    const joined: Dim = inputs.length === 1 ? first[attrs.axis]! : joinDims(inputs.map((t) => t.shape[attrs.axis]!));
    return [{ dtype, shape: first.map((d, i) => (i === attrs.axis ? joined : d)) }];
  },
  Slice: (attrs, inputs) => {
    arity("Slice", inputs, 1);
    const x = inputs[0]!;
    const n = attrs.axes.length;
    invariant(
      attrs.starts.length === n && attrs.ends.length === n && attrs.steps.length === n && n > 0,
      "Slice: starts, ends, axes and steps must be non-empty and of equal length.",
    );
    const shape = [...x.shape];
    attrs.axes.forEach((axis, i) => {
      axisIn("Slice", axis, x.shape.length);
      check(attrs.axes.indexOf(axis) === i, () => `Slice: axis ${axis} is listed twice.`);
      const dim = numericDim("Slice", x.shape[axis], `sliced axis ${axis}`);
      const [start, end, step] = [attrs.starts[i]!, attrs.ends[i]!, attrs.steps[i]!];
      check(
        Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step) && step >= 1 && 0 <= start && start < end && end <= dim,
        () => `Slice: ${start}:${end}:${step} is not a non-empty forward range within 0..${dim} on axis ${axis}.`,
      );
      shape[axis] = Math.ceil((end - start) / step);
    });
    return [{ dtype: x.dtype, shape }];
  },
  Split: (attrs, inputs) => {
    arity("Split", inputs, 1);
    const x = inputs[0]!;
    axisIn("Split", attrs.axis, x.shape.length);
    const dim = x.shape[attrs.axis]!;
    check(
      attrs.sizes.length >= 1 && attrs.sizes.every((s) => typeof s === "string" || (Number.isInteger(s) && s >= 1)) && joinDims(attrs.sizes) === dim,
      () => `Split: sizes [${attrs.sizes.join(",")}] do not add up to ${dim}.`,
    );
    return attrs.sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === attrs.axis ? s : d)) }));
  },
  Reshape: (attrs, inputs) => {
    arity("Reshape", inputs, 1);
    const x = inputs[0]!;
    const numbers = (s: Shape) => sizeOf(s.filter((d): d is number => typeof d === "number"));
    const symbols = (s: Shape) => s.filter((d): d is string => typeof d === "string").sort().join(",");
    check(
      attrs.shape.every((d) => typeof d === "string" || (Number.isInteger(d) && d >= 1)) &&
        numbers(attrs.shape) === numbers(x.shape) &&
        symbols(attrs.shape) === symbols(x.shape),
      () => `Reshape: [${x.shape.join(",")}] cannot become [${attrs.shape.join(",")}].`,
    );
    return [{ dtype: x.dtype, shape: attrs.shape }];
  },
  Transpose: (attrs, inputs) => {
    arity("Transpose", inputs, 1);
    const x = inputs[0]!;
    check(
      attrs.perm.length === x.shape.length && [...attrs.perm].sort((a, b) => a - b).every((p, i) => p === i),
      () => `Transpose: [${attrs.perm.join(",")}] is not a permutation of the ${x.shape.length} axes.`,
    );
    return [{ dtype: x.dtype, shape: attrs.perm.map((p) => x.shape[p]!) }];
  },
  Unsqueeze: (attrs, inputs) => {
    arity("Unsqueeze", inputs, 1);
    const x = inputs[0]!;
    const rank = x.shape.length + attrs.axes.length;
    invariant(attrs.axes.length > 0, "Unsqueeze: no axes.");
    sortedAxes("Unsqueeze", attrs.axes, rank);
    const rest = [...x.shape];
    const shape = Array.from({ length: rank }, (_v, i) => (attrs.axes.includes(i) ? 1 : rest.shift()!));
    return [{ dtype: x.dtype, shape }];
  },
  Squeeze: (attrs, inputs) => {
    arity("Squeeze", inputs, 1);
    const x = inputs[0]!;
    invariant(attrs.axes.length > 0, "Squeeze: no axes.");
    sortedAxes("Squeeze", attrs.axes, x.shape.length);
    for (const a of attrs.axes) check(x.shape[a] === 1, () => `Squeeze: axis ${a} has size ${x.shape[a]}, not 1.`);
    return [{ dtype: x.dtype, shape: x.shape.filter((_d, i) => !attrs.axes.includes(i)) }];
  },
  Expand: (attrs, inputs) => {
    arity("Expand", inputs, 1);
    return [{ dtype: inputs[0]!.dtype, shape: broadcastShapes("Expand", inputs[0]!.shape, attrs.shape) }];
  },
  Gather: (attrs, inputs) => {
    arity("Gather", inputs, 2);
    const [data, indices] = [inputs[0]!, inputs[1]!];
    dtypeIn("Gather", indices, ["int64"]);
    axisIn("Gather", attrs.axis, data.shape.length);
    const shape = [...data.shape.slice(0, attrs.axis), ...indices.shape, ...data.shape.slice(attrs.axis + 1)];
    return [{ dtype: data.dtype, shape }];
  },
  ScatterAdd: (_attrs, inputs) => {
    arity("ScatterAdd", inputs, 3);
    const [data, indices, updates] = [inputs[0]!, inputs[1]!, inputs[2]!];
    dtypeIn("ScatterAdd", indices, ["int64"]);
    sameDtype("ScatterAdd", [data, updates]);
    dtypeIn("ScatterAdd", data, NUMBERS);
    invariant(data.shape.length >= 1, "ScatterAdd: data must have rank >= 1.");
    const want = [...indices.shape, ...data.shape.slice(1)];
    check(
      want.length === updates.shape.length && want.every((d, i) => d === updates.shape[i]),
      () => `ScatterAdd: updates [${updates.shape.join(",")}] should be [${want.join(",")}] for data [${data.shape.join(",")}] and indices [${indices.shape.join(",")}].`,
    );
    return [data];
  },
  LabelEncoder: (attrs, inputs) => {
    arity("LabelEncoder", inputs, 1);
    dtypeIn("LabelEncoder", inputs[0]!, ["string"]);
    invariant(
      attrs.keys.length === attrs.values.length && new Set(attrs.keys).size === attrs.keys.length && attrs.values.every(Number.isSafeInteger),
      "LabelEncoder: keys must be distinct and match the integer values one to one.",
    );
    return [{ dtype: "int64", shape: inputs[0]!.shape }];
  },
  StringHash: (attrs, inputs) => {
    arity("StringHash", inputs, 1);
    dtypeIn("StringHash", inputs[0]!, ["string"]);
    invariant(Number.isSafeInteger(attrs.buckets) && attrs.buckets >= 1 && attrs.buckets <= 2 ** 32, "StringHash: buckets must be an integer in 1..2^32.");
    return [{ dtype: "int64", shape: inputs[0]!.shape }];
  },
};

/** The output types of a primitive op applied to inputs of these types (attributes normalized). */
export function inferTypes<K extends PrimitiveOpKind>(op: K, attrs: OpAttributes[K], inputs: readonly TensorType[]): TensorType[] {
  const rule = INFER[op] as InferRule<K> | undefined;
  check(rule !== undefined, () => `No shape rule for op ${op}.`);
  return rule(attrs, inputs);
}

function resolveAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  axisIn(op, a, rank);
  return a;
}

function resolveAxes(op: string, axes: readonly number[], rank: number): number[] {
  return axes.map((a) => resolveAxis(op, a, rank)).sort((a, b) => a - b);
}

/**
 * Puts attributes in the stored form: negative axes counted from the end, axes sorted, Slice
 * bounds from the end made absolute. Code that builds nodes may use either form; the IR keeps this one.
 */
export function normalizeAttributes<K extends OpKind>(op: K, attrs: OpAttributes[K], inputs: readonly TensorType[]): OpAttributes[K] {
  const rank = inputs[0]?.shape.length ?? 0;
  const a = attrs as OpAttributes[OpKind];
  switch (op) {
    case "ReduceSum":
    case "ReduceMean":
    case "ReduceMax":
    case "Squeeze": {
      const r = a as OpAttributes["ReduceSum"];
      return { ...r, axes: resolveAxes(op, r.axes, rank) } as unknown as OpAttributes[K];
    }
    case "Unsqueeze": {
      const u = a as OpAttributes["Unsqueeze"];
      return { axes: resolveAxes(op, u.axes, rank + u.axes.length) } as unknown as OpAttributes[K];
    }
    case "Softmax":
    case "LogSoftmax":
    case "Concat":
    case "Split":
    case "Gather": {
      const s = a as OpAttributes["Split"];
      return { ...s, axis: resolveAxis(op, s.axis, rank) } as unknown as OpAttributes[K];
    }
    case "Transpose": {
      const t = a as OpAttributes["Transpose"];
      return { perm: t.perm.map((p) => resolveAxis(op, p, rank)) } as unknown as OpAttributes[K];
    }
    case "Slice": {
      const s = a as OpAttributes["Slice"];
      const axes = s.axes.map((ax) => resolveAxis(op, ax, rank));
      const bound = (v: number, i: number) => {
        const dim = inputs[0]!.shape[axes[i]!];
        return v < 0 && typeof dim === "number" ? v + dim : v;
      };
      return { axes, starts: s.starts.map(bound), ends: s.ends.map(bound), steps: s.steps } as unknown as OpAttributes[K];
    }
    default:
      return attrs;
  }
}
