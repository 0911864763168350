// The canonical form of a spec: what a .mssm file means, as plain JSON. The compiler reads only
// this. `specs/mssm.schema.json` describes the same shape; `normalize.ts` fills every default, so
// a checked spec has every property below set (those marked optional stay absent when unused).

export const SPEC_FORMAT_VERSION = 1;

export type Activation = "relu" | "leaky_relu" | "elu" | "gelu" | "tanh" | "sigmoid" | "linear";
export const ACTIVATIONS: readonly Activation[] = ["relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", "linear"];

export type NumericTransform = "none" | "log1p";

interface FieldBase {
  name: string;
  /** The CSV column read; defaults to the field's name. */
  column: string;
  /** Embedding width. */
  dim: number;
}

/** A string or integer id: looked up in a vocabulary (built from training data or given) or hashed. */
export interface CategoricalField extends FieldBase {
  kind: "categorical";
  /** Hash ids into this many buckets instead of building a vocabulary. */
  hash_buckets?: number;
  /** Values seen fewer times in training map to the out-of-vocabulary id (default 1). */
  min_count?: number;
  /** A fixed vocabulary instead of one built from the data. */
  vocabulary?: string[];
}

/** A float, standardized with training statistics; missing values become the mean; embedded as x·v. */
export interface NumericField extends FieldBase {
  kind: "numeric";
  transform: NumericTransform;
}

/** A separator-joined list of ids, each embedded, pooled by sum or mean. */
export interface MultiHotField extends FieldBase {
  kind: "multi_hot";
  separator: string;
  pooling: "sum" | "mean";
  hash_buckets?: number;
  min_count?: number;
  vocabulary?: string[];
}

export type Field = CategoricalField | NumericField | MultiHotField;

interface TaskBase {
  name: string;
  /** The CSV column holding the label. */
  label: string;
  /** Weight of this task's loss in the joint loss. */
  weight: number;
  /**
   * The column holding each row's weight in this task's loss and metrics (docs/design.md, "Partial
   * labels and sample weights"); absent: every row weighs 1. Normalization fills it from the
   * model's `sample_weight`.
   */
  sample_weight?: string;
}

/**
 * Binary classification with BCE on logits; the label is positive when its value is in `positive`,
 * negative when it is in `negative`, or, with `negative` absent, when it is not positive.
 */
export interface BinaryTask extends TaskBase {
  kind: "binary";
  positive: string[];
  /** Absent: one-vs-rest. Given: a value in neither list is a bad row. */
  negative?: string[];
}

/** Regression with mean squared error; the label is a float. */
export interface RegressionTask extends TaskBase {
  kind: "regression";
}

/** Classification into `classes` classes with softmax cross-entropy; labels are 0..classes-1. */
export interface MulticlassTask extends TaskBase {
  kind: "multiclass";
  classes: number;
}

export type Task = BinaryTask | RegressionTask | MulticlassTask;

/** `count` identical-shape MLPs (experts) in one group at one level. */
export interface Experts {
  count: number;
  widths: number[];
  activation: Activation;
}

/** A tower: an MLP per task, followed by the task's output layer. */
export interface Tower {
  widths: number[];
  activation: Activation;
}

export type ConnectionKind = "dense" | "cssm" | "l0_average" | "softmax_gate" | "cross_stitch";
export const CONNECTION_KINDS: readonly ConnectionKind[] = ["dense", "cssm", "l0_average", "softmax_gate", "cross_stitch"];

/**
 * Which outputs of the previous stage a consumer reads. `auto` depends on the kind (see
 * specs/language.md): `own_and_shared` for a task's softmax gate and `all` for a shared group's,
 * at a level or at the towers; otherwise `all` inside levels, and at the towers `own`, falling
 * back to the shared groups when the task has no group of its own at the last level.
 */
export type Sources = "auto" | "own" | "shared" | "own_and_shared" | "all";
export const SOURCES: readonly Sources[] = ["auto", "own", "shared", "own_and_shared", "all"];

export type Granularity = "cell" | "block" | "weight";

/** How the sub-networks of a stage read the outputs of the stage before it. */
export interface Connection {
  kind: ConnectionKind;
  sources: Sources;
  /** L0 gate granularity, for `cssm` only: per output unit, per block, or per weight. */
  granularity?: Granularity;
}

export interface Level {
  /** Experts per group; a group missing here has none at this level. */
  experts: Record<string, Experts>;
  connect: Connection;
}

export interface Towers {
  connect: Connection;
  /** One tower per task of the model. */
  tasks: Record<string, Tower>;
}

export type OptimizerKind = "adam" | "adamw" | "sgd" | "adagrad";

export interface Optimizer {
  kind: OptimizerKind;
  lr: number;
  /** adam, adamw */
  beta1?: number;
  beta2?: number;
  /** adam, adamw, adagrad */
  eps?: number;
  /** adamw (decoupled), sgd and adagrad (added to the gradient) */
  weight_decay?: number;
  /** sgd */
  momentum?: number;
  nesterov?: boolean;
  /** adagrad */
  initial_accumulator?: number;
}

export interface Train {
  /** Dense weights and biases. */
  optimizer: Optimizer;
  /** Gate parameters (L0 log α and field-selection vectors); they need a faster rate to prune. */
  gate_optimizer: Optimizer;
  /** Embedding rows, updated row-wise (lazily) for the rows a batch touches. */
  embedding_optimizer: Optimizer;
  batch: number;
  epochs: number;
  seed: number;
  schedule: "constant" | "cosine" | "linear";
  warmup_steps: number;
  /** Epochs without validation improvement before stopping; 0 never stops early. */
  patience: number;
  /**
   * The validation score to maximize (best epoch, early stopping): Σ weight × metric, rmse and
   * logloss negated; absent: the mean over tasks of AUC, −RMSE or accuracy (runtime/evaluate.ts,
   * monitorScore). Optional so that a spec without it keeps its canonical form and hash.
   */
  monitor?: MonitorTerm[];
  /**
   * Freeze the L0 gates training has closed and train the smaller model they leave; absent: on
   * when the model has L0 gates (compiler/sparse-step/settings.ts). Optional, so that specs which
   * do not write it compile to the same bytes as before the option existed.
   */
  prune_during_training?: boolean;
  /** ε: a gate whose P(z > 0) = σ(log α − β log(−γ/ζ)) is below it is frozen closed; in (0, 1). */
  freeze_threshold?: number;
  /** Also freeze every this many steps, besides each epoch's end; at least 1. */
  freeze_every?: number;
  /**
   * Epochs during which the gate parameters hold still while the rest of the model learns; absent:
   * half the epochs (rounded down) when the model has L0 gates, else 0
   * (compiler/sparse-step/settings.ts). Optional for the same reason as prune_during_training.
   */
  gate_warmup?: number;
  /**
   * At each epoch end after the gate warm-up, close a field in a group when neither closing it there
   * nor shuffling it makes the validation loss of the tasks that group serves worse (runtime/field-check.ts); absent: on when the model has field
   * gates and the run has validation rows. Optional for the same reason as prune_during_training.
   */
  validate_fields?: boolean;
}

/** One term of `train.monitor`: a task's metric and its weight. */
export interface MonitorTerm {
  task: string;
  /** auc, logloss (binary, multiclass), rmse (regression), accuracy (multiclass). */
  metric: string;
  weight: number;
}

export interface Regularize {
  /** λ0: weight of the expected L0 norm of the cell gates (cssm, l0_average). */
  l0: number;
  /** λF: weight of the expected L0 norm of the field gates (field selection forms l0, l0_tanh). */
  l0_fields: number;
  /** λ2: weight of the squared L2 norm of dense weights (not biases, gates or embeddings). */
  l2: number;
}

/** The forms of field selection (docs/design.md, "The mathematics", FSCM). */
export type SelectForm = "tanh" | "learned_offset" | "l0" | "l0_tanh";

/** `select_fields` in the canonical form: off, the tanh form (true), or another form by name. */
export type SelectFields = boolean | Exclude<SelectForm, "tanh">;

/** The field-selection form of a spec, or undefined when it selects no fields. */
export function selectForm(spec: Pick<Spec, "select_fields">): SelectForm | undefined {
  if (spec.select_fields === false) return undefined;
  return spec.select_fields === true ? "tanh" : spec.select_fields;
}

/** How a form is written in the canonical `select_fields`: `tanh` as true (its spelling before forms existed), the others by name. */
export function selectFieldsOf(form: SelectForm): SelectFields {
  return form === "tanh" ? true : form;
}

/** Hard-concrete gate constants (Louizos et al. 2018). */
export interface GateConstants {
  beta: number;
  gamma: number;
  zeta: number;
  /** Initial drop probability p; log α starts at log(1-p) - log p. */
  init_drop: number;
  /**
   * FSCM's offset b: w = relu(tanh(g · e + b)). 0 is the paper's form, under which a numeric field
   * (e = x·v) is dropped for every example where x and g·v differ in sign.
   */
  select_offset: number;
  /**
   * How the hard-concrete noise u is drawn in training: one draw per gate per step (absent, or
   * `per_step`), one per gate and example (`per_example`: z gets a batch axis), or per example
   * for the field gates only (`per_example_fields`). Optional, so that specs which do not write
   * it compile to the same bytes as before the option existed.
   */
  noise?: GateNoise;
}

/** The ways of drawing gate noise (specs/language.md, "gates"). */
export type GateNoise = "per_step" | "per_example" | "per_example_fields";

/** The gate noise of a spec: `per_step` unless it says otherwise. */
export function gateNoiseOf(spec: Pick<Spec, "gates">): GateNoise {
  return spec.gates.noise ?? "per_step";
}

export interface Spec {
  mssm: typeof SPEC_FORMAT_VERSION;
  model: string;
  fields: Field[];
  /** The tasks this model learns, in declaration order. */
  tasks: Task[];
  /** The sample weight column of every task without its own (`sample_weight: <column>` on the model); normalization copies it into those tasks. */
  sample_weight?: string;
  groups: string[];
  /**
   * Field-level sparse selection (FSCM), one mask over the fields for each group, and its form:
   * false (none), true (the tanh form with a fixed offset, the canonical spelling of `tanh`) or
   * the name of another form (specs/language.md, "select fields per group").
   */
  select_fields: SelectFields;
  levels: Level[];
  towers: Towers;
  regularize: Regularize;
  gates: GateConstants;
  train: Train;
}
