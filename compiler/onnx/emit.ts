// IR graph -> ONNX ModelProto bytes. Deterministic: the same graph and options give the same
// bytes (everything is emitted in graph order; no maps are iterated for output).
//
// Value names carry over unchanged. Values the emitter adds are named `onnx/size/<symbol>` (a
// symbolic dimension's run-time size, from the first input that has it), `<node output>/shape`
// (a shape assembled from such sizes) and `const/...` (constants made for op inputs such as
// axes, shared with equal IR constants).

import { create, toBinary } from "@bufbuild/protobuf";
import { instantiate, type Constant, type Graph, type Node, type Value } from "../ir/graph.js";
import { initialValue } from "../ir/init.js";
import type { Dim, DType } from "../ir/ops.js";
import { constantKey, constantName, dataHolds, tensorData, type Element, type TensorData } from "../ir/tensor.js";
import { assertValid } from "../ir/verify.js";
import { compilerVersion } from "../package-root.js";
import { invariant } from "../source/diagnostic.js";
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType as AT,
  FunctionProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type FunctionProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "./gen/onnx-subset_pb.js";
import { DATA_TYPE, FUNCTION_DOMAIN, intAttr, lowerNode, ML_DOMAIN, ML_OPSET, type LowerContext } from "./lower.js";

/** The default opset: loads in onnxruntime >= 1.13 and passes Debian's onnx 1.12 checker. */
export const DEFAULT_OPSET = 17;

/** The IR version each supported opset is emitted with (the one of the ONNX release that introduced it). */
export const IR_VERSION_FOR_OPSET: Readonly<Record<number, number>> = {
  17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10, 23: 11, 24: 11, 25: 12, 26: 13,
};

/** How to emit a graph. */
export interface EmitOptions {
  /** Opset of the default ONNX domain, 17..26 (default 17). */
  opset?: number;
  /** ModelProto.ir_version (default: IR_VERSION_FOR_OPSET[opset]). */
  irVersion?: number;
  /** Params as initializers holding their values (inference/export), or as graph inputs after the declared inputs (training step). Default "initializers". */
  params?: "initializers" | "inputs";
  /** Values for params emitted as initializers, by name; a param without one is drawn from its initialiser with `seed`. */
  paramValues?: ReadonlyMap<string, TensorData>;
  /** Seed for drawing initial param values (compiler/ir/init.ts). */
  seed?: number;
  /** ModelProto.producer_version (default: the compiler's version). */
  producerVersion?: string;
}

/** True on little-endian hosts, whose typed arrays already hold raw_data's byte order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian bytes of numeric or bool tensor contents (raw_data). */
function rawBytes(dtype: DType, data: TensorData): Uint8Array {
  // A copy of the array's bytes (one memcpy), not a view: the proto must not alias the IR's data.
  if (LITTLE_ENDIAN && ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  const width = dtype === "float32" ? 4 : dtype === "bool" ? 1 : 8;
  const bytes = new Uint8Array(data.length * width);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (dtype === "float32") view.setFloat32(i * 4, v as number, true);
    else if (dtype === "float64") view.setFloat64(i * 8, v as number, true);
    else if (dtype === "int64") view.setBigInt64(i * 8, v as bigint, true);
    else bytes[i] = v as number;
  }
  return bytes;
}

/** A TensorProto; strings go to string_data (raw_data cannot hold them), all else to raw_data. */
function tensorProto(name: string | undefined, dtype: DType, shape: readonly number[], data: TensorData): TensorProto {
  invariant(dataHolds(dtype, data) && shape.reduce((a, d) => a * d, 1) === data.length, `Tensor ${name}: data does not fit ${dtype}[${shape.join(",")}].`);
  const common = { ...(name === undefined ? {} : { name }), dims: shape.map((d) => BigInt(d)), dataType: DATA_TYPE[dtype] };
  if (dtype === "string") {
    const encoder = new TextEncoder();
    return create(TensorProtoSchema, { ...common, stringData: (data as readonly string[]).map((s) => encoder.encode(s)) });
  }
  return create(TensorProtoSchema, { ...common, rawData: rawBytes(dtype, data) });
}

function valueInfo(v: Value): ValueInfoProto {
  const dim = v.shape.map((d) =>
    create(TensorShapeProto_DimensionSchema, { value: typeof d === "number" ? { case: "dimValue", value: BigInt(d) } : { case: "dimParam", value: d } }),
  );
  const tensor = create(TypeProto_TensorSchema, { elemType: DATA_TYPE[v.dtype], shape: create(TensorShapeProtoSchema, { dim }) });
  return create(ValueInfoProtoSchema, { name: v.name, type: create(TypeProtoSchema, { value: { case: "tensorType", value: tensor } }) });
}

/** IR constants of at most this many elements may stand in for an equal constant the emitter needs (its own are axes, sizes and bounds; the segment matrices of FSCM are far larger). */
const SHAREABLE = 4096;

/** The nodes (and, for a graph, initializers) of one graph or function body being emitted. */
class Emission implements LowerContext {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly constantNames = new Map<string, string>();
  private readonly sizes = new Map<string, string>();
  private readonly taken: Set<string>;
  private doc = "";
  private current = "";
  private tags = 0;

  constructor(
    readonly opset: number,
    private readonly inFunction: boolean,
    private readonly symbolSources: readonly Value[],
    irNames: Set<string>,
  ) {
    this.taken = irNames;
  }

  /**
   * An IR constant: an initializer of the graph, or a Constant node at the top of a function.
   * Only small ones are keyed for sharing with the emitter's own constants (axes, sizes,
   * bounds): keying a large one would encode all its bytes for nothing.
   */
  addIrConstant(c: Constant): void {
    if (c.data.length <= SHAREABLE) this.constantNames.set(constantKey(c.value.dtype, c.value.shape, c.data), c.value.name);
    this.putTensor(c.value.name, c.value.dtype, c.value.shape as readonly number[], c.data);
  }

  /** A param's value as an initializer. */
  addInitializer(name: string, dtype: DType, shape: readonly number[], data: TensorData): void {
    this.initializers.push(tensorProto(name, dtype, shape, data));
  }

  lower(node: Node): void {
    this.doc = node.doc;
    this.current = node.outputs[0]!.name;
    lowerNode(node, this);
  }

  add(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly AttributeProto[] = [], domain = ""): void {
    this.nodes.push(
      create(NodeProtoSchema, {
        name: outputs[0]!,
        opType,
        input: [...inputs],
        output: [...outputs],
        attribute: [...attributes],
        ...(domain ? { domain } : {}),
        ...(this.doc ? { docString: this.doc } : {}),
      }),
    );
  }

  constant(dtype: DType, shape: readonly number[], values: readonly Element[]): string {
    const data = tensorData(dtype, values);
    const key = constantKey(dtype, shape, data);
    const known = this.constantNames.get(key);
    if (known) return known;
    const name = this.fresh(constantName(dtype, shape, data, `onnx${this.tags++}`));
    this.constantNames.set(key, name);
    this.putTensor(name, dtype, shape, data);
    return name;
  }

  shapeTensor(dims: readonly Dim[]): string {
    if (dims.every((d): d is number => typeof d === "number")) return this.constant("int64", [dims.length], dims);
    // Concat of runs of static dims and the run-time sizes of symbolic ones.
    const pieces: string[] = [];
    let run: number[] = [];
    const flush = () => {
      if (run.length) pieces.push(this.constant("int64", [run.length], run));
      run = [];
    };
    for (const d of dims) {
      if (typeof d === "number") run.push(d);
      else {
        flush();
        pieces.push(this.symbolSize(d));
      }
    }
    flush();
    const out = this.temp("shape");
    this.add("Concat", pieces, [out], [intAttr("axis", 0)]);
    return out;
  }

  temp(suffix: string): string {
    return this.fresh(`${this.current}/${suffix}`);
  }

  /** int64[1] holding a symbol's run-time size, read once from the first input that has it. */
  private symbolSize(symbol: string): string {
    const known = this.sizes.get(symbol);
    if (known) return known;
    const source = this.symbolSources.find((v) => v.shape.includes(symbol));
    invariant(source !== undefined, `No input has the symbolic dimension ${symbol}, so its size is unknown at run time.`);
    const axis = source.shape.indexOf(symbol);
    const name = this.fresh(`onnx/size/${symbol}`);
    this.add("Shape", [source.name], [name], [intAttr("start", axis), intAttr("end", axis + 1)]);
    this.sizes.set(symbol, name);
    return name;
  }

  private putTensor(name: string, dtype: DType, shape: readonly number[], data: TensorData): void {
    if (!this.inFunction) {
      this.initializers.push(tensorProto(name, dtype, shape, data));
      return;
    }
    const value = create(AttributeProtoSchema, { name: "value", type: AT.TENSOR, t: tensorProto(undefined, dtype, shape, data) });
    this.nodes.push(create(NodeProtoSchema, { name, opType: "Constant", output: [name], attribute: [value] }));
  }

  private fresh(name: string): string {
    invariant(!this.taken.has(name), `The emitter's name ${name} is already used in the graph.`);
    this.taken.add(name);
    return name;
  }
}

function allNames(graph: Graph): Set<string> {
  const names = new Set<string>();
  for (const v of graph.inputs) names.add(v.name);
  for (const p of graph.params) names.add(p.value.name);
  for (const c of graph.constants) names.add(c.value.name);
  for (const n of graph.nodes) for (const v of n.outputs) names.add(v.name);
  return names;
}

function functionProto(graph: Graph, fnIndex: number, opset: number): FunctionProto {
  const fn = graph.functions[fnIndex]!;
  const call = graph.nodes.find((n) => n.op === "Call" && n.attrs.function === fn.name)!;
  const body = instantiate(fn, call.inputs);
  // One body serves every call, so all calls must instantiate to the same nodes. Instances are
  // cached per input types, so most calls give this very body; others are compared once each.
  const ops = (g: Graph) => JSON.stringify([g.nodes.map((n) => [n.op, n.attrs, n.inputs.map((i) => i.name)]), g.constants.map((c) => c.value.dtype)]);
  const checked = new Set<Graph>([body]);
  for (const other of graph.nodes) {
    if (other.op === "Call" && other.attrs.function === fn.name && other !== call) {
      const again = instantiate(fn, other.inputs);
      if (checked.has(again)) continue;
      invariant(ops(again) === ops(body), `Function ${fn.name} builds different bodies for different calls (element types differ?).`);
      checked.add(again);
    }
  }
  const e = new Emission(opset, true, body.inputs, allNames(body));
  for (const c of body.constants) e.addIrConstant(c);
  for (const n of body.nodes) e.lower(n);
  return create(FunctionProtoSchema, {
    name: fn.name,
    domain: FUNCTION_DOMAIN,
    input: [...fn.inputs],
    output: [...fn.outputs],
    node: e.nodes,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(opset) })],
    ...(fn.doc ? { docString: fn.doc } : {}),
  });
}

/** The ModelProto for a graph (verified first). */
export function toModelProto(graph: Graph, options: EmitOptions = {}): ModelProto {
  assertValid(graph, "emission");
  const opset = options.opset ?? DEFAULT_OPSET;
  const irVersion = options.irVersion ?? IR_VERSION_FOR_OPSET[opset];
  invariant(irVersion !== undefined, `Opset ${opset} is not supported; mssmc emits opsets 17 to 26.`);
  const paramsAsInputs = options.params === "inputs";

  const e = new Emission(opset, false, graph.inputs, allNames(graph));
  if (!paramsAsInputs) {
    for (const p of graph.params) {
      const given = options.paramValues?.get(p.value.name);
      invariant(given !== undefined || options.seed !== undefined, `Param ${p.value.name} has no value and no seed was given to draw one.`);
      e.addInitializer(p.value.name, p.value.dtype, p.value.shape as readonly number[], given ?? initialValue(p, options.seed!));
    }
  }
  for (const c of graph.constants) e.addIrConstant(c);
  for (const n of graph.nodes) e.lower(n);

  const inputs = [...graph.inputs, ...(paramsAsInputs ? graph.params.map((p) => p.value) : [])];
  const graphProto = create(GraphProtoSchema, {
    name: graph.name,
    node: e.nodes,
    initializer: e.initializers,
    input: inputs.map(valueInfo),
    output: graph.outputs.map(valueInfo),
    ...(graph.doc ? { docString: graph.doc } : {}),
  });
  const opsetImport = [create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(opset) })];
  if (graph.functions.length) opsetImport.push(create(OperatorSetIdProtoSchema, { domain: FUNCTION_DOMAIN, version: 1n }));
  if (graph.nodes.some((n) => n.op === "LabelEncoder")) opsetImport.push(create(OperatorSetIdProtoSchema, { domain: ML_DOMAIN, version: BigInt(ML_OPSET) }));
  return create(ModelProtoSchema, {
    irVersion: BigInt(irVersion),
    opsetImport,
    producerName: "mssmc",
    producerVersion: options.producerVersion ?? compilerVersion(),
    graph: graphProto,
    functions: graph.functions.map((_f, i) => functionProto(graph, i, opset)),
  });
}

/** The .onnx bytes of a graph. */
export function emitModel(graph: Graph, options: EmitOptions = {}): Uint8Array {
  return toBinary(ModelProtoSchema, toModelProto(graph, options));
}
