// ONNX messages written straight to protobuf wire format with @bufbuild/protobuf's BinaryWriter,
// one function per message, from plain records the emitter fills (compiler/onnx/emit.ts).
//
// Why not the generated messages (gen/onnx-subset_pb.ts) and toBinary: a training step of the
// 500-field spec has ~130k nodes, and building a message object for every node, attribute, name
// list and tensor, then walking them again through the reflective encoder, took about 1 s of a
// compile. The generated messages remain the reader (fromBinary, tests, toModelProto).
//
// The bytes are exactly what toBinary writes for the same messages: fields in field-number order
// (numbers and wire types from onnx-subset.proto), proto2 presence (an optional field is written
// when the emitter sets it, even to "" or 0), repeated scalars unpacked (proto2's default), and
// messages as length-delimited sub-messages. Keep each writer in that order when adding a field.

import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { Dim, DType } from "../ir/ops.js";
import type { TensorData } from "../ir/tensor.js";
import { invariant } from "../../base/source/diagnostic.js";
import { AttributeProto_AttributeType as AT, type AttributeProto } from "./gen/onnx-subset_pb.js";
import { DATA_TYPE } from "./lower.js";

/** A tensor: an initializer of a graph, or the value of a Constant node in a function. */
export interface TensorRecord {
  /** Absent inside a Constant node's attribute. */
  readonly name?: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** A TENSOR attribute (a Constant node's `value`), holding its tensor as a record. */
export interface TensorAttribute {
  readonly name: string;
  readonly tensor: TensorRecord;
}

/** A node attribute: a generated AttributeProto (from lower.ts's helpers) or a tensor. */
export type Attribute = AttributeProto | TensorAttribute;

/** A NodeProto. */
export interface NodeRecord {
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly Attribute[];
  /** "" for the default ONNX domain (then not written). */
  readonly domain: string;
  /** "" when none (then not written). */
  readonly doc: string;
}

/** The name and type of a graph input or output (an IR value). */
export interface ValueRecord {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** A GraphProto. */
export interface GraphRecord {
  readonly name: string;
  readonly doc: string;
  /** Iterated once, in order, before `initializers` is read: producing a node may add an initializer. */
  readonly nodes: Iterable<NodeRecord>;
  readonly initializers: readonly TensorRecord[];
  readonly inputs: readonly ValueRecord[];
  readonly outputs: readonly ValueRecord[];
}

/** An OperatorSetIdProto ("" is the default ONNX domain). */
export interface OpsetRecord {
  readonly domain: string;
  readonly version: number;
}

/** A FunctionProto. */
export interface FunctionRecord {
  readonly name: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Iterated once, in order. */
  readonly nodes: Iterable<NodeRecord>;
  readonly opsetImport: readonly OpsetRecord[];
  readonly doc: string;
}

/** A ModelProto. */
export interface ModelRecord {
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly graph: GraphRecord;
  readonly opsetImport: readonly OpsetRecord[];
  readonly functions: readonly FunctionRecord[];
}

/** The .onnx bytes of a model. */
export function modelBytes(model: ModelRecord): Uint8Array {
  const w = new BinaryWriter();
  writeModel(w, model);
  return w.finish();
}

const VARINT = WireType.Varint;
const LEN = WireType.LengthDelimited;
const FIXED32 = WireType.Bit32;

/** An int64 field's value: a plain varint for the usual small non-negative numbers (same bytes). */
function int64(w: BinaryWriter, n: number | bigint): void {
  if (typeof n === "number" && n >= 0 && n <= 0xffffffff && Number.isInteger(n)) w.uint32(n);
  else w.int64(n);
}

/** Field `no` holding a sub-message written by `write`. */
function message<T>(w: BinaryWriter, no: number, value: T, write: (w: BinaryWriter, value: T) => void): void {
  w.tag(no, LEN).fork();
  write(w, value);
  w.join();
}

/** A repeated string field: one tagged entry per string, "" included. */
function strings(w: BinaryWriter, no: number, values: readonly string[]): void {
  for (const s of values) w.tag(no, LEN).string(s);
}

/** ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8, functions 25. */
function writeModel(w: BinaryWriter, m: ModelRecord): void {
  int64(w.tag(1, VARINT), m.irVersion);
  w.tag(2, LEN).string(m.producerName);
  w.tag(3, LEN).string(m.producerVersion);
  message(w, 7, m.graph, writeGraph);
  for (const o of m.opsetImport) message(w, 8, o, writeOpset);
  for (const f of m.functions) message(w, 25, f, writeFunction);
}

/** OperatorSetIdProto: domain 1 (written even when ""), version 2. */
function writeOpset(w: BinaryWriter, o: OpsetRecord): void {
  w.tag(1, LEN).string(o.domain);
  int64(w.tag(2, VARINT), o.version);
}

/** GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11, output 12. */
function writeGraph(w: BinaryWriter, g: GraphRecord): void {
  for (const n of g.nodes) message(w, 1, n, writeNode);
  w.tag(2, LEN).string(g.name);
  for (const t of g.initializers) message(w, 5, t, writeTensor);
  if (g.doc) w.tag(10, LEN).string(g.doc);
  for (const v of g.inputs) message(w, 11, v, writeValueInfo);
  for (const v of g.outputs) message(w, 12, v, writeValueInfo);
}

/** FunctionProto: name 1, input 4, output 5, node 7, doc_string 8, opset_import 9, domain 10. */
function writeFunction(w: BinaryWriter, f: FunctionRecord): void {
  w.tag(1, LEN).string(f.name);
  strings(w, 4, f.inputs);
  strings(w, 5, f.outputs);
  for (const n of f.nodes) message(w, 7, n, writeNode);
  if (f.doc) w.tag(8, LEN).string(f.doc);
  for (const o of f.opsetImport) message(w, 9, o, writeOpset);
  w.tag(10, LEN).string(f.domain);
}

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, doc_string 6, domain 7. */
function writeNode(w: BinaryWriter, n: NodeRecord): void {
  strings(w, 1, n.inputs);
  strings(w, 2, n.outputs);
  w.tag(3, LEN).string(n.name);
  w.tag(4, LEN).string(n.opType);
  for (const a of n.attributes) {
    if ("tensor" in a) message(w, 5, a, writeTensorAttribute);
    else message(w, 5, a, writeAttribute);
  }
  if (n.doc) w.tag(6, LEN).string(n.doc);
  if (n.domain) w.tag(7, LEN).string(n.domain);
}

const has = (m: object, field: string) => Object.prototype.hasOwnProperty.call(m, field);

/**
 * AttributeProto from a generated message: name 1, f 2, i 3, s 4, floats 7, ints 8, strings 9,
 * doc_string 13, type 20, ref_attr_name 21, each optional one when set (proto2 presence).
 */
function writeAttribute(w: BinaryWriter, a: AttributeProto): void {
  invariant(
    a.t === undefined && a.g === undefined && a.tp === undefined && !a.tensors.length && !a.graphs.length && !a.typeProtos.length,
    `Attribute ${a.name}: only scalar, string and list attributes are written from messages (a tensor is a TensorAttribute).`,
  );
  if (has(a, "name")) w.tag(1, LEN).string(a.name);
  if (has(a, "f")) w.tag(2, FIXED32).float(a.f);
  if (has(a, "i")) int64(w.tag(3, VARINT), a.i);
  if (has(a, "s")) w.tag(4, LEN).bytes(a.s);
  for (const f of a.floats) w.tag(7, FIXED32).float(f);
  for (const i of a.ints) int64(w.tag(8, VARINT), i);
  for (const s of a.strings) w.tag(9, LEN).bytes(s);
  if (has(a, "docString")) w.tag(13, LEN).string(a.docString);
  if (has(a, "type")) w.tag(20, VARINT).int32(a.type);
  if (has(a, "refAttrName")) w.tag(21, LEN).string(a.refAttrName);
}

/** AttributeProto of type TENSOR: name 1, t 5, type 20. */
function writeTensorAttribute(w: BinaryWriter, a: TensorAttribute): void {
  w.tag(1, LEN).string(a.name);
  message(w, 5, a.tensor, writeTensor);
  w.tag(20, VARINT).int32(AT.TENSOR);
}

/**
 * TensorProto: dims 1, data_type 2, string_data 6, name 8, raw_data 9. Strings go to string_data
 * (raw_data cannot hold them), everything else to raw_data (written even when empty).
 */
function writeTensor(w: BinaryWriter, t: TensorRecord): void {
  for (const d of t.shape) int64(w.tag(1, VARINT), d);
  w.tag(2, VARINT).int32(DATA_TYPE[t.dtype]);
  if (t.dtype === "string") strings(w, 6, t.data as readonly string[]);
  if (t.name !== undefined) w.tag(8, LEN).string(t.name);
  if (t.dtype !== "string") w.tag(9, LEN).bytes(rawBytes(t.dtype, t.data));
}

/** True on little-endian hosts, whose typed arrays already hold raw_data's byte order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian bytes of numeric or bool tensor contents (raw_data); a view of the data on little-endian hosts (the writer copies it). */
function rawBytes(dtype: DType, data: TensorData): Uint8Array {
  if (LITTLE_ENDIAN && ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
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

/** ValueInfoProto: name 1, type 2. */
function writeValueInfo(w: BinaryWriter, v: ValueRecord): void {
  w.tag(1, LEN).string(v.name);
  message(w, 2, v, writeType);
}

/** TypeProto: tensor_type 1 (the oneof case mssmc uses). */
function writeType(w: BinaryWriter, v: ValueRecord): void {
  message(w, 1, v, writeTensorType);
}

/** TypeProto.Tensor: elem_type 1, shape 2 (written even for a scalar's empty shape). */
function writeTensorType(w: BinaryWriter, v: ValueRecord): void {
  w.tag(1, VARINT).int32(DATA_TYPE[v.dtype]);
  message(w, 2, v.shape, writeShape);
}

/** TensorShapeProto: dim 1. */
function writeShape(w: BinaryWriter, shape: readonly Dim[]): void {
  for (const d of shape) message(w, 1, d, writeDimension);
}

/** TensorShapeProto.Dimension: dim_value 1 for a number, dim_param 2 for a symbol. */
function writeDimension(w: BinaryWriter, d: Dim): void {
  if (typeof d === "number") int64(w.tag(1, VARINT), d);
  else w.tag(2, LEN).string(d);
}
