// IR op -> ONNX nodes, one lowering per op kind in an exhaustive record (a missing op fails to
// compile). Lowerings target opsets 17..26; the signature changes in that range are:
// - ReduceMean/ReduceMax take `axes` as an attribute up to opset 17 and as an input from 18
//   (ReduceSum has taken it as an input since 13);
// - Split sizes and Squeeze/Unsqueeze axes are inputs (since 13), Clip bounds and Pow's exponent
//   are inputs, Slice bounds are inputs, ScatterND has `reduction` (since 16): unchanged across 17..26.
// Later opsets only widen type lists for the ops used here.

import { create } from "@bufbuild/protobuf";
import type { NodeOf } from "../ir/graph.js";
import type { Dim, DType, OpKind } from "../ir/ops.js";
import type { Element } from "../ir/tensor.js";
import { invariant } from "../../base/source/diagnostic.js";
import { AttributeProtoSchema, AttributeProto_AttributeType as AT, TensorProto_DataType as DT, type AttributeProto } from "./gen/onnx-subset_pb.js";

/** The domain of mssmc's local functions. */
export const FUNCTION_DOMAIN = "ai.mssm";

/**
 * ONNX's traditional-ML domain (LabelEncoder) and the version imported: 2 is the first with
 * keys_strings/values_int64s (LabelEncoder-2 stays current through ai.onnx.ml 3), so models load in
 * onnxruntime >= 1.x and pass Debian's onnx 1.12 checker (which knows ai.onnx.ml <= 3).
 */
export const ML_DOMAIN = "ai.onnx.ml";
export const ML_OPSET = 2;

/**
 * onnxruntime's contrib domain, for MurmurHash3 (StringHash): every onnxruntime build (Python,
 * Java, C++, C#, Node) registers it; ONNX itself has no string hash.
 */
export const ORT_DOMAIN = "com.microsoft";
export const ORT_OPSET = 1;

/** ONNX element type codes. */
export const DATA_TYPE: Record<DType, DT> = {
  float32: DT.FLOAT,
  float64: DT.DOUBLE,
  int64: DT.INT64,
  bool: DT.BOOL,
  string: DT.STRING,
};

/** What a lowering can do: add nodes to the graph or function being emitted, make constants. */
export interface LowerContext {
  readonly opset: number;
  /** Appends an ONNX node (named after its first output, with the IR node's doc string). */
  add(opType: string, inputs: readonly string[], outputs: readonly string[], attributes?: readonly AttributeProto[], domain?: string): void;
  /** The name of a constant tensor: an initializer in a graph, a Constant node in a function. */
  constant(dtype: DType, shape: readonly number[], values: readonly Element[]): string;
  /** A fresh name for an intermediate value of the node being lowered: `<its first output>/<suffix>`. */
  temp(suffix: string): string;
  /** An int64[n] tensor with these dims; a string dim is that symbol's size at run time. */
  shapeTensor(dims: readonly Dim[]): string;
}

/** An INT attribute. */
export function intAttr(name: string, i: number): AttributeProto {
  return create(AttributeProtoSchema, { name, type: AT.INT, i: BigInt(i) });
}

/** An INTS attribute. */
export function intsAttr(name: string, ints: readonly number[]): AttributeProto {
  return create(AttributeProtoSchema, { name, type: AT.INTS, ints: ints.map((v) => BigInt(v)) });
}

/** A STRING attribute. */
export function stringAttr(name: string, s: string): AttributeProto {
  return create(AttributeProtoSchema, { name, type: AT.STRING, s: new TextEncoder().encode(s) });
}

/** A STRINGS attribute (UTF-8). */
export function stringsAttr(name: string, strings: readonly string[]): AttributeProto {
  const encoder = new TextEncoder();
  return create(AttributeProtoSchema, { name, type: AT.STRINGS, strings: strings.map((v) => encoder.encode(v)) });
}

/** A FLOAT attribute. */
export function floatAttr(name: string, f: number): AttributeProto {
  return create(AttributeProtoSchema, { name, type: AT.FLOAT, f });
}

type Lowering<K extends OpKind> = (node: NodeOf<K>, ctx: LowerContext) => void;

const names = (node: NodeOf<OpKind>) => ({ ins: node.inputs.map((v) => v.name), outs: node.outputs.map((v) => v.name) });

/** The same op in ONNX, same inputs, no attributes. */
function direct<K extends OpKind>(onnxOp: string): Lowering<K> {
  return (node, ctx) => {
    const { ins, outs } = names(node);
    ctx.add(onnxOp, ins, outs);
  };
}

function withAxis(onnxOp: string): Lowering<"Softmax" | "LogSoftmax" | "Concat" | "Gather"> {
  return (node, ctx) => {
    const { ins, outs } = names(node);
    ctx.add(onnxOp, ins, outs, [intAttr("axis", node.attrs.axis)]);
  };
}

function withAlpha(onnxOp: string): Lowering<"LeakyRelu" | "Elu"> {
  return (node, ctx) => {
    const { ins, outs } = names(node);
    ctx.add(onnxOp, ins, outs, [floatAttr("alpha", node.attrs.alpha)]);
  };
}

/** Reduce ops: `axes` input from `axesInputSince`, attribute before. */
function reduce(onnxOp: string, axesInputSince: number): Lowering<"ReduceSum" | "ReduceMean" | "ReduceMax"> {
  return (node, ctx) => {
    const { ins, outs } = names(node);
    const keepdims = intAttr("keepdims", node.attrs.keepdims ? 1 : 0);
    const axes = node.attrs.axes;
    if (ctx.opset >= axesInputSince) ctx.add(onnxOp, [...ins, ctx.constant("int64", [axes.length], axes)], outs, [keepdims]);
    else ctx.add(onnxOp, ins, outs, [intsAttr("axes", axes), keepdims]);
  };
}

/** Squeeze/Unsqueeze: `axes` as an int64 input. */
function withAxesInput(onnxOp: string): Lowering<"Squeeze" | "Unsqueeze"> {
  return (node, ctx) => {
    const { ins, outs } = names(node);
    ctx.add(onnxOp, [...ins, ctx.constant("int64", [node.attrs.axes.length], node.attrs.axes)], outs);
  };
}

const LOWERINGS: { [K in OpKind]: Lowering<K> } = {
  Neg: direct("Neg"),
  Exp: direct("Exp"),
  Log: direct("Log"),
  Sqrt: direct("Sqrt"),
  Abs: direct("Abs"),
  Relu: direct("Relu"),
  LeakyRelu: withAlpha("LeakyRelu"),
  Elu: withAlpha("Elu"),
  Sigmoid: direct("Sigmoid"),
  Tanh: direct("Tanh"),
  Erf: direct("Erf"),
  Pow: (node, ctx) => {
    const { ins, outs } = names(node);
    ctx.add("Pow", [...ins, ctx.constant(node.inputs[0]!.dtype, [], [node.attrs.exponent])], outs);
  },
  Clip: (node, ctx) => {
    const { ins, outs } = names(node);
    const dtype = node.inputs[0]!.dtype;
    const bound = (v: number | undefined) => (v === undefined ? "" : ctx.constant(dtype, [], [v]));
    const bounds = [bound(node.attrs.min), bound(node.attrs.max)];
    while (bounds.length && bounds[bounds.length - 1] === "") bounds.pop(); // trailing optional inputs are omitted
    ctx.add("Clip", [...ins, ...bounds], outs);
  },
  Identity: direct("Identity"),
  Cast: (node, ctx) => {
    const { ins, outs } = names(node);
    ctx.add("Cast", ins, outs, [intAttr("to", DATA_TYPE[node.attrs.to])]);
  },
  Add: direct("Add"),
  Sub: direct("Sub"),
  Mul: direct("Mul"),
  Div: direct("Div"),
  Max: direct("Max"),
  Min: direct("Min"),
  Greater: direct("Greater"),
  Less: direct("Less"),
  Equal: direct("Equal"),
  Where: direct("Where"),
  MatMul: direct("MatMul"),
  ReduceSum: reduce("ReduceSum", 13),
  ReduceMean: reduce("ReduceMean", 18),
  ReduceMax: reduce("ReduceMax", 18),
  Softmax: withAxis("Softmax"),
  LogSoftmax: withAxis("LogSoftmax"),
  Concat: withAxis("Concat"),
  Slice: (node, ctx) => {
    const { ins, outs } = names(node);
    const { starts, ends, axes, steps } = node.attrs;
    const i64 = (v: readonly number[]) => ctx.constant("int64", [v.length], v);
    ctx.add("Slice", [...ins, i64(starts), i64(ends), i64(axes), i64(steps)], outs);
  },
  Split: (node, ctx) => {
    const { ins, outs } = names(node);
    const { sizes } = node.attrs;
    // Run-time sizes come from the shapes of the inputs that have those symbols.
    const split = sizes.every((s): s is number => typeof s === "number") ? ctx.constant("int64", [sizes.length], sizes) : ctx.shapeTensor(sizes);
    ctx.add("Split", [...ins, split], outs, [intAttr("axis", node.attrs.axis)]);
  },
  Reshape: (node, ctx) => {
    const { ins, outs } = names(node);
    const x = node.inputs[0]!.shape;
    // A symbolic dim kept in place is 0 ("copy the input's dim"); one that moves needs its run-time size.
    const dims = node.attrs.shape.map((d, i) => (typeof d === "string" && x[i] === d ? 0 : d));
    ctx.add("Reshape", [...ins, ctx.shapeTensor(dims)], outs);
  },
  Transpose: (node, ctx) => {
    const { ins, outs } = names(node);
    ctx.add("Transpose", ins, outs, [intsAttr("perm", node.attrs.perm)]);
  },
  Unsqueeze: withAxesInput("Unsqueeze"),
  Squeeze: withAxesInput("Squeeze"),
  Expand: (node, ctx) => {
    const { ins, outs } = names(node);
    const x = node.inputs[0]!.shape;
    const target = node.attrs.shape;
    // Expand broadcasts, so 1 keeps the input's dim; a symbol the input lacks needs its run-time size.
    const dims = target.map((d, i) => (typeof d === "string" && x[i - (target.length - x.length)] === d ? 1 : d));
    ctx.add("Expand", [...ins, ctx.shapeTensor(dims)], outs);
  },
  Gather: withAxis("Gather"),
  ScatterAdd: (node, ctx) => {
    const [data, indices, updates] = node.inputs.map((v) => v.name) as [string, string, string];
    // ScatterND indexes with a trailing dimension of coordinates: one (the row) here.
    const rows = ctx.temp("indices");
    ctx.add("Unsqueeze", [indices, ctx.constant("int64", [1], [node.inputs[1]!.shape.length])], [rows]);
    ctx.add("ScatterND", [data, rows, updates], [node.outputs[0]!.name], [stringAttr("reduction", "add")]);
  },
  LabelEncoder: (node, ctx) => {
    const { ins, outs } = names(node);
    const { keys, values, defaultValue } = node.attrs;
    ctx.add("LabelEncoder", ins, outs, [stringsAttr("keys_strings", keys), intsAttr("values_int64s", values), intAttr("default_int64", defaultValue)], ML_DOMAIN);
  },
  StringHash: (node, ctx) => {
    const { ins, outs } = names(node);
    // positive = 1: an unsigned 32-bit hash, widened to int64 before the modulo.
    const hash = ctx.temp("murmur3");
    const wide = ctx.temp("int64");
    ctx.add("MurmurHash3", ins, [hash], [intAttr("seed", 0), intAttr("positive", 1)], ORT_DOMAIN);
    ctx.add("Cast", [hash], [wide], [intAttr("to", DT.INT64)]);
    ctx.add("Mod", [wide, ctx.constant("int64", [], [node.attrs.buckets])], outs);
  },
  Call: (node, ctx) => {
    const { ins, outs } = names(node);
    ctx.add(node.attrs.function, ins, outs, [], FUNCTION_DOMAIN);
  },
};

/** Emits the ONNX nodes for one IR node. */
export function lowerNode<K extends OpKind>(node: NodeOf<K>, ctx: LowerContext): void {
  const lowering = LOWERINGS[node.op] as Lowering<K> | undefined;
  invariant(lowering !== undefined, `No ONNX lowering for op ${node.op}.`);
  lowering(node, ctx);
}
