// Export as one compiler pass: a trained model's inference graph (inference-graph.ts), pruned
// unless told not to (prune.ts), emitted as ONNX with the trained values as initializers; plus
// what the pruning removed in the model's own terms: fields and closed FSCM selections.

import { fieldEmbeddingValue, selectionMaskValue, selectionOutputValue } from "../artifact.js";
import type { Graph } from "../ir/graph.js";
import { selectForm, type Spec } from "../load/types.js";
import { planLowering } from "../lower/plan.js";
import { summarizeGraph } from "../lower/summary.js";
import { DEFAULT_OPSET, emitModel } from "../onnx/emit.js";
import { buildInferenceGraph, type ExportedInput, type ExportedOutput, type TrainedWeights } from "./inference-graph.js";
import type { ExportPreprocessing } from "./preprocessing.js";
import { paramNumbers, pruneGraph, type PruneReport, type Pruned } from "./prune.js";

/** How to export. */
export interface ExportOptions {
  /** Opset of the default ONNX domain (default 17). */
  opset?: number;
  /** Remove what the folded gates close; default true. */
  prune?: boolean;
}

/** A field a group never reads: its FSCM mask is 0 for every example (a closed field gate; for a tanh mask of a categorical field: on every row of its table). */
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
  /** Multiply-adds per example of the model's matmuls. */
  macsPerExample: number;
  /** L0 gates folded into constants, and how many of them are exactly 0 (closed). */
  gates: { total: number; closed: number };
  /** What pruning removed (absent with prune: false). */
  pruned?: ExportPruning;
}

/**
 * The fields pruning removed (their embedding is gone) and the FSCM selections it found closed:
 * group j's mask (one column per field) constant 0 in a field's column.
 */
function removedFields(spec: Spec, pruned: Pruned): { fields: string[]; selections: ClosedSelection[] } {
  const computed = new Set(pruned.graph.nodes.flatMap((n) => n.outputs.map((o) => o.name)));
  // A field gate (forms l0 and l0_tanh) is not a [batch, fields] mask: its field is closed when
  // every column the group reads of it is 0.
  const form = selectForm(spec);
  const gated = form === "l0" || form === "l0_tanh";
  const columnsClosed = (group: string, field: number): boolean => {
    const out = pruned.constantColumns(selectionOutputValue(group));
    const from = spec.fields.slice(0, field).reduce((a, f) => a + f.dim, 0);
    return out !== undefined && out.slice(from, from + spec.fields[field]!.dim).every((v) => v === 0);
  };
  const selections = planLowering(spec).selected.flatMap((group) => {
    if (gated) return spec.fields.filter((_f, i) => columnsClosed(group, i)).map((f) => ({ field: f.name, group }));
    const mask = pruned.constantColumns(selectionMaskValue(group));
    return mask?.length === spec.fields.length ? spec.fields.filter((_f, i) => mask[i] === 0).map((f) => ({ field: f.name, group })) : [];
  });
  return { fields: spec.fields.filter((f) => !computed.has(fieldEmbeddingValue(f.name))).map((f) => f.name), selections };
}

/** Exports a trained model as one self-contained inference ONNX model; throws UserError when the weights do not match the spec. */
export function exportInferenceModel(spec: Spec, weights: TrainedWeights, preprocessing: ExportPreprocessing, options: ExportOptions = {}): ExportResult {
  const built = buildInferenceGraph(spec, weights, preprocessing);
  const pruned = options.prune ?? true ? pruneGraph(built.graph, built.values) : undefined;
  const graph = pruned?.graph ?? built.graph;
  const bytes = emitModel(graph, { opset: options.opset ?? DEFAULT_OPSET, params: "initializers", paramValues: built.values });
  const removed = new Set(pruned?.report.inputs ?? []);
  return {
    bytes,
    graph,
    inputs: built.inputs.filter((i) => !removed.has(i.name)),
    outputs: built.outputs,
    params: paramNumbers(graph),
    macsPerExample: summarizeGraph(graph).macsPerExample,
    gates: built.gates,
    ...(pruned ? { pruned: { ...pruned.report, ...removedFields(spec, pruned) } } : {}),
  };
}
