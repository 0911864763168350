// A trained model -> one self-contained inference ONNX model (docs/design.md, "Export and pruning"):
// raw columns in, one score per task out, so a server in any language needs nothing but an ONNX
// runtime (onnxruntime itself when the model has hashed fields: their hash is its com.microsoft
// MurmurHash3 op). The graph is the compiler's (compiler/export/): this layer checks that the
// trained model can be exported, describes its fitted preprocessing to the compiler and hands over
// the trained weights.
//
//   inputs   one per source column, named after it: tensor(string) [batch] for categorical fields,
//            float32 [batch] for numeric fields (NaN = missing), tensor(string) [batch, tokens] for
//            multi_hot fields: each cell already split at the field's separator and trimmed, as
//            the runtime reads it, padded with "" (missing tokens, "" and "?", count for nothing)
//   inside   vocabulary lookup (unknown and missing -> id 0) and a Gather from the embedding table;
//            numeric: transform, z = (x - mean) / std, missing -> 0 (the training mean); then the
//            eval-mode forward with the trained params and every deterministic L0 gate folded
//   outputs  one per task, named after it: binary probability [batch], regression value [batch],
//            multiclass probabilities [batch, classes]
//
// Pruning (on by default) removes what the deterministic gates close: blocks, units, and fields no
// group reads any more. A removed field's input column goes too when no other field reads it
// (`pruned.inputs`): the pruned model asks only for what it uses; onnxruntime-node 1.30 ignores a
// feed the model has no input for, but other runtimes may refuse it, so a server should feed
// exactly the session's input names.
//
// Categorical inputs are compared as given: feed the values the way the runtime reads CSV cells
// (trimmed; "" and "?" mean missing). Hashed fields (`hash_buckets`) hash in the graph with
// onnxruntime's MurmurHash3 (domain com.microsoft, in onnxruntime's standard builds; ONNX itself
// has no string hash), modulo the buckets, missing -> bucket 0, as runtime/data/vocab.ts does.
// What cannot be exported is refused with a UserError rather than approximated:
// - hashed fields of runs trained before the runtime hashed with MurmurHash3 (FNV-1a), which no
//   ONNX op computes;
// - a multi_hot field's column read by another field too (its input is a token list); ONNX cannot
//   split and trim a cell at opset 17, so the tokens are the caller's to make.

import { exportInferenceModel, type ExportOptions, type ExportPreprocessing, type ExportResult, type Field, type FieldPreprocessing } from "../compiler/index.js";
import { invariant } from "../base/source/diagnostic.js";
import { UserError } from "../base/user-error.js";
import type { FieldState } from "./data/dataset.js";
import type { TrainedModel } from "./trained-model.js";

export type { ClosedSelection, ExportOptions, ExportPruning, ExportResult } from "../compiler/index.js";

/** The cells the runtime reads as missing (isMissing in data/csv.ts). */
const MISSING_CELLS = ["", "?"];

/** Why a field cannot be exported, or undefined when it can. */
function unexportable(field: Field, state: FieldState | undefined): string | undefined {
  if (state?.kind !== field.kind) return `the preprocessing has no ${field.kind} state for field "${field.name}"; was it fitted for another spec?`;
  if (state.kind !== "numeric" && state.vocab.kind === "hash" && state.vocab.hash !== "murmur3-32-utf8") {
    return `field "${field.name}" was hashed with ${state.vocab.hash}, not murmur3-32-utf8 (the hash of runs trained before mssmc hashed with MurmurHash3); no ONNX op computes it, so the exported model could not place unseen values in their buckets. Train the run again to export it`;
  }
  return undefined;
}

/** Refuses a model the export cannot reproduce exactly, with every reason at once. */
function checkExportable(model: TrainedModel): void {
  const spec = model.manifest.spec;
  const problems: string[] = [];
  for (const f of spec.fields) {
    const why = unexportable(f, model.preprocessing.fields[f.name]);
    if (why) problems.push(why);
  }
  // One input per column, so a column has one element type, and a token list is read by one field.
  const kinds = new Map<string, Field>();
  for (const f of spec.fields) {
    const other = kinds.get(f.column);
    if (other && (other.kind === "numeric") !== (f.kind === "numeric")) {
      problems.push(`column "${f.column}" is read as ${other.kind} by field "${other.name}" and as ${f.kind} by field "${f.name}"; an exported input has one element type`);
    } else if (other && (other.kind === "multi_hot" || f.kind === "multi_hot")) {
      problems.push(`column "${f.column}" is read by fields "${other.name}" and "${f.name}", and ${other.kind === "multi_hot" ? `"${other.name}"` : `"${f.name}"`} is multi_hot; an exported multi_hot input is that field's token list, so no other field may read its column`);
    }
    if (!other) kinds.set(f.column, f);
  }
  for (const t of spec.tasks) if (kinds.has(t.name)) problems.push(`task "${t.name}" has the name of an input column; the exported model names its outputs after tasks and its inputs after columns`);
  if (problems.length) throw new UserError(`cannot export model ${spec.model}:\n  ${problems.join("\n  ")}`, "export-unsupported");
}

/** A fitted field state as the compiler's description of its preprocessing. */
function describe(state: FieldState): FieldPreprocessing {
  if (state.kind === "numeric") return { kind: "numeric", transform: state.stats.transform, mean: state.stats.mean, std: state.stats.std };
  const vocab = state.vocab;
  if (vocab.kind === "values") return { kind: "vocabulary", values: vocab.values };
  invariant(vocab.hash === "murmur3-32-utf8", `hash ${vocab.hash} passed the export check`);
  return { kind: "hash", buckets: vocab.buckets };
}

/** Exports a trained model as one self-contained inference ONNX model; throws UserError for what cannot be exported. */
export function exportModel(model: TrainedModel, options: ExportOptions = {}): ExportResult {
  checkExportable(model);
  const fields = Object.fromEntries(Object.entries(model.preprocessing.fields).map(([name, state]) => [name, describe(state)]));
  const preprocessing: ExportPreprocessing = { fields, missing: MISSING_CELLS };
  return exportInferenceModel(model.manifest.spec, model, preprocessing, options);
}
