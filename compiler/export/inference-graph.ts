// The inference graph of a trained model: raw columns in, one score per task out.
//
//   inputs   one per source column, named after it: tensor(string) [batch] for categorical fields,
//            float32 [batch] for numeric fields (NaN = missing), tensor(string) [batch, tokens] for
//            multi_hot fields (each cell already split into tokens, padded with missing ones)
//   inside   the preprocessing (preprocessing.ts) in place of the eval graph's inputs, the
//            embedding tables as params, then the eval-mode forward of compiler/lower with the
//            trained params and every deterministic L0 gate folded into a constant (fold-gates.ts)
//   outputs  one per task, named after it: binary probability [batch], regression value [batch],
//            multiclass probabilities [batch, classes]

import { invariant } from "../../base/source/diagnostic.js";
import { UserError } from "../../base/user-error.js";
import { exportedTableParam, NUMERIC_INPUT, predictionOutput, tableIndexInput, tableRowsInput, tableWeightInput } from "../artifact.js";
import { copyNode, declareOnUse } from "../ir/copy.js";
import { Builder, type Graph, type Value } from "../ir/graph.js";
import { BATCH, sizeOf } from "../ir/ops.js";
import type { TensorData } from "../ir/tensor.js";
import type { Spec } from "../load/types.js";
import { lowerSpec } from "../lower/lower-spec.js";
import { gateFolder, isGateCall } from "./fold-gates.js";
import { categoryIds, poolingWeights, standardized, tableRows, type ExportPreprocessing } from "./preprocessing.js";

/** The trained values an export reads: dense and gate params by name, and each field's embedding table. */
export interface TrainedWeights {
  params: ReadonlyMap<string, Float32Array>;
  /** `rows` x `dim`, row-major; row 0 is the missing/unknown id. */
  tables: ReadonlyMap<string, { rows: number; dim: number; data: Float32Array }>;
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

/** The inference graph before pruning, with its params' values. */
export interface InferenceGraph {
  graph: Graph;
  /** Param values by name. */
  values: Map<string, TensorData>;
  inputs: ExportedInput[];
  outputs: ExportedOutput[];
  /** L0 gates folded into constants, and how many of them are exactly 0 (closed). */
  gates: { total: number; closed: number };
}

/** The symbolic token count of a multi_hot column's input. */
const tokensDim = (column: string): string => `tokens_${column}`;

/** The trained values of a param, checked against its declared size. */
function paramData(weights: TrainedWeights, name: string, size: number): Float32Array {
  const data = weights.params.get(name);
  if (!data || data.length !== size) {
    throw new UserError(`the trained model has ${data ? `${data.length} values` : "no values"} for param ${name}, which needs ${size}; it does not match its manifest`, "export-model-mismatch");
  }
  return data;
}

/** Declares one input per column, in order of first use by a field. */
function declareColumns(b: Builder, spec: Spec): { columns: Map<string, Value>; inputs: ExportedInput[] } {
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
  return { columns, inputs };
}

/** The preprocessing of every field: what replaces each input of the eval graph, by name; the tables' values go into `values`. */
function preprocess(b: Builder, spec: Spec, columns: ReadonlyMap<string, Value>, weights: TrainedWeights, p: ExportPreprocessing, values: Map<string, TensorData>): Map<string, Value> {
  const replaced = new Map<string, Value>();
  const numeric: Value[] = [];
  for (const f of spec.fields) {
    const state = p.fields[f.name]!;
    const column = columns.get(f.column)!;
    if (state.kind === "numeric") {
      numeric.push(b.scope(`preprocess/${f.name}`, () => standardized(b, column, state)));
      continue;
    }
    const ids = b.scope(`preprocess/${f.name}`, () => categoryIds(b, column, state, p.missing));
    if (f.kind === "multi_hot") replaced.set(tableWeightInput(f.name), b.scope(`preprocess/${f.name}`, () => poolingWeights(b, column, f.pooling, p.missing)));
    const table = weights.tables.get(f.name);
    const rows = tableRows(state);
    if (!table || table.rows !== rows || table.dim !== f.dim || table.data.length !== rows * f.dim) {
      throw new UserError(`the embedding table of field "${f.name}" is not ${rows} x ${f.dim} as its vocabulary and spec say; the trained model does not match its preprocessing`, "export-model-mismatch");
    }
    values.set(exportedTableParam(f.name), table.data);
    replaced.set(tableRowsInput(f.name), b.param(exportedTableParam(f.name), [rows, f.dim], { kind: "zeros" }, { group: "embedding" }));
    replaced.set(tableIndexInput(f.name), ids);
  }
  if (numeric.length) replaced.set(NUMERIC_INPUT, numeric.length === 1 ? numeric[0]! : b.concat(numeric, 1, "preprocess/numeric"));
  return replaced;
}

/** Builds the inference graph of a trained model (see the header); throws UserError when the weights do not match the spec. */
export function buildInferenceGraph(spec: Spec, weights: TrainedWeights, preprocessing: ExportPreprocessing): InferenceGraph {
  const forward = lowerSpec(spec, { mode: "eval" });
  const b = new Builder(spec.model, `${spec.model}: exported inference model (raw columns in, per-task scores out)`);
  const values = new Map<string, TensorData>();
  const { columns, inputs } = declareColumns(b, spec);
  const replaced = preprocess(b, spec, columns, weights, preprocessing, values);

  // Which eval values the predictions need: gate Calls become constants, so their inputs are not needed.
  const live = new Set<Value>(forward.outputs);
  for (let i = forward.nodes.length - 1; i >= 0; i--) {
    const n = forward.nodes[i]!;
    if (!n.outputs.some((o) => live.has(o)) || isGateCall(n)) continue;
    for (const v of n.inputs) live.add(v);
  }

  // The forward, its inputs replaced by the preprocessing, params and constants declared on first use.
  const mapped = new Map<Value, Value>();
  for (const v of forward.inputs) {
    const by = replaced.get(v.name);
    if (by) mapped.set(v, by);
  }
  const get = declareOnUse(b, forward, mapped);
  const trained = (v: Value) => paramData(weights, v.name, sizeOf(v.shape as readonly number[]));
  const fold = gateFolder(forward, trained);
  const gates = { total: 0, closed: 0 };
  for (const n of forward.nodes) {
    if (!n.outputs.some((o) => live.has(o))) continue;
    if (!isGateCall(n)) {
      invariant(n.op !== "Call", `export: no folding for function ${n.op === "Call" ? n.attrs.function : ""}`);
      copyNode(b, forward, n, mapped, get);
      continue;
    }
    const z = fold(n);
    gates.total += z.length;
    gates.closed += z.filter((v) => v === 0).length;
    const out = n.outputs[0]!;
    mapped.set(out, b.at(n.doc, () => b.constant(z, "float32", n.inputs[0]!.shape, out.name)));
  }

  const outputs: ExportedOutput[] = spec.tasks.map((t) => {
    const pred = forward.outputs.find((o) => o.name === predictionOutput(t.name));
    invariant(pred !== undefined, `the eval graph has no prediction for task ${t.name}`);
    const out = b.output(get(pred), t.name);
    return { name: t.name, kind: t.kind, shape: [...out.shape] };
  });
  const graph = b.finish();
  for (const p of graph.params) if (!values.has(p.value.name)) values.set(p.value.name, trained(p.value));
  return { graph, values, inputs, outputs, gates };
}
