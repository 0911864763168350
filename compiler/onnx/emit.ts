// IR graph -> ONNX ModelProto bytes. Deterministic: the same graph and options give the same
// bytes (everything is emitted in graph order; no maps are iterated for output). The model is
// gathered as plain records and written by compiler/onnx/wire.ts; the generated messages only
// read it back (toModelProto).
//
// Value names carry over unchanged. Values the emitter adds are named `onnx/size/<symbol>` (a
// symbolic dimension's run-time size, from the first input that has it), `<node output>/shape`
// (a shape assembled from such sizes) and `const/...` (constants made for op inputs such as
// axes, shared with equal IR constants).

import { fromBinary } from "@bufbuild/protobuf";
import { instantiate, type Constant, type Graph, type Node, type Value } from "../ir/graph.js";
import { initialValue } from "../ir/init.js";
import type { Dim, DType } from "../ir/ops.js";
import { constantKey, constantName, dataHolds, tensorData, type Element, type TensorData } from "../ir/tensor.js";
import { assertValid } from "../ir/verify.js";
import { compilerVersion } from "../../base/package-root.js";
import { invariant } from "../../base/source/diagnostic.js";
import { ModelProtoSchema, type AttributeProto, type ModelProto } from "./gen/onnx-subset_pb.js";
import { FUNCTION_DOMAIN, intAttr, lowerNode, ML_DOMAIN, ML_OPSET, ORT_DOMAIN, ORT_OPSET, type LowerContext } from "./lower.js";
import { modelBytes, type FunctionRecord, type ModelRecord, type NodeRecord, type OpsetRecord, type TensorRecord } from "./wire.js";

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

/** A tensor record, checked: its data must fill its type. */
function tensorRecord(name: string | undefined, dtype: DType, shape: readonly number[], data: TensorData): TensorRecord {
  invariant(dataHolds(dtype, data) && shape.reduce((a, d) => a * d, 1) === data.length, `Tensor ${name}: data does not fit ${dtype}[${shape.join(",")}].`);
  return name === undefined ? { dtype, shape, data } : { name, dtype, shape, data };
}

/** IR constants of at most this many elements may stand in for an equal constant the emitter needs (its own are axes, sizes and bounds; the segment matrices of FSCM are far larger). */
const SHAREABLE = 4096;

/** The nodes (and, for a graph, initializers) of one graph or function body being emitted. */
class Emission implements LowerContext {
  /** Nodes added since the last `take`. */
  private pending: NodeRecord[] = [];
  readonly initializers: TensorRecord[] = [];
  private readonly constantNames = new Map<string, string>();
  private readonly sizes = new Map<string, string>();
  /** shapeTensor results by their dims, built once each. */
  private readonly shapes = new Map<string, string>();
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
    this.initializers.push(tensorRecord(name, dtype, shape, data));
  }

  /** The nodes added since the last call, in order. */
  take(): NodeRecord[] {
    const nodes = this.pending;
    this.pending = [];
    return nodes;
  }

  lower(node: Node): void {
    this.doc = node.doc;
    this.current = node.outputs[0]!.name;
    lowerNode(node, this);
  }

  add(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly AttributeProto[] = [], domain = ""): void {
    this.pending.push({ name: outputs[0]!, opType, inputs, outputs, attributes, domain, doc: this.doc });
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
    // Built once per list of dims (the cut-back of joined embedding rows asks for one per output).
    const key = dims.join("\u0000");
    const built = this.shapes.get(key);
    if (built) return built;
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
    this.shapes.set(key, out);
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
      this.initializers.push(tensorRecord(name, dtype, shape, data));
      return;
    }
    const value = { name: "value", tensor: tensorRecord(undefined, dtype, shape, data) };
    this.pending.push({ name, opType: "Constant", inputs: [], outputs: [name], attributes: [value], domain: "", doc: "" });
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

/**
 * The ONNX nodes of `nodes` (after those already added), lowered as the writer asks for them:
 * the ~140k nodes of a training step are never all held as records at once, so they die young
 * instead of filling the old generation (a full collection per emission, ~0.15 s).
 */
function* lowered(e: Emission, nodes: readonly Node[]): Generator<NodeRecord> {
  yield* e.take();
  for (const n of nodes) {
    e.lower(n);
    yield* e.take();
  }
}

/** The Call nodes of each function, in graph order. */
function callsByFunction(graph: Graph): Map<string, Node[]> {
  const calls = new Map<string, Node[]>(graph.functions.map((f) => [f.name, []]));
  for (const n of graph.nodes) if (n.op === "Call") calls.get(n.attrs.function)?.push(n);
  return calls;
}

/** The FunctionProto of a local function, its body instantiated for its first call. */
function functionRecord(graph: Graph, fnIndex: number, calls: readonly Node[], opset: number): FunctionRecord {
  const fn = graph.functions[fnIndex]!;
  const call = calls[0]!;
  const body = instantiate(fn, call.inputs);
  // One body serves every call, so all calls must instantiate to the same nodes. Instances are
  // cached per input types, so most calls give this very body; others are compared once each.
  const ops = (g: Graph) => JSON.stringify([g.nodes.map((n) => [n.op, n.attrs, n.inputs.map((i) => i.name)]), g.constants.map((c) => c.value.dtype)]);
  const checked = new Set<Graph>([body]);
  for (const other of calls) {
    if (other === call) continue;
    const again = instantiate(fn, other.inputs);
    if (checked.has(again)) continue;
    invariant(ops(again) === ops(body), `Function ${fn.name} builds different bodies for different calls (element types differ?).`);
    checked.add(again);
  }
  const e = new Emission(opset, true, body.inputs, allNames(body));
  for (const c of body.constants) e.addIrConstant(c);
  return {
    name: fn.name,
    domain: FUNCTION_DOMAIN,
    inputs: fn.inputs,
    outputs: fn.outputs,
    nodes: lowered(e, body.nodes),
    opsetImport: [{ domain: "", version: opset }],
    doc: fn.doc,
  };
}

/** What is written for a graph (verified first): the ModelProto as plain records. */
function modelRecord(graph: Graph, options: EmitOptions): ModelRecord {
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

  const inputs = paramsAsInputs ? [...graph.inputs, ...graph.params.map((p) => p.value)] : graph.inputs;
  const opsetImport: OpsetRecord[] = [{ domain: "", version: opset }];
  if (graph.functions.length) opsetImport.push({ domain: FUNCTION_DOMAIN, version: 1 });
  if (graph.nodes.some((n) => n.op === "LabelEncoder")) opsetImport.push({ domain: ML_DOMAIN, version: ML_OPSET });
  if (graph.nodes.some((n) => n.op === "StringHash")) opsetImport.push({ domain: ORT_DOMAIN, version: ORT_OPSET });
  const calls = callsByFunction(graph);
  return {
    irVersion,
    producerName: "mssmc",
    producerVersion: options.producerVersion ?? compilerVersion(),
    graph: { name: graph.name, doc: graph.doc, nodes: lowered(e, graph.nodes), initializers: e.initializers, inputs, outputs: graph.outputs },
    opsetImport,
    functions: graph.functions.map((f, i) => functionRecord(graph, i, calls.get(f.name)!, opset)),
  };
}

/** The .onnx bytes of a graph (verified first). */
export function emitModel(graph: Graph, options: EmitOptions = {}): Uint8Array {
  return modelBytes(modelRecord(graph, options));
}

/** The ModelProto of a graph: the bytes emitModel writes, read back (for tests and tools that inspect a model). */
export function toModelProto(graph: Graph, options: EmitOptions = {}): ModelProto {
  return fromBinary(ModelProtoSchema, emitModel(graph, options));
}
