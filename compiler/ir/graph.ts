// The model IR: a typed tensor graph in SSA form, and the builder that creates it with plain
// function calls (`b.matmul(x, w)`), scoped deterministic names and a source location per node.
//
// A graph is data: values, the nodes that define them in order, parameters and constants that
// exist before the first node, and the local functions its Call nodes use. Passes read a graph
// and build a new one (`Builder.extend`); `verifyGraph` (verify.ts) checks the result.

import { createHash } from "node:crypto";
import { invariant } from "../../base/source/diagnostic.js";
import type { Constant, Init, Node, Param, ParamGroup, Value } from "./graph-data.js";
import { isStatic, type Dim, type DType, type OpAttributes, type Shape } from "./ops.js";
import { inferTypes, normalizeAttributes, typeText, type PrimitiveOpKind, type TensorType } from "./shapes.js";
import { constantKey, constantName, dataHolds, tensorData, type Element, type TensorData } from "./tensor.js";
import { graphProblems, rememberValid } from "./validity.js";

export type { Constant, Node, NodeOf, Param, ParamGroup, Value } from "./graph-data.js";

/**
 * A local function: defined once, applied by Call nodes, emitted as an ONNX FunctionProto in the
 * domain ai.mssm. `body` builds the function from primitive ops for the given inputs; it must not
 * branch on their shapes (one body is emitted for all calls) and may not use params or Calls.
 * Name the values it returns after `outputs` to avoid an extra Identity node.
 *
 * Differentiating a Call: take `instantiate(fn, call.inputs)`, an ordinary graph of primitives,
 * and run the same reverse-mode rules over it, writing the backward nodes inline in the caller
 * (the forward stays a Call, visible in Netron); or run `inlineCalls` first when a pass should
 * only ever see primitives.
 */
export interface FunctionDef {
  readonly name: string;
  readonly doc: string;
  /** Formal input names, in order. */
  readonly inputs: readonly string[];
  /** Formal output names, in order. */
  readonly outputs: readonly string[];
  readonly body: (b: Builder, inputs: readonly Value[]) => readonly Value[];
}

/** A whole graph. Inputs, params and constants are defined before the nodes; nodes are in order. */
export interface Graph {
  readonly name: string;
  readonly doc: string;
  readonly inputs: readonly Value[];
  readonly params: readonly Param[];
  readonly constants: readonly Constant[];
  readonly nodes: readonly Node[];
  readonly outputs: readonly Value[];
  /** The functions Call nodes use, in order of first use. */
  readonly functions: readonly FunctionDef[];
}

interface MutableGraph {
  name: string;
  doc: string;
  inputs: Value[];
  params: Param[];
  constants: Constant[];
  nodes: Node[];
  outputs: Value[];
  functions: FunctionDef[];
}

const snakeNames = new Map<string, string>();

/** Default output names: the op kind in snake case (`MatMul` -> `matmul`), cached (asked once per node). */
function snake(kind: string): string {
  let name = snakeNames.get(kind);
  if (name === undefined) {
    name = kind.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
    snakeNames.set(kind, name);
  }
  return name;
}

/**
 * Builds a graph. Every method that adds something takes an optional local name; names are
 * joined to the current scope with "/" and must be unique (a clash is a bug: invariant).
 * Without a name an output is called after its op (`income/tower/relu`, then `relu_1`, ...).
 */
export class Builder {
  private readonly g: MutableGraph;
  private readonly defined = new Map<string, Value>();
  /** The graph's outputs so far, for the listed-twice check. */
  private readonly outputSet = new Set<Value>();
  /** Small constants by their full key (contents included). */
  private readonly constantsByKey = new Map<string, Value>();
  /** Large constants by type and a digest of their bytes; a hit is compared byte for byte. */
  private readonly largeByDigest = new Map<string, Constant>();
  /** Large constants of an extended graph, digested only once a large constant is asked for. */
  private undigested: Constant[] = [];
  /** Per default stem (`income/tower/relu`), the first `_k` not yet known to be taken. */
  private readonly nextSuffix = new Map<string, number>();
  /** The current scopes joined, each followed by "/" ("" at the top). */
  private prefix = "";
  private location = "";

  /** Starts an empty graph. */
  constructor(name: string, doc = "") {
    this.g = { name, doc, inputs: [], params: [], constants: [], nodes: [], outputs: [], functions: [] };
  }

  /** A builder that appends to a copy of `graph` (used by passes such as autodiff); `graph` is not changed. */
  static extend(graph: Graph): Builder {
    const b = new Builder(graph.name, graph.doc);
    const g = b.g;
    // Copied with slice and loops, not push(...spread): a 130k-node graph overflows no stack and
    // allocates no temporary arrays.
    g.inputs = graph.inputs.slice();
    g.params = graph.params.slice();
    g.constants = graph.constants.slice();
    g.nodes = graph.nodes.slice();
    g.outputs = graph.outputs.slice();
    for (const v of graph.outputs) b.outputSet.add(v);
    g.functions = graph.functions.slice();
    for (const v of graph.inputs) b.define(v);
    for (const p of graph.params) b.define(p.value);
    for (const n of graph.nodes) for (const v of n.outputs) b.define(v);
    for (const c of graph.constants) {
      b.define(c.value);
      if (isLarge(c.data)) b.undigested.push(c);
      else b.constantsByKey.set(constantKey(c.value.dtype, c.value.shape, c.data), c.value);
    }
    return b;
  }

  /** The graph built so far (live; do not modify). */
  get graph(): Graph {
    return this.g;
  }

  /**
   * Verifies the graph and returns a frozen snapshot of it. The snapshot is remembered as valid,
   * so emitting it (or any later assertValid) does not verify the same graph again.
   */
  finish(): Graph {
    const g = this.g;
    const snapshot: Graph = Object.freeze({
      name: g.name,
      doc: g.doc,
      inputs: Object.freeze(g.inputs.slice()),
      params: Object.freeze(g.params.slice()),
      constants: Object.freeze(g.constants.slice()),
      nodes: Object.freeze(g.nodes.slice()),
      outputs: Object.freeze(g.outputs.slice()),
      functions: Object.freeze(g.functions.slice()),
    });
    const problems = graphProblems(snapshot, instantiate);
    invariant(problems.length === 0, `Graph ${g.name} is not valid:\n  ${problems.join("\n  ")}`);
    rememberValid(snapshot);
    return snapshot;
  }

  /** Runs `fn` with names inside `scope` ("income/tower" may hold several levels). */
  scope<T>(scope: string, fn: () => T): T {
    const saved = this.prefix;
    this.prefix = `${saved}${scope}/`;
    try {
      return fn();
    } finally {
      this.prefix = saved;
    }
  }

  /**
   * Sets the source location recorded on the nodes and params that follow (`b.at("mssm.mssm:12")`);
   * with `fn`, only for what `fn` adds.
   */
  at(where: string): void;
  at<T>(where: string, fn: () => T): T;
  at<T>(where: string, fn?: () => T): T | void {
    if (!fn) {
      this.location = where;
      return;
    }
    const saved = this.location;
    this.location = where;
    try {
      return fn();
    } finally {
      this.location = saved;
    }
  }

  /** The full name of a local name in the current scope. */
  qualify(local: string): string {
    invariant(local.length > 0, "Names must not be empty.");
    return this.prefix + local;
  }

  /** The value with this full name, if defined. */
  lookup(name: string): Value | undefined {
    return this.defined.get(name);
  }

  /** Declares a graph input. */
  input(name: string, dtype: DType, shape: Shape): Value {
    const value = this.newValue(this.qualify(name), { dtype, shape });
    this.g.inputs.push(value);
    return value;
  }

  /** Declares a trainable parameter (static shape, float; group "dense" unless given). */
  param(name: string, shape: readonly number[], init: Init, options: { dtype?: "float32" | "float64"; group?: ParamGroup } = {}): Value {
    invariant(isStatic(shape) && shape.every((d) => Number.isInteger(d) && d >= 1), `Param ${name}: shape [${shape.join(",")}] is not static.`);
    const value = this.newValue(this.qualify(name), { dtype: options.dtype ?? "float32", shape });
    this.g.params.push({ value, init, group: options.group ?? "dense", doc: this.location });
    return value;
  }

  /**
   * A constant; equal constants (type, shape, every element) are one value. Scalars by default;
   * give `shape` for tensors (row-major values). Large constants need `tag` for their name.
   */
  constant(values: Element | readonly Element[] | TensorData, dtype: DType, shape?: Shape, tag?: string): Value {
    const data = ArrayBuffer.isView(values) ? (values as TensorData) : tensorData(dtype, Array.isArray(values) ? values : [values as Element]);
    invariant(dataHolds(dtype, data), `Constant data is not of element type ${dtype}.`);
    const dims = shape ?? (Array.isArray(values) || ArrayBuffer.isView(values) ? [data.length] : []);
    invariant(isStatic(dims) && dims.reduce((a, d) => a * d, 1) === data.length, `Constant of ${data.length} element(s) does not fill shape [${dims.join(",")}].`);
    if (isLarge(data)) {
      for (const c of this.undigested) this.largeByDigest.set(digestKey(c.value.dtype, c.value.shape, c.data as NumericData), c);
      this.undigested = [];
      const key = digestKey(dtype, dims, data);
      const known = this.largeByDigest.get(key);
      if (known) {
        invariant(sameBytes(known.data, data), `Two different constants have the digest ${key}.`);
        return known.value;
      }
      const value = this.newValue(constantName(dtype, dims, data, tag), { dtype, shape: dims });
      const constant = { value, data };
      this.g.constants.push(constant);
      this.largeByDigest.set(key, constant);
      return value;
    }
    const key = constantKey(dtype, dims, data);
    const existing = this.constantsByKey.get(key);
    if (existing) return existing;
    const value = this.newValue(constantName(dtype, dims, data, tag), { dtype, shape: dims });
    this.g.constants.push({ value, data });
    this.constantsByKey.set(key, value);
    return value;
  }

  /** Marks a value as a graph output; with `name`, under that (scoped) name via an Identity node. */
  output(value: Value, name?: string): Value {
    const out = name === undefined || this.qualify(name) === value.name ? value : this.identity(value, name);
    invariant(!this.outputSet.has(out), `Value ${out.name} is already an output.`);
    this.outputSet.add(out);
    this.g.outputs.push(out);
    return out;
  }

  /**
   * Adds a node of a primitive op and returns its outputs. `names` are local output names
   * (one per output); attributes may use negative axes, which are stored resolved.
   */
  node<K extends PrimitiveOpKind>(op: K, inputs: readonly Value[], attrs: OpAttributes[K], names?: readonly string[]): Value[] {
    for (const v of inputs) this.checkOwn(op, v);
    const normalized = normalizeAttributes(op, attrs, inputs);
    const types = inferTypes(op, normalized, inputs);
    const outputs = this.outputValues(snake(op), types, names, types.length === 1 ? undefined : types.map((_t, i) => String(i)));
    this.g.nodes.push({ op, attrs: normalized, inputs: [...inputs], outputs, doc: this.location } as Node);
    return outputs;
  }

  /** Applies a local function; its output types come from instantiating its body for these inputs. */
  call(fn: FunctionDef, inputs: readonly Value[], names?: readonly string[]): Value[] {
    for (const v of inputs) this.checkOwn(fn.name, v);
    const known = this.g.functions.find((f) => f.name === fn.name);
    invariant(known === undefined || known === fn, `Two different functions are named ${fn.name}.`);
    const body = instantiate(fn, inputs);
    if (!known) this.g.functions.push(fn);
    const outputs = this.outputValues(snake(fn.name), body.outputs, names, fn.outputs);
    this.g.nodes.push({ op: "Call", attrs: { function: fn.name }, inputs: [...inputs], outputs, doc: this.location });
    return outputs;
  }

  private one<K extends PrimitiveOpKind>(op: K, inputs: readonly Value[], attrs: OpAttributes[K], name?: string): Value {
    return this.node(op, inputs, attrs, name === undefined ? undefined : [name])[0]!;
  }

  /** -x */
  neg(x: Value, name?: string): Value { return this.one("Neg", [x], {}, name); }
  /** e^x */
  exp(x: Value, name?: string): Value { return this.one("Exp", [x], {}, name); }
  /** natural log */
  log(x: Value, name?: string): Value { return this.one("Log", [x], {}, name); }
  /** square root */
  sqrt(x: Value, name?: string): Value { return this.one("Sqrt", [x], {}, name); }
  /** |x| */
  abs(x: Value, name?: string): Value { return this.one("Abs", [x], {}, name); }
  /** max(x, 0) */
  relu(x: Value, name?: string): Value { return this.one("Relu", [x], {}, name); }
  /** x if x >= 0 else alpha * x */
  leakyRelu(x: Value, alpha: number, name?: string): Value { return this.one("LeakyRelu", [x], { alpha }, name); }
  /** x if x >= 0 else alpha * (e^x - 1) */
  elu(x: Value, alpha: number, name?: string): Value { return this.one("Elu", [x], { alpha }, name); }
  /** 1 / (1 + e^-x) */
  sigmoid(x: Value, name?: string): Value { return this.one("Sigmoid", [x], {}, name); }
  /** tanh x */
  tanh(x: Value, name?: string): Value { return this.one("Tanh", [x], {}, name); }
  /** the error function */
  erf(x: Value, name?: string): Value { return this.one("Erf", [x], {}, name); }
  /** x ^ exponent (constant exponent) */
  pow(x: Value, exponent: number, name?: string): Value { return this.one("Pow", [x], { exponent }, name); }
  /** min(max(x, min), max); pass undefined for no bound */
  clip(x: Value, min: number | undefined, max: number | undefined, name?: string): Value {
    const attrs: OpAttributes["Clip"] = {};
    if (min !== undefined) attrs.min = min;
    if (max !== undefined) attrs.max = max;
    return this.one("Clip", [x], attrs, name);
  }
  /** x, under another name */
  identity(x: Value, name?: string): Value { return this.one("Identity", [x], {}, name); }
  /** x converted to another element type */
  cast(x: Value, to: DType, name?: string): Value { return this.one("Cast", [x], { to }, name); }

  /** a + b (broadcasting) */
  add(a: Value, b: Value, name?: string): Value { return this.one("Add", [a, b], {}, name); }
  /** a - b */
  sub(a: Value, b: Value, name?: string): Value { return this.one("Sub", [a, b], {}, name); }
  /** a * b */
  mul(a: Value, b: Value, name?: string): Value { return this.one("Mul", [a, b], {}, name); }
  /** a / b */
  div(a: Value, b: Value, name?: string): Value { return this.one("Div", [a, b], {}, name); }
  /** element-wise max(a, b) */
  max(a: Value, b: Value, name?: string): Value { return this.one("Max", [a, b], {}, name); }
  /** element-wise min(a, b) */
  min(a: Value, b: Value, name?: string): Value { return this.one("Min", [a, b], {}, name); }
  /** a > b (bool) */
  greater(a: Value, b: Value, name?: string): Value { return this.one("Greater", [a, b], {}, name); }
  /** a < b (bool) */
  less(a: Value, b: Value, name?: string): Value { return this.one("Less", [a, b], {}, name); }
  /** a == b (bool) */
  equal(a: Value, b: Value, name?: string): Value { return this.one("Equal", [a, b], {}, name); }
  /** cond ? a : b */
  where(cond: Value, a: Value, b: Value, name?: string): Value { return this.one("Where", [cond, a, b], {}, name); }

  /** numpy matmul */
  matmul(a: Value, b: Value, name?: string): Value { return this.one("MatMul", [a, b], {}, name); }
  /** sum over axes */
  reduceSum(x: Value, axes: readonly number[], keepdims: boolean, name?: string): Value { return this.one("ReduceSum", [x], { axes, keepdims }, name); }
  /** mean over axes */
  reduceMean(x: Value, axes: readonly number[], keepdims: boolean, name?: string): Value { return this.one("ReduceMean", [x], { axes, keepdims }, name); }
  /** max over axes */
  reduceMax(x: Value, axes: readonly number[], keepdims: boolean, name?: string): Value { return this.one("ReduceMax", [x], { axes, keepdims }, name); }
  /** softmax along axis */
  softmax(x: Value, axis: number, name?: string): Value { return this.one("Softmax", [x], { axis }, name); }
  /** log of softmax along axis */
  logSoftmax(x: Value, axis: number, name?: string): Value { return this.one("LogSoftmax", [x], { axis }, name); }

  /** joins along axis */
  concat(xs: readonly Value[], axis: number, name?: string): Value { return this.one("Concat", xs, { axis }, name); }
  /** static slice; steps default to 1, negative bounds count from the end */
  slice(x: Value, s: { axes: readonly number[]; starts: readonly number[]; ends: readonly number[]; steps?: readonly number[] }, name?: string): Value {
    return this.one("Slice", [x], { axes: s.axes, starts: s.starts, ends: s.ends, steps: s.steps ?? s.axes.map(() => 1) }, name);
  }
  /** cuts axis into pieces of these sizes */
  split(x: Value, axis: number, sizes: readonly Dim[], names?: readonly string[]): Value[] { return this.node("Split", [x], { axis, sizes }, names); }
  /** same elements, new shape */
  reshape(x: Value, shape: Shape, name?: string): Value { return this.one("Reshape", [x], { shape }, name); }
  /** permutes axes */
  transpose(x: Value, perm: readonly number[], name?: string): Value { return this.one("Transpose", [x], { perm }, name); }
  /** inserts size-1 axes */
  unsqueeze(x: Value, axes: readonly number[], name?: string): Value { return this.one("Unsqueeze", [x], { axes }, name); }
  /** removes size-1 axes */
  squeeze(x: Value, axes: readonly number[], name?: string): Value { return this.one("Squeeze", [x], { axes }, name); }
  /** broadcasts to a shape (symbolic dims allowed) */
  expand(x: Value, shape: Shape, name?: string): Value { return this.one("Expand", [x], { shape }, name); }
  /** data[indices] along axis */
  gather(data: Value, indices: Value, axis: number, name?: string): Value { return this.one("Gather", [data, indices], { axis }, name); }
  /** data with updates added at rows indices (axis 0; repeats add up) */
  scatterAdd(data: Value, indices: Value, updates: Value, name?: string): Value { return this.one("ScatterAdd", [data, indices, updates], {}, name); }

  private define(value: Value): void {
    if (this.defined.has(value.name)) invariant(false, `The name ${value.name} is defined twice.`);
    this.defined.set(value.name, value);
  }

  private newValue(name: string, type: TensorType): Value {
    const value: Value = { name, dtype: type.dtype, shape: [...type.shape] };
    this.define(value);
    return value;
  }

  private checkOwn(op: string, v: Value): void {
    if (this.defined.get(v.name) !== v) invariant(false, `${op}: input ${v.name} is not a value of graph ${this.g.name}.`);
  }

  /** Output values named from `names`, else `<base>` (+ `/<suffix>` per output), made unique with `_1`, `_2`, ... */
  private outputValues(base: string, types: readonly TensorType[], names: readonly string[] | undefined, suffixes: readonly string[] | undefined): Value[] {
    if (names) {
      invariant(names.length === types.length, `Expected ${types.length} output name(s), got ${names.length}.`);
      return types.map((t, i) => this.newValue(this.qualify(names[i]!), t));
    }
    // Names are never undefined, so the search for a free `_k` resumes where the last one for
    // this stem stopped (else n unnamed adds in one scope would cost n² lookups).
    const first = this.qualify(base);
    const taken = suffixes ? (stem: string) => suffixes.some((s) => this.defined.has(`${stem}/${s}`)) : (stem: string) => this.defined.has(stem);
    let k = this.nextSuffix.get(first) ?? 0;
    let stem = k === 0 ? first : `${first}_${k}`;
    while (taken(stem)) stem = `${first}_${++k}`;
    this.nextSuffix.set(first, k + 1);
    if (!suffixes) return [this.newValue(stem, types[0]!)];
    return suffixes.map((s, i) => this.newValue(`${stem}/${s}`, types[i]!));
  }
}

/**
 * Constants of more than this many numbers are deduplicated by a digest of their bytes: their
 * full keys (base64 of every byte) were megabytes each for the FSCM segment matrices of a large
 * spec, rebuilt whenever a pass extended the graph.
 */
const LARGE_CONSTANT = 64;

/** Tensor contents held in a typed array. */
type NumericData = Exclude<TensorData, readonly string[]>;

function isLarge(data: TensorData): data is NumericData {
  return ArrayBuffer.isView(data) && data.length > LARGE_CONSTANT;
}

function bytesOf(data: NumericData): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Type, shape and sha256 of the bytes of a large numeric constant. */
function digestKey(dtype: string, shape: Shape, data: NumericData): string {
  return `${dtype}[${shape.join(",")}]:${createHash("sha256").update(bytesOf(data)).digest("base64")}`;
}

function sameBytes(a: TensorData, b: NumericData): boolean {
  return ArrayBuffer.isView(a) && bytesOf(a).equals(bytesOf(b));
}

const instances = new WeakMap<FunctionDef, Map<string, Graph>>();

/**
 * A function's body as a graph for inputs of these types: its inputs carry the formal names and
 * its outputs the formal output names. Used to type Call nodes, to emit the FunctionProto, and
 * by autodiff (differentiate the body) or inlining. Cached per function and input types.
 */
export function instantiate(fn: FunctionDef, types: readonly TensorType[]): Graph {
  invariant(types.length === fn.inputs.length, `${fn.name}: expected ${fn.inputs.length} input(s), got ${types.length}.`);
  const key = types.map(typeText).join(";");
  const cache = instances.get(fn) ?? new Map<string, Graph>();
  instances.set(fn, cache);
  const cached = cache.get(key);
  if (cached) return cached;
  const b = new Builder(fn.name, fn.doc);
  const inputs = fn.inputs.map((n, i) => b.input(n, types[i]!.dtype, types[i]!.shape));
  const outputs = fn.body(b, inputs);
  invariant(outputs.length === fn.outputs.length, `${fn.name}: body returned ${outputs.length} value(s) for ${fn.outputs.length} output(s).`);
  outputs.forEach((v, i) => b.output(v, fn.outputs[i]!));
  const body = b.finish();
  invariant(body.params.length === 0 && body.nodes.every((n) => n.op !== "Call"), `${fn.name}: a function body may not use params or Call.`);
  cache.set(key, body);
  return body;
}
