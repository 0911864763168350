// One training step as a pure function (docs/design.md, "The training step"): the forward graph,
// its backward pass and the optimizer updates in one graph. Parameters become inputs (emit with
// params: "inputs"), next to their optimizer state, the step count and one learning rate per
// group; the outputs are the forward outputs, then the next value of every parameter, state
// tensor, embedding row block and row state. The runtime feeds each `<x>/next` back as `<x>` on
// the next step; the manifest entry of each input and output (its role, group, `of`, `members`)
// says which is which.
//
// Groups: params of group "dense" use train.optimizer, "gate" train.gate_optimizer; the gathered
// embedding rows (tableRowsInput, [rows_<field>, dim]) use train.embedding_optimizer, row-wise
// (compiler/optim/rows.ts).
//
// The step is built plain (train-step/plain.ts: each tensor updated on its own), then, unless
// switched off, packed by a pass (train-step/pack.ts: fewer, larger updates and inputs, the same
// values); train-step/build.ts turns either plan into the graph.

import type { Graph } from "./ir/graph.js";
import { buildStep, type TrainStep } from "./train-step/build.js";
import { packPlan } from "./train-step/pack.js";
import { type GroupOptimizers, plainPlan } from "./train-step/plain.js";

export type { TrainStep } from "./train-step/build.js";

/** How to build the step. */
export interface TrainStepOptions {
  /** The optimizers, as in a checked spec's `train` section. */
  readonly train: GroupOptimizers;
  /** Also output d loss / d each param and rows block (`grad/<name>`) after the forward outputs. */
  readonly gradients?: boolean;
  /**
   * Run the packing pass (default true). false updates every tensor on its own: the reference the
   * packed step is tested against.
   */
  readonly packs?: boolean;
}

/** Builds the training step for a train-mode forward graph whose scalar output "loss" is minimized. */
export function buildTrainStep(forward: Graph, options: TrainStepOptions): TrainStep {
  const plain = plainPlan(forward, options.train);
  return buildStep(forward, (options.packs ?? true) ? packPlan(forward, plain) : plain, options.gradients ?? false);
}
