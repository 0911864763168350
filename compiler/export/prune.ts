// Pruning of an exported graph: what the folded L0 gates close is removed, keeping every
// prediction equal (docs/design.md, "Export and pruning").
//
// 1. Cut blocks (blocks/): fold what is known, so that a cssm layer's W ⊙ mask(z) becomes one
//    gated weight whose closed cells and blocks are exactly 0; then a layer's input block whose
//    rows of W are all 0 leaves the layer, and a closed term of a gated sum leaves the sum.
// 2. Cut units (units/): a layer's output unit that is the same for every example leaves the
//    layer, its value going into the biases of the layers that read it; so do units nothing
//    reads, and the columns of a field that FSCM never lets a group read.
// 3. Sweep: what no output needs any more goes.

import type { Graph } from "../ir/graph.js";
import { sizeOf } from "../ir/ops.js";
import type { TensorData } from "../ir/tensor.js";
import { cutBlocks } from "./blocks/cut-blocks.js";
import { sweep } from "./sweep.js";
import { pruneUnits, type UnitPruning } from "./units/prune-units.js";

/** What pruning removed. */
export interface PruneReport {
  /** Initializer numbers (weights, tables) before and after. */
  params: { before: number; after: number };
  nodes: { before: number; after: number };
  /** Sources cut because closed gates zeroed them: a layer's input block, or a term of a gated sum. */
  blocks: number;
  /** Output units (columns of a learned weight) removed from layers: constant for every example, or read by nothing. */
  units: number;
  /** Graph inputs nothing reads any more, removed from the model (in input order). */
  inputs: string[];
}

/** A pruned graph, what was removed, and which columns of its values were found constant. */
export interface Pruned {
  graph: Graph;
  report: PruneReport;
  /** The columns of a value (by name) that are the same for every example: their value, or undefined. */
  constantColumns: UnitPruning["constantColumns"];
}

/** The initializer numbers of a graph. */
export const paramNumbers = (g: Graph): number => g.params.reduce((a, p) => a + sizeOf(p.value.shape as readonly number[]), 0);

/** Removes what the folded gates close; `values` (param values by name) is updated in place. */
export function pruneGraph(graph: Graph, values: Map<string, TensorData>): Pruned {
  const cut = cutBlocks(graph, values);
  const narrowed = pruneUnits(cut.graph, values);
  const swept = sweep(narrowed.graph, values);
  const inputs = new Set(swept.inputs.map((v) => v.name));
  return {
    graph: swept,
    constantColumns: narrowed.constantColumns,
    report: {
      params: { before: paramNumbers(graph), after: paramNumbers(swept) },
      nodes: { before: graph.nodes.length, after: swept.nodes.length },
      blocks: cut.blocks,
      units: narrowed.units,
      inputs: graph.inputs.filter((v) => !inputs.has(v.name)).map((v) => v.name),
    },
  };
}
