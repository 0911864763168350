// A trained model -> one self-contained inference ONNX model (DESIGN §4): raw columns in, one score
// per task out, so a server in any language needs nothing but an ONNX runtime (onnxruntime itself
// when the model has hashed fields: their hash is its com.microsoft MurmurHash3 op).
//
//   inputs   one per source column, named after it: tensor(string) [batch] for categorical fields,
//            float32 [batch] for numeric fields (NaN = missing), tensor(string) [batch, tokens] for
//            multi_hot fields: each cell already split at the field's separator and trimmed, as
//            the runtime reads it, padded with "" (missing tokens, "" and "?", count for nothing)
//   inside   vocabulary lookup (ai.onnx.ml LabelEncoder, unknown and missing -> id 0) and a Gather
//            from the embedding table (an initializer); numeric: transform (log1p x = Log(1 + x)),
//            z = (x - mean) / std, missing -> 0 (the training mean); then the eval-mode forward of
//            compiler/lower with the trained params as initializers and every deterministic L0
//            gate folded into a constant z = min(1, max(0, σ(log α)(ζ − γ) + γ))
//   outputs  one per task, named after it: binary probability [batch], regression value [batch],
//            multiclass probabilities [batch, classes]
//
// Pruning (runtime/prune.ts, on by default) removes what the deterministic gates close: blocks,
// units, and fields no group reads any more. A removed field's input column goes too when no
// other field reads it (`pruned.inputs`): the pruned model asks only for what it uses, and
// onnxruntime refuses a feed the model has no input for, so a server must drop those columns.
//
// Categorical inputs are compared as given: feed the values the way the runtime reads CSV cells
// (trimmed; "" and "?" mean missing). Hashed fields (`hash_buckets`) hash in the graph with
// onnxruntime's MurmurHash3 (domain com.microsoft, in onnxruntime's standard builds; ONNX itself
// has no string hash), modulo the buckets, missing -> bucket 0, as runtime/data/vocab.ts does. What cannot
// be exported is refused with a UserError rather than approximated:
// - hashed fields of runs trained before the runtime hashed with MurmurHash3 (FNV-1a), which no
//   ONNX op computes;
// - a multi_hot field's column read by another field too (its input is a token list); ONNX cannot
//   split and trim a cell at opset 17, so the tokens are the caller's to make.

import type { Graph, Value } from "../compiler/ir/graph.js";
import { Builder } from "../compiler/ir/graph.js";
import { HardConcreteGate } from "../compiler/ir/hard-concrete.js";
import { BATCH, sizeOf } from "../compiler/ir/ops.js";
import type { PrimitiveOpKind } from "../compiler/ir/shapes.js";
import type { TensorData } from "../compiler/ir/tensor.js";
import { lowerSpec } from "../compiler/lower/lower-spec.js";
import { predictionName } from "../compiler/lower/losses.js";
import { planLowering } from "../compiler/lower/plan.js";
import { DEFAULT_OPSET, emitModel } from "../compiler/onnx/emit.js";
import { invariant } from "../base/source/diagnostic.js";
import type { Field, Spec } from "../compiler/load/types.js";
import { isMissing } from "./data/csv.js";
import type { FieldState } from "./data/dataset.js";
import type { NumericStats } from "./data/numeric.js";
import { vocabRows, type Vocab } from "./data/vocab.js";
import { UserError } from "../base/user-error.js";
import { pruneGraph, type PruneReport } from "./prune.js";
import type { TrainedModel } from "./trained-model.js";

/** How to export. */
export interface ExportOptions {
  /** Opset of the default ONNX domain (default 17). */
  opset?: number;
  /** Remove what the folded gates close (runtime/prune.ts); default true. */
  prune?: boolean;
}

/** One input of the exported model. */
export interface ExportedInput {
  /** The source column, which is also the input's name. */
  name: string;
  dtype: "string" | "float32";
  /** [batch], or [batch, tokens] for a multi_hot field's token lists. */
  shape: (number | string)[];
  /** The fields that read it. */
  fields: string[];
}

/** One output of the exported model. */
export interface ExportedOutput {
  /** The task, which is also the output's name. */
  name: string;
  kind: "binary" | "regression" | "multiclass";
  shape: (number | string)[];
}

/** A field a group never reads: FSCM's w = relu(tanh(g · e + b)) is 0 for every example (for a categorical field: on every row of its table). */
export interface ClosedSelection {
  field: string;
  group: string;
}

/** What pruning removed from the exported model. */
export interface ExportPruning extends PruneReport {
  /** Fields whose embedding nothing reads any more, removed with their tables and preprocessing (spec order). */
  fields: string[];
  /** FSCM selections found closed: the group reads the field as 0 for every example, so pruning cuts it wherever the readers allow (group order, then field order). */
  selections: ClosedSelection[];
}

/** What an export produced and what it did. */
export interface ExportResult {
  /** The .onnx bytes. */
  bytes: Uint8Array;
  /** The IR graph the bytes were emitted from (for tests and golden forms). */
  graph: Graph;
  /** The model's inputs: without those of fields pruning removed (see `pruned.inputs`). */
  inputs: ExportedInput[];
  outputs: ExportedOutput[];
  /** Numbers held as initializers: dense weights and embedding tables. */
  params: number;
  /** L0 gates folded into constants, and how many of them are exactly 0 (closed). */
  gates: { total: number; closed: number };
  /** What pruning removed (absent with prune: false). */
  pruned?: ExportPruning;
}

/** The largest finite float32: standardized values are clamped to it, as the runtime does. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Why a field cannot be exported, or undefined when it can. */
function unexportable(field: Field, state: FieldState | undefined): string | undefined {
  if (state?.kind !== field.kind) return `the preprocessing has no ${field.kind} state for field "${field.name}"; was it fitted for another spec?`;
  if (state.kind !== "numeric" && state.vocab.kind === "hash" && state.vocab.hash !== "murmur3-32-utf8") {
    return `field "${field.name}" was hashed with ${state.vocab.hash}, not murmur3-32-utf8 (the hash of runs trained before mssmc hashed with MurmurHash3); no ONNX op computes it, so the exported model could not place unseen values in their buckets. Train the run again to export it`;
  }
  return undefined;
}

/** Refuses a model the export cannot reproduce exactly, with every reason at once. */
function checkExportable(model: TrainedModel): void {
  const spec = model.manifest.spec;
  const problems: string[] = [];
  for (const f of spec.fields) {
    const why = unexportable(f, model.preprocessing.fields[f.name]);
    if (why) problems.push(why);
  }
  // One input per column, so a column has one element type, and a token list is read by one field.
  const kinds = new Map<string, Field>();
  for (const f of spec.fields) {
    const other = kinds.get(f.column);
    if (other && (other.kind === "numeric") !== (f.kind === "numeric")) {
      problems.push(`column "${f.column}" is read as ${other.kind} by field "${other.name}" and as ${f.kind} by field "${f.name}"; an exported input has one element type`);
    } else if (other && (other.kind === "multi_hot" || f.kind === "multi_hot")) {
      problems.push(`column "${f.column}" is read by fields "${other.name}" and "${f.name}", and ${other.kind === "multi_hot" ? `"${other.name}"` : `"${f.name}"`} is multi_hot; an exported multi_hot input is that field's token list, so no other field may read its column`);
    }
    if (!other) kinds.set(f.column, f);
  }
  for (const t of spec.tasks) if (kinds.has(t.name)) problems.push(`task "${t.name}" has the name of an input column; the exported model names its outputs after tasks and its inputs after columns`);
  if (problems.length) throw new UserError(`cannot export model ${spec.model}:\n  ${problems.join("\n  ")}`, "export-unsupported");
}

/** The trained values of a param, checked against its declared size. */
function paramData(model: TrainedModel, name: string, size: number): Float32Array {
  const data = model.params.get(name);
  if (!data || data.length !== size) {
    throw new UserError(`the trained model has ${data ? `${data.length} values` : "no values"} for param ${name}, which needs ${size}; it does not match its manifest`, "export-model-mismatch");
  }
  return data;
}

/** Deterministic hard-concrete gates in float32 steps, as HardConcreteGate computes them: z = min(1, max(0, σ(log α)(ζ − γ) + γ)). */
export function foldGate(logAlpha: Float32Array, gamma: number, zeta: number): Float32Array {
  const f = Math.fround;
  const width = f(f(zeta) - f(gamma));
  return logAlpha.map((a) => {
    const s = f(1 / (1 + Math.exp(-a)));
    return Math.min(1, Math.max(0, f(f(s * width) + f(gamma))));
  });
}

/** The id of each vocabulary value as LabelEncoder keys; missing markers stay unknown (id 0), as the runtime reads them. */
function lookupTable(vocab: Extract<Vocab, { kind: "values" }>): { keys: string[]; values: number[] } {
  const keys: string[] = [];
  const values: number[] = [];
  vocab.values.forEach((v, i) => {
    if (isMissing(v)) return;
    keys.push(v);
    values.push(i + 1);
  });
  // onnxruntime rejects a LabelEncoder without keys; "" is missing, so it maps to 0 anyway.
  if (keys.length === 0) return { keys: [""], values: [0] };
  return { keys, values };
}

/** The symbolic token count of a multi_hot column's input. */
export function tokensDim(column: string): string {
  return `tokens_${column}`;
}

/**
 * A multi_hot field's pooling weights, [batch, tokens], as runtime/data/batches.ts makes them:
 * 0 for a missing token ("", "?", padding), else 1 (sum) or 1 / the row's count of tokens that are
 * not missing (mean); a row without any gives 0 everywhere.
 */
function poolingWeights(b: Builder, tokens: Value, pooling: "sum" | "mean"): Value {
  const missing = b.node("LabelEncoder", [tokens], { keys: ["", "?"], values: [1, 1], defaultValue: 0 }, ["token_missing"])[0]!;
  const present = b.sub(b.constant(1, "float32"), b.cast(missing, "float32", "token_missing_f"), pooling === "sum" ? "weight" : "token_present");
  if (pooling === "sum") return present;
  const count = b.max(b.reduceSum(present, [1], true, "token_count"), b.constant(1, "float32"), "token_count_at_least_1");
  return b.div(present, count, "weight");
}

/** A categorical column's row ids (of each token, for multi_hot): a vocabulary lookup, or a hash whose missing values go to bucket 0. */
function categoryIds(b: Builder, column: Value, vocab: Vocab): Value {
  if (vocab.kind === "values") {
    const { keys, values } = lookupTable(vocab);
    return b.node("LabelEncoder", [column], { keys, values, defaultValue: 0 }, ["id"])[0]!;
  }
  invariant(vocab.hash === "murmur3-32-utf8", `hash ${vocab.hash} passed the export check`);
  const hashed = b.node("StringHash", [column], { buckets: vocab.buckets }, ["bucket"])[0]!;
  const missing = b.node("LabelEncoder", [column], { keys: ["", "?"], values: [1, 1], defaultValue: 0 }, ["missing"])[0]!;
  return b.where(b.cast(missing, "bool", "is_missing"), b.constant(0, "int64"), hashed, "id");
}

/** x -> z = clip((t(x) - mean) / std) with NaN (missing, or outside log1p's domain) -> 0, as [batch, 1]. */
function standardized(b: Builder, x: Value, stats: NumericStats): Value {
  const t = stats.transform === "log1p" ? b.log(b.add(x, b.constant(1, "float32"), "one_plus_x"), "log1p") : x;
  const z = b.div(b.sub(t, b.constant(stats.mean, "float32"), "centered"), b.constant(stats.std, "float32"), "scaled");
  const clamped = b.clip(z, -FLOAT32_MAX, FLOAT32_MAX, "clamped");
  // NaN is the one value not equal to itself.
  const present = b.equal(clamped, clamped, "present");
  return b.unsqueeze(b.where(present, clamped, b.constant(0, "float32"), "value"), [1], "column");
}

/**
 * The fields pruning removed (their embedding, `fields/<f>/embedding` in compiler/lower/inputs.ts,
 * is gone) and the FSCM selections it found closed: group j's mask (`select/<j>/mask`, one column
 * per field, compiler/lower/field-selection.ts) constant 0 in a field's column.
 */
function removedFields(spec: Spec, pruned: ReturnType<typeof pruneGraph>): { fields: string[]; selections: ClosedSelection[] } {
  const computed = new Set(pruned.graph.nodes.flatMap((n) => n.outputs.map((o) => o.name)));
  const selections = planLowering(spec).selected.flatMap((group) => {
    const mask = pruned.constantColumns(`select/${group}/mask`);
    return mask?.length === spec.fields.length ? spec.fields.filter((_f, i) => mask[i] === 0).map((f) => ({ field: f.name, group })) : [];
  });
  return { fields: spec.fields.filter((f) => !computed.has(`fields/${f.name}/embedding`)).map((f) => f.name), selections };
}

/** Exports a trained model as one self-contained inference ONNX model; throws UserError for what cannot be exported. */
export function exportModel(model: TrainedModel, options: ExportOptions = {}): ExportResult {
  checkExportable(model);
  const spec: Spec = model.manifest.spec;
  const forward = lowerSpec(spec, { mode: "eval" });
  const b = new Builder(spec.model, `${spec.model}: exported inference model (raw columns in, per-task scores out)`);
  const paramValues = new Map<string, TensorData>();

  // Raw inputs, one per column, in order of first use by a field.
  const columns = new Map<string, Value>();
  const inputs: ExportedInput[] = [];
  for (const f of spec.fields) {
    const known = inputs.find((i) => i.name === f.column);
    if (known) {
      known.fields.push(f.name);
      continue;
    }
    const dtype = f.kind === "numeric" ? "float32" : "string";
    const shape = f.kind === "multi_hot" ? [BATCH, tokensDim(f.column)] : [BATCH];
    columns.set(f.column, b.input(f.column, dtype, shape));
    inputs.push({ name: f.column, dtype, shape, fields: [f.name] });
  }

  // Preprocessing: what replaces each input of the eval graph.
  const replaced = new Map<string, Value>();
  const numeric: Value[] = [];
  for (const f of spec.fields) {
    const state = model.preprocessing.fields[f.name]!;
    const column = columns.get(f.column)!;
    if (state.kind === "numeric") {
      numeric.push(b.scope(`preprocess/${f.name}`, () => standardized(b, column, state.stats)));
      continue;
    }
    const ids = b.scope(`preprocess/${f.name}`, () => categoryIds(b, column, state.vocab));
    if (f.kind === "multi_hot") replaced.set(`emb/${f.name}/weight`, b.scope(`preprocess/${f.name}`, () => poolingWeights(b, column, f.pooling)));
    const table = model.tables.get(f.name);
    const rows = vocabRows(state.vocab);
    if (!table || table.rows !== rows || table.dim !== f.dim || table.data.length !== rows * f.dim) {
      throw new UserError(`the embedding table of field "${f.name}" is not ${rows} x ${f.dim} as its vocabulary and spec say; the trained model does not match its preprocessing`, "export-model-mismatch");
    }
    const tableName = `emb/${f.name}/table`;
    paramValues.set(tableName, table.data);
    replaced.set(`emb/${f.name}/rows`, b.param(tableName, [rows, f.dim], { kind: "zeros" }, { group: "embedding" }));
    replaced.set(`emb/${f.name}/index`, ids);
  }
  if (numeric.length) replaced.set("numeric", numeric.length === 1 ? numeric[0]! : b.concat(numeric, 1, "preprocess/numeric"));

  // Which eval values the predictions need: gate Calls become constants, so their inputs are not needed.
  const isGate = (n: Graph["nodes"][number]) => n.op === "Call" && n.attrs.function === HardConcreteGate.name;
  const live = new Set<Value>(forward.outputs);
  for (let i = forward.nodes.length - 1; i >= 0; i--) {
    const n = forward.nodes[i]!;
    if (!n.outputs.some((o) => live.has(o)) || isGate(n)) continue;
    for (const v of n.inputs) live.add(v);
  }

  // The forward, with params and constants declared on first use.
  const mapped = new Map<Value, Value>();
  const params = new Map(forward.params.map((p) => [p.value, p]));
  const constants = new Map(forward.constants.map((c) => [c.value, c]));
  const constantNumber = (v: Value): number => {
    const c = constants.get(v);
    invariant(c !== undefined && c.data.length === 1, `gate input ${v.name} is not a scalar constant`);
    return Number(c.data[0]);
  };
  const get = (v: Value): Value => {
    const known = mapped.get(v) ?? replaced.get(v.name);
    if (known) return known;
    const p = params.get(v);
    const c = constants.get(v);
    let out: Value;
    if (p) {
      const shape = p.value.shape as readonly number[];
      paramValues.set(v.name, paramData(model, v.name, sizeOf(shape)));
      out = b.at(p.doc, () => b.param(v.name, shape, p.init, { group: p.group }));
    } else {
      invariant(c !== undefined, `export: %${v.name} is neither built nor replaced`);
      out = b.constant(c.data, c.value.dtype, c.value.shape, c.value.name.split("#")[1]);
    }
    mapped.set(v, out);
    return out;
  };
  // A gate's log α: one param, or a pack of them concatenated along axis 0 (compiler/lower/gates.ts).
  const producers = new Map(forward.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const gateParams = (v: Value): Float32Array => {
    if (params.has(v)) return paramData(model, v.name, sizeOf(v.shape as readonly number[]));
    const pack = producers.get(v);
    invariant(pack?.op === "Concat" && pack.attrs.axis === 0 && pack.inputs.every((p) => params.has(p)), `export: the log α %${v.name} is neither a param nor a pack of params`);
    const data = new Float32Array(sizeOf(v.shape as readonly number[]));
    let at = 0;
    for (const p of pack.inputs) {
      const part = paramData(model, p.name, sizeOf(p.shape as readonly number[]));
      data.set(part, at);
      at += part.length;
    }
    return data;
  };
  let gates = 0;
  let closed = 0;
  for (const n of forward.nodes) {
    if (!n.outputs.some((o) => live.has(o))) continue;
    b.at(n.doc, () => {
      const names = n.outputs.map((o) => o.name);
      if (isGate(n)) {
        const [logAlpha, gamma, zeta] = n.inputs as [Value, Value, Value];
        const shape = logAlpha.shape as readonly number[];
        const z = foldGate(gateParams(logAlpha), constantNumber(gamma), constantNumber(zeta));
        gates += z.length;
        closed += z.filter((v) => v === 0).length;
        mapped.set(n.outputs[0]!, b.constant(z, "float32", shape, names[0]));
        return;
      }
      invariant(n.op !== "Call", `export: no folding for function ${n.op === "Call" ? n.attrs.function : ""}`);
      const outs = b.node(n.op as PrimitiveOpKind, n.inputs.map(get), n.attrs as never, names);
      n.outputs.forEach((o, i) => mapped.set(o, outs[i]!));
    });
  }

  const outputs: ExportedOutput[] = spec.tasks.map((t) => {
    const pred = forward.outputs.find((o) => o.name === predictionName(t.name));
    invariant(pred !== undefined, `the eval graph has no prediction for task ${t.name}`);
    const out = b.output(get(pred), t.name);
    return { name: t.name, kind: t.kind, shape: [...out.shape] };
  });
  const unpruned = b.finish();
  const pruned = options.prune ?? true ? pruneGraph(unpruned, paramValues) : undefined;
  const graph = pruned?.graph ?? unpruned;
  const bytes = emitModel(graph, { opset: options.opset ?? DEFAULT_OPSET, params: "initializers", paramValues });
  const removed = new Set(pruned?.report.inputs ?? []);
  return {
    bytes,
    graph,
    inputs: inputs.filter((i) => !removed.has(i.name)),
    outputs,
    params: graph.params.reduce((a, p) => a + sizeOf(p.value.shape as readonly number[]), 0),
    gates: { total: gates, closed },
    ...(pruned ? { pruned: { ...pruned.report, ...removedFields(spec, pruned) } } : {}),
  };
}
