// A checked spec -> the compiled artifact of DESIGN §4: manifest.json, train.onnx, eval.onnx.
// Everything here is a pure function of the spec and the options, so the same spec gives
// byte-identical files.

import { createHash } from "node:crypto";
import { eliminateCommonSubexpressions } from "./ir/cse.js";
import type { Graph, Value } from "./ir/graph.js";
import { HardConcreteSample } from "./ir/hard-concrete.js";
import { inlineCalls } from "./ir/inline.js";
import { mergeGateSamples } from "./ir/merge-gate-samples.js";
import { mergeSiblingMatMuls } from "./ir/merge-matmuls.js";
import type { Init } from "./ir/init.js";
import type { DType, Shape } from "./ir/ops.js";
import { lowerSpec } from "./lower/lower-spec.js";
import type { Locate } from "./lower/context.js";
import { planLowering } from "./lower/plan.js";
import { summarizeGraph, type ModelSummary } from "./lower/summary.js";
import { DEFAULT_OPSET, emitModel, IR_VERSION_FOR_OPSET } from "./onnx/emit.js";
import { compilerVersion } from "../base/package-root.js";
import { canonicalOrder } from "./load/canonical-order.js";
import type { Spec } from "./load/types.js";
import { buildTrainStep, type TrainStepTensor } from "./train-step.js";

/** Version of the artifact layout; the runtime refuses others. */
export const ARTIFACT_FORMAT = 1;

/** One input or output of a compiled graph. */
export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: Shape;
  role: string;
  group?: string;
  of?: string;
  state?: string;
  init?: number;
  /**
   * A packed input or its next value (compiler/train-step.ts): the params (`optim/<group>/params`,
   * name = of = the param) or the params' states (`optim/<group>/<state>`) it holds, end to end.
   */
  members?: { name: string; of: string; size: number }[];
}

/** A trainable tensor of the model and how to draw its initial value. */
export interface ParamInfo {
  name: string;
  shape: number[];
  dtype: DType;
  group: string;
  init: Init;
  /** The spec location it came from. */
  doc: string;
}

/** The manifest: everything the runtime needs to feed, train and export the graphs. */
export interface Manifest {
  format: typeof ARTIFACT_FORMAT;
  compiler: string;
  /** sha256 of the canonical JSON of the checked spec. */
  spec_hash: string;
  opset: number;
  ir_version: number;
  /** The checked spec, every default filled: fields, tasks and label rules, training settings. */
  spec: Spec;
  params: ParamInfo[];
  /** One embedding table per categorical or multi_hot field, fed as gathered rows. */
  tables: { field: string; dim: number; rows: string; index: string; weight?: string }[];
  gate_groups: { name: string; shape: number[]; noise: string }[];
  graphs: {
    train: { file: string; inputs: TensorInfo[]; outputs: TensorInfo[] };
    eval: { file: string; inputs: TensorInfo[]; outputs: TensorInfo[] };
  };
  summary: ModelSummary;
}

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
}

/** The canonical hash of a spec: equal specs, equal hashes, whatever their source text. */
export function specHash(spec: Spec): string {
  return "sha256:" + createHash("sha256").update(JSON.stringify(canonicalOrder(spec))).digest("hex");
}

const info = (t: TrainStepTensor): TensorInfo => {
  const out: TensorInfo = { name: t.name, dtype: t.dtype, shape: [...t.shape], role: t.role };
  if (t.group !== undefined) out.group = t.group;
  if (t.of !== undefined) out.of = t.of;
  if (t.state !== undefined) out.state = t.state;
  if (t.init !== undefined) out.init = t.init;
  if (t.members !== undefined) out.members = t.members.map((m) => ({ ...m }));
  return out;
};

const valueInfo = (v: Value, role: string): TensorInfo => ({ name: v.name, dtype: v.dtype, shape: [...v.shape], role });

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

/** Compiles a checked, normalized spec into the artifact. */
export function compileSpec(spec: Spec, options: CompileOptions = {}): Artifact {
  const opset = options.opset ?? DEFAULT_OPSET;
  const lowerOptions = options.locate ? { locate: options.locate } : {};
  const forward = lowerSpec(spec, { mode: "train", ...lowerOptions });
  const evalGraph = optimizeGraph(lowerSpec(spec, { mode: "eval", ...lowerOptions }));
  // The training step inlines the sampled gates: a Call's backward must recompute the body values
  // its rules read (about ten per gate group), while inlined the backward reads the forward's own.
  // eval.onnx keeps every gate an ai.mssm function, visible in Netron.
  const built = buildTrainStep(trainingForward(forward), { train: spec.train });
  const step = { ...built, graph: optimizeGraph(built.graph) };
  const plan = planLowering(spec);

  const trainBytes = emitModel(step.graph, { opset, params: "inputs" });
  const evalBytes = emitModel(evalGraph, { opset, params: "inputs" });

  const manifest: Manifest = {
    format: ARTIFACT_FORMAT,
    compiler: `mssmc ${compilerVersion()}`,
    spec_hash: specHash(spec),
    opset,
    ir_version: IR_VERSION_FOR_OPSET[opset]!,
    spec,
    params: forward.params.map((p) => ({ name: p.value.name, shape: [...(p.value.shape as readonly number[])], dtype: p.value.dtype, group: p.group, init: p.init, doc: p.doc })),
    tables: spec.fields
      .filter((f) => f.kind !== "numeric")
      .map((f) => {
        const t: Manifest["tables"][number] = { field: f.name, dim: f.dim, rows: `emb/${f.name}/rows`, index: `emb/${f.name}/index` };
        if (f.kind === "multi_hot") t.weight = `emb/${f.name}/weight`;
        return t;
      }),
    gate_groups: plan.gateGroups.map((g) => ({ name: g.name, shape: [...g.shape], noise: `noise/${g.name}` })),
    graphs: {
      train: { file: "train.onnx", inputs: step.inputs.map(info), outputs: step.outputs.map(info) },
      eval: {
        file: "eval.onnx",
        inputs: [...evalGraph.inputs.map((v) => valueInfo(v, "data")), ...evalGraph.params.map((p) => ({ ...valueInfo(p.value, "param"), group: p.group }))],
        outputs: evalGraph.outputs.map((v) => valueInfo(v, "output")),
      },
    },
    summary: summarizeGraph(forward),
  };
  return {
    manifest,
    files: { "manifest.json": JSON.stringify(manifest, null, 2) + "\n", "train.onnx": trainBytes, "eval.onnx": evalBytes },
    train: step.graph,
    eval: evalGraph,
  };
}


