// The compiler's public entry: everything the runtime, the CLI and the editor may use. Code outside
// compiler/ imports this module only (test/architecture.test.ts checks it), so the compiler's
// inside can change without reaching into its users. The artifact contract (manifest, graph
// input and output names, roles, parameter groups) is compiler/artifact.ts, re-exported here.

export * from "./artifact.js";

// Loading and checking a model description (.mssm or canonical .json).
export { loadSpec, type LoadResult } from "./load/load.js";
export { MAX_SPEC_BYTES, readMainSpec, readSpecFile, type ReadText } from "./load/read-source.js";
export { canonicalOrder } from "./load/canonical-order.js";
export { DEFAULT_GATE_OPTIMIZER, OPTIMIZER_DEFAULTS } from "./load/normalize.js";
export { specSchema } from "./load/schema.js";
export { inputWidth, topology, type Producer, type Stage } from "./load/topology.js";
export { LOWER_IS_BETTER, TASK_METRICS } from "./load/metrics.js";
export * from "./load/types.js";
// Settings the command line can make impossible after the check (mssmc train --gate-noise).
export { PER_WEIGHT_NOISE, perWeightNoiseConflicts } from "./check/rules/option-not-applicable.js";

// Compiling a checked spec into the artifact.
export { compileSpec, specHash, validationModel, type Artifact, type CompileOptions } from "./compile.js";
export { sourceLocator } from "./lower/locate.js";
export { DEFAULT_OPSET, IR_VERSION_FOR_OPSET } from "./onnx/emit.js";
export { TARGET_NAMES, TARGETS, type Target, type TargetName } from "./onnx/target.js";

// Exporting a trained model (the inference graph, gates folded, pruned) and describing its structure.
export { exportInferenceModel, type ClosedSelection, type ExportOptions, type ExportPruning, type ExportResult } from "./export/export-model.js";
export { foldGate } from "./export/fold-gates.js";
export type { ExportedInput, ExportedOutput, TrainedWeights } from "./export/inference-graph.js";
export type { ExportPreprocessing, FieldPreprocessing } from "./export/preprocessing.js";
export { modelStructure, type EdgeStructure, type ModelStructure, type StageStructure } from "./lower/structure.js";
export { softmaxGateValues, type SoftmaxGateValue } from "./lower/softmax-gates.js";
export { withFloatOutputs } from "./onnx/extra-outputs.js";

// Initial parameter values (the runtime draws them from the manifest's params).
export { initialTensor } from "./ir/init.js";

// Freezing closed gates during training (the runtime applies them; docs/design.md, "The training step").
export { CLOSED_LOG_ALPHA, closedLogAlpha, evaluationClosedBound, evaluationClosedThreshold, FREEZE_THRESHOLD, freezeSettings, GATE_WARMUP_HOLDS, gateWarmupEpochs, openProbability, type FreezeSettings } from "./sparse-step/settings.js";
export { cutForward, sparseStep, stepMacsPerExample, withTrainStep, type CutForward, type SparseStep } from "./sparse-step/sparse-step.js";
export type { ParamSlice } from "./sparse-step/slice-params.js";
