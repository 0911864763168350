// What a lowered model costs, for the bench and the manifest, read off the graph itself.

import type { Graph, Value } from "../ir/graph.js";
import { BATCH, sizeOf } from "../ir/ops.js";
import { LOG_ALPHA } from "./gates.js";

/** Sizes of a lowered model (embedding tables, which live in the runtime, excluded). */
export interface ModelSummary {
  /** Trainable numbers in the graph. */
  readonly params: number;
  /** Trainable numbers per param group ("dense", "gate"), groups sorted by name. */
  readonly paramsByGroup: Readonly<Record<string, number>>;
  /** Param tensors. */
  readonly paramTensors: number;
  /** L0 gates: the elements of every log α. */
  readonly gates: number;
  /** L0 gate tensors (each has its own noise input in training). */
  readonly gateGroups: number;
  /** Multiply-adds per example of the matmuls that run per example (weights and FSCM). */
  readonly macsPerExample: number;
  readonly nodes: number;
}

const count = (v: Value) => sizeOf(v.shape as readonly number[]);

/** The summary of a graph made by lowerSpec (either mode). */
export function summarizeGraph(graph: Graph): ModelSummary {
  const byGroup: Record<string, number> = {};
  for (const p of [...graph.params].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0))) byGroup[p.group] = (byGroup[p.group] ?? 0) + count(p.value);
  // A gate group is one log α param (gates read them packed, compiler/lower/gates.ts).
  const logAlphas = graph.params.filter((p) => p.group === "gate" && p.value.name.endsWith(`/${LOG_ALPHA}`)).map((p) => p.value);
  let macs = 0;
  for (const n of graph.nodes) {
    if (n.op !== "MatMul" || n.inputs[0]!.shape[0] !== BATCH) continue;
    // [batch, k] x [k, n]: k multiply-adds per output element.
    const perExample = sizeOf(n.outputs[0]!.shape.slice(1) as readonly number[]);
    macs += perExample * (n.inputs[0]!.shape[n.inputs[0]!.shape.length - 1] as number);
  }
  return {
    params: graph.params.reduce((a, p) => a + count(p.value), 0),
    paramsByGroup: byGroup,
    paramTensors: graph.params.length,
    gates: logAlphas.reduce((a, v) => a + count(v), 0),
    gateGroups: logAlphas.length,
    macsPerExample: macs,
    nodes: graph.nodes.length,
  };
}
