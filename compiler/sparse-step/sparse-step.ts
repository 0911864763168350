// The training step for what frozen gates leave open (docs/design.md, "The training step"): the
// spec's train-mode forward cut by cut-frozen.ts, then the full step's passes (trainingForward,
// autodiff, packing, emission). Its inputs and outputs are the full step's, by name (params,
// optimizer state, noise, rows, data); only the packing of params into `optim/<group>/…` may
// differ (sibling matmuls cut differently are no longer merged), which each input's `members` says.

import type { Manifest, TensorInfo } from "../artifact.js";
import { type CompileOptions, emittedTrainStep, trainingForward } from "../compile.js";
import type { Spec } from "../load/types.js";
import { lowerSpec } from "../lower/lower-spec.js";
import { summarizeGraph } from "../lower/summary.js";
import type { FrozenNoise } from "./closed-weights.js";
import { type CutReport, cutFrozen } from "./cut-frozen.js";
import type { Graph } from "../ir/graph.js";
import { type ParamSlice, sliceParams } from "./slice-params.js";

/** A forward cut for a frozen set: equal keys, equal steps. */
export interface CutForward {
  readonly forward: Graph;
  readonly report: CutReport;
  /** The rows and columns each cut matmul keeps, as text; "" when nothing is cut (the full step runs). */
  readonly key: string;
  /** Multiply-adds per example of the cut forward. */
  readonly macsPerExample: number;
}

/** The compiled smaller step. */
export interface SparseStep {
  readonly key: string;
  readonly bytes: Uint8Array;
  /** The manifest's `graphs.train` for this step. */
  readonly train: { file: string; inputs: TensorInfo[]; outputs: TensorInfo[] };
  readonly macsPerExample: number;
  /** The step's params that hold some entries of a model's param (slice-params.ts); the runtime carries the others. */
  readonly slices: readonly ParamSlice[];
}

/** Multiply-adds per example of the full training step's forward (the artifact's train.onnx), which may fold what eval.onnx computes in copies. */
export function stepMacsPerExample(spec: Spec): number {
  return summarizeGraph(loweredTrainForward(spec, new Set())).macsPerExample;
}

/** The train-mode forward a cut starts from, lowered once per spec and row-weighted tasks (graphs are never changed once built). */
const lowered = new WeakMap<Spec, Map<string, Graph>>();
function loweredTrainForward(spec: Spec, rowWeights: ReadonlySet<string>): Graph {
  const key = [...rowWeights].sort().join("\n");
  const bySpec = lowered.get(spec) ?? new Map<string, Graph>();
  lowered.set(spec, bySpec);
  let graph = bySpec.get(key);
  if (!graph) bySpec.set(key, (graph = lowerSpec(spec, { mode: "train", rowWeights })));
  return graph;
}

/**
 * The train-mode forward of `spec` cut to what the frozen gates (by noise input) leave open;
 * `rowWeights`: the tasks whose loss takes row weights in the full step (artifact.ts, rowWeightedTasks).
 */
export function cutForward(spec: Spec, frozen: FrozenNoise, rowWeights: ReadonlySet<string> = new Set()): CutForward {
  const { graph, report } = cutFrozen(loweredTrainForward(spec, rowWeights), frozen);
  return { forward: graph, report, key: report.matmuls.length === 0 ? "" : JSON.stringify(report.matmuls), macsPerExample: summarizeGraph(graph).macsPerExample };
}

/**
 * The smaller training step of a cut forward, its params sliced to what it reads (slice-params.ts;
 * `slice: false` keeps them whole, read by Gather: the reference the sliced step is tested against).
 */
export function sparseStep(spec: Spec, cut: CutForward, options: Pick<CompileOptions, "opset" | "target"> & { slice?: boolean } = {}): SparseStep {
  const { graph, slices } = options.slice === false ? { graph: cut.forward, slices: [] } : sliceParams(cut.forward);
  const step = emittedTrainStep(trainingForward(graph), spec, options);
  return { key: cut.key, bytes: step.bytes, train: { file: "train.onnx", inputs: [...step.inputs], outputs: [...step.outputs] }, macsPerExample: cut.macsPerExample, slices };
}

/** The manifest a step runner reads for a smaller step: the artifact's, with the step's inputs and outputs. */
export const withTrainStep = (manifest: Manifest, step: SparseStep): Manifest => ({ ...manifest, graphs: { ...manifest.graphs, train: step.train } });
