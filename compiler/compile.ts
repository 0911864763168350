// A checked spec -> the compiled artifact (docs/design.md, "The compiled artifact"): manifest.json,
// train.onnx, eval.onnx.
// Everything here is a pure function of the spec and the options, so the same spec gives
// byte-identical files.

import { createHash } from "node:crypto";
import { ARTIFACT_FORMAT, noiseInput, tableIndexInput, tableRowsInput, tableWeightInput, type Manifest, trainedGroup } from "./artifact.js";
import { eliminateCommonSubexpressions } from "./ir/cse.js";
import type { Graph } from "./ir/graph.js";
import { HardConcreteSample } from "./ir/hard-concrete.js";
import { inlineCalls } from "./ir/inline.js";
import { mergeGateSamples } from "./ir/merge-gate-samples.js";
import { mergeSiblingMatMuls } from "./ir/merge-matmuls.js";
import { lowerSpec } from "./lower/lower-spec.js";
import type { Locate } from "./lower/context.js";
import { planLowering } from "./lower/plan.js";
import { summarizeGraph } from "./lower/summary.js";
import { DEFAULT_OPSET, emitModel, IR_VERSION_FOR_OPSET } from "./onnx/emit.js";
import { narrowWideNodes } from "./onnx/narrow-wide-nodes.js";
import { TARGETS, type TargetName } from "./onnx/target.js";
import { compilerVersion } from "../base/package-root.js";
import { canonicalOrder } from "./load/canonical-order.js";
import type { Spec } from "./load/types.js";
import { buildTrainStep, type TrainStep } from "./train-step.js";
import { tensorInfo } from "./tensor-info.js";

/** The compiled artifact in memory. */
export interface Artifact {
  manifest: Manifest;
  files: { "manifest.json": string; "train.onnx": Uint8Array; "eval.onnx": Uint8Array };
  /** The graphs, for tests and golden text forms. */
  train: Graph;
  eval: Graph;
}

export interface CompileOptions {
  opset?: number;
  locate?: Locate;
  /** The device the graphs will run on; its limits shape the emitted nodes (default "cpu", which has none). */
  target?: TargetName;
  /**
   * Tasks whose training data has rows without a label: their loss takes row weights (0 for those
   * rows). Without any, and without sample weights, the training step is what the spec alone gives.
   */
  partialLabels?: readonly string[];
}

/** The tasks whose training loss takes row weights: those with partial labels (from the data) or a sample weight column (from the spec). */
export function lossRowWeights(spec: Spec, partialLabels: readonly string[] = []): Set<string> {
  const partial = new Set(partialLabels);
  return new Set(spec.tasks.filter((t) => partial.has(t.name) || t.sample_weight !== undefined).map((t) => t.name));
}

/** The canonical hash of a spec: equal specs, equal hashes, whatever their source text. */
export function specHash(spec: Spec): string {
  return "sha256:" + createHash("sha256").update(JSON.stringify(canonicalOrder(spec))).digest("hex");
}

/**
 * The graph as it is emitted: repeated computations merged (lowering builds each consumer's input
 * on its own; autodiff rebuilds shared scalars per gate). The forward graph is optimized before
 * autodiff, so the backward pass differentiates the smaller graph; the summary describes the
 * model as lowered.
 */
function optimizeGraph(graph: Graph): Graph {
  return eliminateCommonSubexpressions(graph);
}

/**
 * The forward graph the training step differentiates, from a train-mode lowering: sampled gates
 * merged into one call and inlined, repeated computations merged, and sibling matmuls (experts reading one input) run as one
 * GEMM. eval.onnx keeps one matmul per layer, which is what export's pruning cuts blocks of.
 */
export function trainingForward(forward: Graph): Graph {
  return mergeSiblingMatMuls(optimizeGraph(inlineCalls(mergeGateSamples(forward), new Set([HardConcreteSample.name]))));
}

/** The training step of a training forward (trainingForward's result) as emitted: its graph, bytes, inputs and outputs. */
export function emittedTrainStep(forward: Graph, spec: Spec, options: Pick<CompileOptions, "opset" | "target"> = {}): TrainStep & { bytes: Uint8Array } {
  const built = buildTrainStep(forward, { train: spec.train });
  const graph = narrowWideNodes(optimizeGraph(built.graph), TARGETS[options.target ?? "cpu"]);
  return { ...built, graph, bytes: emitModel(graph, { opset: options.opset ?? DEFAULT_OPSET, params: "inputs" }) };
}

/**
 * The eval graph training validates with (each epoch's metrics and the field check), when it
 * computes less than eval.onnx: the same inputs and outputs, with a layer reading several groups'
 * field-selected copies multiplying their masks into its weight (docs/design.md, "Level 1 reads
 * the fields once"); the same numbers summed in another order. Undefined when nothing folds.
 */
export function validationModel(spec: Spec, options: Pick<CompileOptions, "opset" | "target"> = {}): Uint8Array | undefined {
  // Sibling matmuls (the experts reading the one E) merged as in the training step.
  const folded = mergeSiblingMatMuls(optimizeGraph(lowerSpec(spec, { mode: "eval", foldFieldCopies: true })));
  if (summarizeGraph(folded).macsPerExample >= summarizeGraph(lowerSpec(spec, { mode: "eval" })).macsPerExample) return undefined;
  return emitModel(narrowWideNodes(folded, TARGETS[options.target ?? "cpu"]), { opset: options.opset ?? DEFAULT_OPSET, params: "inputs" });
}

/** Compiles a checked, normalized spec into the artifact. */
export function compileSpec(spec: Spec, options: CompileOptions = {}): Artifact {
  const opset = options.opset ?? DEFAULT_OPSET;
  const lowerOptions = options.locate ? { locate: options.locate } : {};
  const forward = lowerSpec(spec, { mode: "train", rowWeights: lossRowWeights(spec, options.partialLabels), ...lowerOptions });
  const evalGraph = optimizeGraph(lowerSpec(spec, { mode: "eval", ...lowerOptions }));
  // The training step inlines the sampled gates: a Call's backward must recompute the body values
  // its rules read (about ten per gate group), while inlined the backward reads the forward's own.
  // eval.onnx keeps every gate an ai.mssm function, visible in Netron.
  const step = emittedTrainStep(trainingForward(forward), spec, options);
  const plan = planLowering(spec);

  const target = TARGETS[options.target ?? "cpu"];
  const trainGraph = step.graph;
  const evalEmitted = narrowWideNodes(evalGraph, target);
  const trainBytes = step.bytes;
  const evalBytes = emitModel(evalEmitted, { opset, params: "inputs" });

  const manifest: Manifest = {
    format: ARTIFACT_FORMAT,
    compiler: `mssmc ${compilerVersion()}`,
    spec_hash: specHash(spec),
    opset,
    ir_version: IR_VERSION_FOR_OPSET[opset]!,
    spec,
    params: forward.params.map((p) => ({ name: p.value.name, shape: [...(p.value.shape as readonly number[])], dtype: p.value.dtype, group: trainedGroup(p.group), init: p.init, doc: p.doc })),
    tables: spec.fields
      .filter((f) => f.kind !== "numeric")
      .map((f) => {
        const t: Manifest["tables"][number] = { field: f.name, dim: f.dim, rows: tableRowsInput(f.name), index: tableIndexInput(f.name) };
        if (f.kind === "multi_hot") t.weight = tableWeightInput(f.name);
        return t;
      }),
    gate_groups: plan.gateGroups.map((g) => ({ name: g.name, shape: [...g.shape], noise: noiseInput(g.name) })),
    graphs: {
      train: { file: "train.onnx", inputs: [...step.inputs], outputs: [...step.outputs] },
      eval: {
        file: "eval.onnx",
        inputs: [...evalGraph.inputs.map((v) => tensorInfo(v, "data")), ...evalGraph.params.map((p) => tensorInfo(p.value, "param", { group: trainedGroup(p.group) }))],
        outputs: evalGraph.outputs.map((v) => tensorInfo(v, "output")),
      },
    },
    // The model as eval.onnx computes it; a training step may compute less (stepMacsPerExample).
    summary: summarizeGraph(evalGraph),
  };
  return {
    manifest,
    files: { "manifest.json": JSON.stringify(manifest, null, 2) + "\n", "train.onnx": trainBytes, "eval.onnx": evalBytes },
    train: trainGraph,
    eval: evalEmitted,
  };
}


