// The artifact contract between the compiler and everything that runs what it emits (the
// runtime, the CLI, tools reading manifest.json): the manifest's type, the names of the graphs'
// inputs and outputs, what each tensor is for (its role), and which optimizer each parameter
// group uses. The compiler writes these names and the runtime reads them only from here, so a
// rename is one edit. docs/design.md ("The compiled artifact") describes the folder.

import { invariant } from "../base/source/diagnostic.js";
import type { ParamGroup } from "./ir/graph.js";
import type { DType, Shape } from "./ir/ops.js";
import type { Init } from "./ir/init.js";
import type { ModelSummary } from "./lower/summary.js";
import type { Optimizer, Spec, Train } from "./load/types.js";

/** Version of the artifact layout; the runtime refuses others. */
export const ARTIFACT_FORMAT = 1;

// ---- parameter groups ---------------------------------------------------------------------------

/** A trained parameter group: dense weights, gate parameters, embedding rows. */
export type Group = Exclude<ParamGroup, "folded">;

/** Narrows a graph param's group to a trained one. */
export function trainedGroup(group: ParamGroup): Group {
  invariant(group !== "folded", "A folded constant is not trained.");
  return group;
}

/** The `train` setting that holds each group's optimizer. */
export const GROUP_OPTIMIZER = { dense: "optimizer", gate: "gate_optimizer", embedding: "embedding_optimizer" } as const satisfies Record<Group, keyof Train>;

/** The optimizer settings a group of parameters is trained with. */
export function optimizerOf(train: Pick<Train, "optimizer" | "gate_optimizer" | "embedding_optimizer">, group: Group): Optimizer {
  return train[GROUP_OPTIMIZER[group]];
}

// ---- roles ----------------------------------------------------------------------------------------

/**
 * What a tensor of a compiled graph is for:
 * - inputs: "data" (a forward input: features, labels, indices, gate noise), "rows" (gathered
 *   embedding rows), "param", "state" (optimizer state of a param or rows), "step" (t, 1-based),
 *   "lr" (one per group);
 * - outputs: "output" (a forward output: loss, task losses, predictions), "gradient", "next"
 *   (the next value of the input named in `of`).
 * eval.onnx uses "data", "param" and "output" only.
 */
export type Role = "data" | "rows" | "param" | "state" | "step" | "lr" | "output" | "gradient" | "next";

// ---- names ----------------------------------------------------------------------------------------

/** The scalar the training step minimizes: Σ w_k L_k + λ0 L0 + λ2 Σ ||W||². */
export const LOSS_OUTPUT = "loss";
/** The expected number of open L0 gates (the L0 term before λ0). */
export const L0_OUTPUT = "l0";
/** The training step's step count t (1-based). */
export const STEP_INPUT = "step";

/** The batch's numeric features, standardized: float32 [batch, numeric fields] in field order. */
export const NUMERIC_INPUT = "numeric";

/** A task's prediction: a probability [batch], a value [batch] or class probabilities [batch, classes]. */
export const predictionOutput = (task: string): string => `pred/${task}`;
/** A task's mean loss over the batch. */
export const taskLossOutput = (task: string): string => `loss/${task}`;
/** A task's label in train mode: float32 [batch] (one-hot [batch, classes] for multiclass). */
export const labelInput = (task: string): string => `label/${task}`;
/**
 * A task's per-row loss weight in train mode, float32 [batch]: 0 where the row's label is missing,
 * else its sample weight (1 without a weight column). Only tasks whose training data has a missing
 * label, or that declare a sample weight, have one (docs/design.md, "Partial labels and sample
 * weights"); the others' graphs are as they were.
 */
export const rowWeightInput = (task: string): string => `weight/${task}`;
/** The uniform noise of one gate group in train mode. */
export const noiseInput = (gateGroup: string): string => `noise/${gateGroup}`;
/** The gathered rows of one field's embedding table, [rows_<field>, dim]. */
export const tableRowsInput = (field: string): string => `emb/${field}/rows`;
/** Each example's position in its field's gathered rows, [batch] (or [batch, tokens] for multi_hot). */
export const tableIndexInput = (field: string): string => `emb/${field}/index`;
/** A multi_hot field's pooling weights, [batch, tokens]. */
export const tableWeightInput = (field: string): string => `emb/${field}/weight`;
/** A field's embedding table in the exported model (an initializer; train and eval graphs take gathered rows instead). */
export const exportedTableParam = (field: string): string => `emb/${field}/table`;
/** A field's embedding e_f [batch, dim] in the eval graph. */
export const fieldEmbeddingValue = (field: string): string => `fields/${field}/embedding`;
/** A numeric field's learned vector v (e = x·v). */
export const numericVectorParam = (field: string): string => `fields/${field}/vector`;
/** A group's FSCM vector g (w_fj = relu(tanh(g_fj · e_f + b))). */
export const selectionVectorParam = (group: string): string => `select/${group}/g`;
/** A group's FSCM mask w [batch, fields] in the eval graph. */
export const selectionMaskValue = (group: string): string => `select/${group}/mask`;
/** A group's field-selected input E_j [batch, D] in the eval graph. */
export const selectionOutputValue = (group: string): string => `select/${group}/out`;
/** The learned offsets b [n] of a group's field masks (select_fields: learned_offset). */
export const selectionOffsetParam = (group: string): string => `select/${group}/offset`;
/** The gate group of a group's field gates, one L0 gate per field (select_fields: l0, l0_tanh). */
export const selectionGateGroup = (group: string): string => `select/${group}/gates/fields`;
/** The log α param of a gate group. */
export const logAlphaParam = (gateGroup: string): string => `${gateGroup}/log_alpha`;
/** One group's learning rate (a scalar). */
export const lrInput = (group: Group): string => `lr/${group}`;
/** A pack of one group's params end to end (the training step's packed input). */
export const packedParamsInput = (group: Group): string => `optim/${group}/params`;
/** A pack of one kind of optimizer state of one group's params. */
export const packedStateInput = (group: Group, state: string): string => `optim/${group}/${state}`;

/** The task whose label a graph input holds, if it is a label input. */
export function labelTask(input: string): string | undefined {
  return input.startsWith("label/") ? input.slice("label/".length) : undefined;
}

/** The task whose row weights a graph input holds, if it is a row-weight input. */
export function rowWeightTask(input: string): string | undefined {
  return input.startsWith("weight/") ? input.slice("weight/".length) : undefined;
}

/** The tasks of a compiled training step that take row weights, in input order. */
export function rowWeightedTasks(inputs: readonly { name: string }[]): string[] {
  return inputs.flatMap((i) => rowWeightTask(i.name) ?? []);
}

/** True for a gate group's noise input. */
export const isNoiseInput = (input: string): boolean => input.startsWith("noise/");

/** True for a task's prediction output. */
export const isPredictionOutput = (output: string): boolean => output.startsWith("pred/");

/** The field whose gathered rows an input holds (`emb/<field>/rows`), if it does. */
export function rowsField(input: string): string | undefined {
  const m = /^emb\/(.+)\/rows$/.exec(input);
  return m ? m[1] : undefined;
}

// ---- the manifest ---------------------------------------------------------------------------------

/** One input or output of a compiled graph. */
export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: Shape;
  role: Role;
  /** param, rows, state, lr, gradient, next: the group whose optimizer updates it. */
  group?: Group;
  /** state: the param or rows it belongs to; gradient: the param or rows; next: the input it replaces. */
  of?: string;
  /** state: its kind (`adam_m`, `adam_v`, `momentum`, `adagrad_sum`). */
  state?: string;
  /** state: the value every element starts at. */
  init?: number;
  /**
   * A packed input or its next value: the params (`optim/<group>/params`, name = of = the param)
   * or the params' states (`optim/<group>/<state>`) it holds, end to end, `size` elements each.
   */
  members?: { name: string; of: string; size: number }[];
}

/** A trainable tensor of the model and how to draw its initial value. */
export interface ParamInfo {
  name: string;
  shape: number[];
  dtype: DType;
  group: Group;
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
