// Loads a data file into a columnar in-memory dataset: one typed array per field and per task label.
// The training file is read once into raw columns (read-raw.ts: categorical values interned per
// column, numeric values transformed), split into training and validation rows, and only then are the
// vocabularies and statistics fitted, on the training rows alone, so validation measures
// generalisation honestly. Validation and test files reuse the fitted preprocessing.

import { type Field, type Spec, type Task } from "../../compiler/index.js";
import { LabelCensus, labelKindWarning } from "./label-kind.js";
import { isMissingLabel, oneClassError, trainingLabelError } from "./labels.js";
import { fitNumeric, standardize, type NumericStats } from "./numeric.js";
import { readRaw, type Dictionary, type RawField, type RawTable } from "./read-raw.js";
import type { Dataset, FieldColumn, FieldState, LabelColumn, LoadOptions, LoadReport, Preprocessing, TrainingLoadOptions } from "./types.js";
import { permutation, Random, STREAM } from "../../base/random.js";
import { fixedVocab, hashVocab, VocabIndex, vocabFromCounts, type Vocab } from "./vocab.js";
import { invariant } from "../../base/source/diagnostic.js";
import { UserError } from "../../base/user-error.js";

export type { FieldColumn, LabelColumn, Dataset, FieldState, Preprocessing, LoadReport, LoadOptions, TrainingLoadOptions } from "./types.js";


/** The training (and validation) data of a training file, with the preprocessing fitted on it. */
export interface TrainingData {
  train: Dataset;
  /** Absent when validFraction is 0. */
  valid: Dataset | undefined;
  preprocessing: Preprocessing;
  report: LoadReport;
  /** Per task, the distinct label cells of the file's rows, for messages about the labels. */
  labelValues: Map<string, LabelCensus>;
}

/** Throws when a task's training rows hold no label, or a binary task's one class (labels.ts, trainingLabelError): training would learn nothing and choose epochs by an undefined AUC. */
export function assertTrainable(spec: Spec, data: TrainingData): void {
  for (const task of spec.tasks) {
    const error = trainingLabelError(data.train.file, task, data.train.labels[task.name]!, labelExamples(data.labelValues, task.name), data.train.weights?.[task.name]);
    if (error) throw error;
  }
}

/** One warning line per task whose label column looks like another kind of label (label-kind.ts), for the start of training. */
export function labelKindWarnings(spec: Spec, data: TrainingData): string[] {
  return spec.tasks.flatMap((task) => labelKindWarning(data.train.file, task, data.labelValues.get(task.name)!) ?? []);
}

/** Loads the training file: reads it, splits off validation rows, fits the preprocessing on the rest. */
export async function loadTrainingData(spec: Spec, file: string, options: TrainingLoadOptions = {}): Promise<TrainingData> {
  const fraction = options.validFraction ?? 0;
  if (!(fraction >= 0 && fraction < 1)) throw new UserError(`the validation fraction must be at least 0 and below 1, got ${fraction}`, "bad-option");
  const raw = await readRaw(spec, file, options);
  const n = raw.lines.length;
  if (n === 0) throw new UserError(`${file}: no data rows to train on${raw.badRows.count > 0 ? ` (all ${raw.badRows.count} were bad)` : ""}`, "no-rows");

  let trainRows: Int32Array | undefined;
  let validRows: Int32Array | undefined;
  if (fraction > 0) {
    const order = permutation(n, Random.stream(options.seed ?? 0, STREAM.validSplit));
    const nValid = Math.round(n * fraction);
    if (nValid === n) throw new UserError(`${file}: a validation fraction of ${fraction} leaves none of its ${n} rows to train on`, "no-rows");
    // Each part keeps file order: the split decides membership, the batch iterator the order.
    validRows = order.slice(0, nValid).sort();
    trainRows = order.slice(nValid).sort();
  }
  const preprocessing = fit(spec, raw, trainRows);
  return {
    labelValues: raw.labelValues,
    train: encode(spec, raw, preprocessing, trainRows),
    valid: validRows ? encode(spec, raw, preprocessing, validRows) : undefined,
    preprocessing,
    report: report(spec, raw, preprocessing),
  };
}

/** Loads a validation, test or prediction file with the preprocessing fitted on the training file. */
export async function loadData(spec: Spec, file: string, preprocessing: Preprocessing, options: LoadOptions = {}): Promise<{ data: Dataset; report: LoadReport; labelValues: Map<string, LabelCensus> }> {
  // Numeric fields are standardized as they are read: the same data, without a double per value first.
  const raw = await readRaw(spec, file, options, preprocessing);
  return { data: encode(spec, raw, preprocessing, undefined, { numericRows: options.numericRows ?? false }), report: report(spec, raw, preprocessing), labelValues: raw.labelValues };
}

/**
 * Throws, before training, when validation rows cannot give a validation score: there are none,
 * or a binary task whose AUC the monitor reads (by default every binary task's) has one class
 * among them. Without this the run would train an epoch and then stop on an undefined score.
 */
export function assertValidatable(spec: Spec, valid: Dataset, labelValues: ReadonlyMap<string, LabelCensus>): void {
  if (valid.rows === 0) throw new UserError(`${valid.file}: no validation rows to score the epochs on; give rows with --valid FILE or a larger --valid-fraction, or train without validation.`, "no-rows");
  const monitor = spec.train.monitor;
  const readsAuc = new Set(monitor ? monitor.filter((t) => t.metric === "auc").map((t) => t.task) : spec.tasks.filter((t) => t.kind === "binary").map((t) => t.name));
  const [oneClass] = oneClassTasks(spec, valid, labelValues, "validation rows", readsAuc);
  if (oneClass) {
    throw new UserError(`${oneClass.message} Its AUC, which the validation score reads, is undefined on them: validate on rows of both classes (--valid, --valid-fraction), or monitor another metric (train { monitor: ... }).`, "undefined-validation-score");
  }
}

/**
 * The binary tasks of `only` (default: all) whose labelled rows of `data` hold one class, so that
 * their AUC is undefined, each as oneClassError's message for those rows (`rowsWhat`: "validation
 * rows", ...), naming the label values seen (`labelValues`, the file's).
 */
export function oneClassTasks(spec: Spec, data: Dataset, labelValues: ReadonlyMap<string, LabelCensus>, rowsWhat: string, only?: ReadonlySet<string>): UserError[] {
  return spec.tasks.flatMap((task) => {
    if (task.kind !== "binary" || (only && !only.has(task.name))) return [];
    return oneClassError(data.file, task, data.labels[task.name]!, labelExamples(labelValues, task.name), rowsWhat) ?? [];
  });
}

/** The report as lines for the terminal. */
export function formatLoadReport(r: LoadReport): string[] {
  const lines = [`${r.file}: ${r.rows} rows${r.badRows > 0 ? `, ${r.badRows} bad rows skipped` : ""}`];
  for (const m of r.firstBadRows) lines.push(`  skipped ${m}`);
  if (r.badRows > r.firstBadRows.length) lines.push(`  ... and ${r.badRows - r.firstBadRows.length} more`);
  const list = (counts: Record<string, number>): string =>
    Object.entries(counts)
      .filter(([, c]) => c > 0)
      .map(([f, c]) => `${f} ${c}`)
      .join(", ");
  const imputed = list(r.imputed);
  if (imputed) lines.push(`  missing values filled in: ${imputed}`);
  const unknown = list(r.unknown);
  if (unknown) lines.push(`  values not in the training vocabulary: ${unknown}`);
  const missingLabels = r.missingLabels ? list(r.missingLabels) : "";
  if (missingLabels) lines.push(`  labels missing (those rows do not count for the task): ${missingLabels}`);
  return lines;
}

/** How many distinct label values a message about a task's labels quotes. */
const LABEL_EXAMPLES = 4;

/** The first label values of a task's census, as a message about its labels quotes them. */
const labelExamples = (labelValues: ReadonlyMap<string, LabelCensus>, task: string): string[] => [...(labelValues.get(task)?.counts.keys() ?? [])].slice(0, LABEL_EXAMPLES);

// ---- fitting and encoding ---------------------------------------------------------------------

/** Fits each field's vocabulary or statistics on the training rows (all rows when `rows` is absent). */
function fit(spec: Spec, raw: RawTable, rows: Int32Array | undefined): Preprocessing {
  const fields: Record<string, FieldState> = {};
  for (const f of spec.fields) {
    const col = raw.fields.get(f.name)!;
    invariant(col.kind !== "standardized", `field "${f.name}" was read standardized, so there is nothing to fit`);
    if (col.kind === "numeric") {
      fields[f.name] = { kind: "numeric", stats: fitNumeric(col.values, (f as Extract<Field, { kind: "numeric" }>).transform, rows) };
      continue;
    }
    const g = f as Exclude<Field, { kind: "numeric" }>;
    const vocab = fieldVocab(g, () => valueCounts(col, raw.lines.length, rows));
    fields[f.name] = { kind: g.kind, vocab };
  }
  return { fields };
}

/** Each value of a raw categorical or multi-hot column with the number of times it occurs in `rows` (all `n` rows when absent), in order of first appearance; values that do not occur are left out. */
export function valueCounts(col: Extract<RawField, { kind: "categorical" | "multi_hot" }>, n: number, rows?: Int32Array): Map<string, number> {
  const perCode = new Int32Array(col.dict.values.length);
  const count = (r: number): void => {
    if (col.kind === "categorical") {
      const c = col.codes[r]!;
      if (c >= 0) perCode[c]!++;
    } else {
      for (let j = col.offsets[r]!; j < col.offsets[r + 1]!; j++) perCode[col.codes[j]!]!++;
    }
  };
  if (rows) for (const r of rows) count(r);
  else for (let r = 0; r < n; r++) count(r);
  const counts = new Map<string, number>();
  col.dict.values.forEach((v, c) => {
    if (perCode[c]! > 0) counts.set(v, perCode[c]!);
  });
  return counts;
}

/** A categorical or multi-hot field's vocabulary: hashed, fixed by the spec, or learnt from `counts()` (value -> training rows). */
export function fieldVocab(g: Exclude<Field, { kind: "numeric" }>, counts: () => ReadonlyMap<string, number>): Vocab {
  if (g.hash_buckets !== undefined) return hashVocab(g.hash_buckets);
  if (g.vocabulary !== undefined) return fixedVocab(g.vocabulary);
  return vocabFromCounts(counts(), g.min_count ?? 1);
}

/** The id of each local code of a column under the fitted vocabulary. */
function codeIds(dict: Dictionary, vocab: Vocab): Int32Array {
  const index = new VocabIndex(vocab);
  return Int32Array.from(dict.values, (v) => index.id(v));
}

/** How many numeric fields a spec has: the width of a row-major numeric matrix. */
const numericWidth = (spec: Spec): number => spec.fields.filter((f) => f.kind === "numeric").length;

/** Encodes the rows `rows` (all when absent) of a raw table with fitted preprocessing; `numericRows`: keep a raw table's numeric matrix as Dataset.numericRows. */
function encode(spec: Spec, raw: RawTable, prep: Preprocessing, rows: Int32Array | undefined, options: { numericRows?: boolean } = {}): Dataset {
  const n = rows ? rows.length : raw.lines.length;
  const at = (k: number): number => (rows ? rows[k]! : k);
  const fields: Record<string, FieldColumn> = {};
  for (const f of spec.fields) {
    const col = raw.fields.get(f.name)!;
    const state = prep.fields[f.name];
    if (!state || state.kind !== f.kind) {
      throw new UserError(`the preprocessing has no ${f.kind} state for field "${f.name}"; was it fitted for another spec?`, "preprocessing-mismatch");
    }
    if (col.kind === "numeric") {
      const stats = (state as { stats: NumericStats }).stats;
      const values = new Float32Array(n);
      const raw = col.values;
      if (rows) for (let k = 0; k < n; k++) values[k] = standardize(raw[rows[k]!]!, stats);
      else for (let k = 0; k < n; k++) values[k] = standardize(raw[k]!, stats);
      fields[f.name] = { kind: "numeric", values };
    } else if (col.kind === "standardized") {
      // Read standardized into the row-major matrix: kept as it is, or this field's column of it.
      if (options.numericRows) continue;
      const matrix = raw.numericRows!;
      const width = numericWidth(spec);
      const values = new Float32Array(n);
      for (let k = 0; k < n; k++) values[k] = matrix[at(k) * width + col.column]!;
      fields[f.name] = { kind: "numeric", values };
    } else if (col.kind === "categorical") {
      const map = codeIds(col.dict, (state as { vocab: Vocab }).vocab);
      const ids = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        const c = col.codes[at(k)]!;
        ids[k] = c < 0 ? 0 : map[c]!;
      }
      fields[f.name] = { kind: "categorical", ids };
    } else {
      const map = codeIds(col.dict, (state as { vocab: Vocab }).vocab);
      const offsets = new Int32Array(n + 1);
      for (let k = 0; k < n; k++) offsets[k + 1] = offsets[k]! + col.offsets[at(k) + 1]! - col.offsets[at(k)]!;
      const ids = new Int32Array(offsets[n]!);
      for (let k = 0; k < n; k++) {
        const from = col.offsets[at(k)]!;
        for (let j = 0; j < offsets[k + 1]! - offsets[k]!; j++) ids[offsets[k]! + j] = map[col.codes[from + j]!]!;
      }
      fields[f.name] = { kind: "multi_hot", offsets, ids };
    }
  }
  const labels: Record<string, LabelColumn> = {};
  for (const [name, column] of raw.labels) {
    const out = column instanceof Int32Array ? new Int32Array(n) : new Float32Array(n);
    for (let k = 0; k < n; k++) out[k] = column[at(k)]!;
    labels[name] = out;
  }
  const weights: Record<string, Float32Array> = {};
  for (const [name, column] of raw.weights) weights[name] = rows ? Float32Array.from(rows, (r) => column[r]!) : column;
  const lines = new Int32Array(n);
  for (let k = 0; k < n; k++) lines[k] = raw.lines[at(k)]!;
  const kept = Object.entries(raw.kept);
  const numericRows = options.numericRows && raw.numericRows ? gatherRows(raw.numericRows, numericWidth(spec), rows) : undefined;
  return {
    file: raw.file,
    rows: n,
    lines,
    fields,
    labels,
    ...(raw.weights.size > 0 ? { weights } : {}),
    ...(kept.length > 0 ? { kept: Object.fromEntries(kept.map(([k, v]) => [k, rows ? Array.from(rows, (r) => v[r]!) : v])) } : {}),
    ...(numericRows ? { numericRows } : {}),
  };
}

/** The rows `rows` (all when absent) of a row-major matrix `width` values wide. */
export function gatherRows(matrix: Float32Array, width: number, rows: ArrayLike<number> | undefined): Float32Array {
  if (!rows) return matrix;
  const out = new Float32Array(rows.length * width);
  for (let k = 0; k < rows.length; k++) {
    const from = rows[k]! * width;
    for (let j = 0; j < width; j++) out[k * width + j] = matrix[from + j]!;
  }
  return out;
}

/** The load report of a raw table under fitted preprocessing (over all rows of the file). */
function report(spec: Spec, raw: RawTable, prep: Preprocessing): LoadReport {
  const unknown: Record<string, number> = {};
  for (const f of spec.fields) {
    const col = raw.fields.get(f.name)!;
    if (col.kind === "numeric" || col.kind === "standardized") continue;
    const index = new VocabIndex((prep.fields[f.name] as { vocab: Vocab }).vocab);
    const isUnknown = col.dict.values.map((v) => index.unknown(v));
    let count = 0;
    for (const c of col.codes) if (c >= 0 && isUnknown[c]) count++;
    unknown[f.name] = count;
  }
  return {
    file: raw.file,
    rows: raw.lines.length,
    badRows: raw.badRows.count,
    firstBadRows: [...raw.badRows.first],
    imputed: Object.fromEntries(raw.missing),
    unknown,
    ...(raw.labels.size ? { missingLabels: missingLabelCounts(raw.labels) } : {}),
  };
}

/** Per task, the rows whose label is missing. */
export function missingLabelCounts(labels: ReadonlyMap<string, LabelColumn> | Readonly<Record<string, LabelColumn>>): Record<string, number> {
  const entries = labels instanceof Map ? [...labels] : Object.entries(labels);
  return Object.fromEntries(entries.map(([task, y]) => {
    let n = 0;
    for (let i = 0; i < y.length; i++) if (isMissingLabel(y[i]!)) n++;
    return [task, n];
  }));
}
