// Forward passes over a whole data set with eval.onnx (deterministic gates) and the per-task
// metrics computed from them. Used by the training loop (validation), `mssmc eval` and
// `mssmc predict`, so the three agree on every number.

import * as ort from "onnxruntime-node";
import { LOWER_IS_BETTER, NUMERIC_INPUT, predictionOutput, rowWeightTask, TASK_METRICS, type Manifest, type MonitorTerm, type Spec, type Task } from "../compiler/index.js";
import { invariant } from "../base/source/diagnostic.js";
import type { Batch } from "./data/batches.js";
import { evalBatches, type FeatureBatch } from "./data/eval-batches.js";
import type { Dataset } from "./data/dataset.js";
import { EmbeddingStore } from "./embeddings/store.js";
import { isMissingLabel } from "./data/labels.js";
import { accuracy, auc, logLoss, multiclassLogLoss, rmse } from "./metrics.js";
import type { EmbeddingTable } from "./trained-model.js";

/** The weights a forward pass needs: dense params by name and embedding tables by field. */
export interface Weights {
  params: ReadonlyMap<string, Float32Array>;
  /** Whole tables (a trained model), or the training run's store, which gathers each batch's rows without copying its tables. */
  tables: ReadonlyMap<string, EmbeddingTable> | EmbeddingStore;
}

/** Rows per eval.onnx run: large enough to amortise the call, small enough to stay in cache. */
export const EVAL_BATCH = 4096;

/** Per task, its predictions in data-set row order: [rows] (binary, regression) or [rows, classes]. */
export type Predictions = Record<string, Float32Array>;

/** The inputs that carry a batch's embedding lookups: each table's index (and pooling weight) input, by name. */
export type LookupInputs = ReadonlyMap<string, { field: string; part: "index" | "weight" }>;

/** The lookup inputs of a manifest's tables. */
export function lookupInputs(manifest: Manifest): LookupInputs {
  const out = new Map<string, { field: string; part: "index" | "weight" }>();
  for (const t of manifest.tables) {
    out.set(t.index, { field: t.field, part: "index" });
    if (t.weight !== undefined) out.set(t.weight, { field: t.field, part: "weight" });
  }
  return out;
}

/** The feeds that describe a batch's data (embedding index/weight, numeric; a task's row weights in train.onnx), shared by both graphs. */
export function dataFeed(name: string, batch: FeatureBatch & Partial<Pick<Batch, "rowWeights">>, numericCount: number, lookups: LookupInputs): ort.Tensor | undefined {
  if (name === NUMERIC_INPUT) return new ort.Tensor("float32", batch.numeric, [batch.size, numericCount]);
  const weighted = rowWeightTask(name);
  if (weighted !== undefined) return new ort.Tensor("float32", batch.rowWeights?.[weighted] ?? new Float32Array(batch.size).fill(1), [batch.size]);
  const input = lookups.get(name);
  if (!input) return undefined;
  const lookup = batch.embeddings[input.field];
  invariant(lookup !== undefined, `the batch has no embedding lookup for field "${input.field}"`);
  const multi = lookup.weights !== undefined;
  const shape = multi ? [batch.size, lookup.width] : [batch.size];
  if (input.part === "index") return new ort.Tensor("int64", lookup.index, shape);
  invariant(lookup.weights !== undefined, `field "${input.field}" has no pooling weights`);
  return new ort.Tensor("float32", lookup.weights, shape);
}

/** The rows `ids` of a table, copied into one [ids.length, dim] block. */
function gatherRows(table: EmbeddingTable, ids: Int32Array): Float32Array {
  const d = table.dim;
  const out = new Float32Array(ids.length * d);
  for (let k = 0; k < ids.length; k++) out.set(table.data.subarray(ids[k]! * d, ids[k]! * d + d), k * d);
  return out;
}

/** What a session returned for one batch of `size` rows (every graph output, by name). */
export type BatchOutputs = (outputs: ort.InferenceSession.OnnxValueMapType, size: number) => void;

/** Runs eval.onnx over every row of `data`, in file order; `onBatch` sees each batch's outputs (a model with extra outputs has them there). */
export async function predictDataset(session: ort.InferenceSession, manifest: Manifest, weights: Weights, data: Dataset, batchSize = EVAL_BATCH, onBatch?: BatchOutputs): Promise<Predictions> {
  const spec = manifest.spec;
  const numericCount = spec.fields.filter((f) => f.kind === "numeric").length;
  const out: Predictions = {};
  for (const t of spec.tasks) out[t.name] = new Float32Array(data.rows * (t.kind === "multiclass" ? t.classes : 1));
  // The parameter tensors are views on the weights, built once for the whole pass.
  const paramFeeds: Record<string, ort.Tensor> = {};
  for (const input of manifest.graphs.eval.inputs) {
    if (input.role !== "param") continue;
    const value = weights.params.get(input.name);
    invariant(value !== undefined, `no value for parameter ${input.name}`);
    paramFeeds[input.name] = new ort.Tensor("float32", value, input.shape as number[]);
  }
  const tableOf = new Map(manifest.tables.map((t) => [t.rows, t]));
  const lookups = lookupInputs(manifest);
  let at = 0;
  for (const batch of evalBatches(spec, data, batchSize)) {
    const feeds: Record<string, ort.Tensor> = { ...paramFeeds };
    for (const input of manifest.graphs.eval.inputs) {
      if (input.role === "param") continue;
      const t = tableOf.get(input.name);
      if (t) {
        const lookup = batch.embeddings[t.field]!;
        let rows: Float32Array;
        if (weights.tables instanceof EmbeddingStore) rows = weights.tables.gather(t.field, lookup.unique, false).rows;
        else {
          const table = weights.tables.get(t.field);
          invariant(table !== undefined, `no embedding table for field "${t.field}"`);
          rows = gatherRows(table, lookup.unique);
        }
        feeds[input.name] = new ort.Tensor("float32", rows, [lookup.unique.length, t.dim]);
        continue;
      }
      const feed = dataFeed(input.name, batch, numericCount, lookups);
      invariant(feed !== undefined, `eval.onnx input ${input.name} has no feed`);
      feeds[input.name] = feed;
    }
    const result = await session.run(feeds);
    onBatch?.(result, batch.size);
    for (const t of spec.tasks) {
      const width = t.kind === "multiclass" ? t.classes : 1;
      out[t.name]!.set(result[predictionOutput(t.name)]!.data as Float32Array, at * width);
    }
    at += batch.size;
  }
  return out;
}

/**
 * One task's metrics: binary auc + logloss, regression rmse, multiclass accuracy + logloss, each
 * over the rows with a label (weighted by sample weight where the task has one); `labelled` counts
 * those rows.
 */
export type TaskMetrics = ({ auc: number; logloss: number } | { rmse: number } | { accuracy: number; logloss: number }) & { labelled: number };

/**
 * The weight of each row in a task's metrics: 0 where its label is missing, else its sample weight
 * (1 without one); undefined when every row has a label and weighs 1 (the unweighted metrics).
 * `labelled`: the rows with a label.
 */
export function metricWeights(labels: ArrayLike<number>, sample?: Float32Array): { weights: Float32Array | undefined; labelled: number } {
  let weights: Float32Array | undefined = sample?.slice();
  let labelled = labels.length;
  for (let i = 0; i < labels.length; i++) {
    if (!isMissingLabel(labels[i]!)) continue;
    if (!weights) weights = new Float32Array(labels.length).fill(1);
    weights[i] = 0;
    labelled--;
  }
  return { weights, labelled };
}

/** Metrics of each task from predictions and the data set's labels, over each task's labelled rows. */
export function taskMetrics(spec: Spec, predictions: Predictions, data: Dataset): Record<string, TaskMetrics> {
  const out: Record<string, TaskMetrics> = {};
  for (const t of spec.tasks) {
    const p = predictions[t.name]!;
    const y = data.labels[t.name];
    invariant(y !== undefined, `the data set has no labels for task "${t.name}"`);
    const { weights: w, labelled } = metricWeights(y, data.weights?.[t.name]);
    if (t.kind === "binary") out[t.name] = { auc: auc(p, y, w), logloss: logLoss(p, y, w), labelled };
    else if (t.kind === "regression") out[t.name] = { rmse: rmse(p, y, w), labelled };
    else out[t.name] = { accuracy: accuracy(p, y, t.classes, w), logloss: multiclassLogLoss(p, y, t.classes, w), labelled };
  }
  return out;
}

/**
 * The validation score that chooses the best epoch and stops early, maximized: with `monitor`,
 * Σ weight × metric over its terms, rmse and logloss negated; without, the default, the mean over
 * tasks of AUC (binary), −RMSE (regression) or accuracy (multiclass). The default mixes units
 * when a model has tasks of several kinds, which is why a spec may choose.
 */
export function selectionScore(metrics: Record<string, TaskMetrics>, monitor?: readonly MonitorTerm[]): number {
  if (monitor) {
    return monitor.reduce((sum, term) => {
      const value = (metrics[term.task] as Record<string, number> | undefined)?.[term.metric];
      invariant(value !== undefined, `the metrics have no ${term.task}.${term.metric}`);
      return sum + term.weight * (LOWER_IS_BETTER.has(term.metric) ? -value : value);
    }, 0);
  }
  const values = Object.values(metrics).map((m) => ("auc" in m ? m.auc : "rmse" in m ? -m.rmse : m.accuracy));
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The validation score selectionScore computes for `spec`, in words, for the start of training. */
export function describeMonitor(spec: Spec): string {
  const head = "monitor (maximized on validation data):";
  if (spec.train.monitor) {
    const sum = spec.train.monitor
      .map((t, i) => {
        const sign = LOWER_IS_BETTER.has(t.metric) ? "-" : "+";
        const term = `${t.weight === 1 ? "" : `${t.weight} * `}${t.task}.${t.metric}`;
        return i === 0 ? `${sign === "-" ? "-" : ""}${term}` : ` ${sign} ${term}`;
      })
      .join("");
    return `${head} ${sum}`;
  }
  const terms = spec.tasks.map((t) => {
    const metric = TASK_METRICS[t.kind].find((m) => m !== "logloss")!;
    return `${LOWER_IS_BETTER.has(metric) ? "-" : ""}${t.name}.${metric}`;
  });
  return `${head} ${terms.length === 1 ? terms[0] : `the mean of ${terms.join(", ")}`} (the default; choose with train { monitor: ... })`;
}

/** The metric names of a task kind, in table order. */
function metricNames(task: Task): readonly string[] {
  return TASK_METRICS[task.kind];
}

/**
 * A fixed-width table: one row per task, its metrics as `name value` pairs, then `labelled N of
 * ROWS` for a task whose label is missing on some of the data set's `rows`.
 */
export function formatMetricsTable(spec: Spec, metrics: Record<string, TaskMetrics>, rows?: number): string[] {
  const width = Math.max(4, ...spec.tasks.map((t) => t.name.length));
  const lines = [`${"task".padEnd(width)}  metrics`];
  for (const t of spec.tasks) {
    const m = metrics[t.name] as Record<string, number> | undefined;
    if (!m) continue;
    const labelled = rows !== undefined && m["labelled"]! < rows ? `  labelled ${m["labelled"]} of ${rows}` : "";
    lines.push(`${t.name.padEnd(width)}  ${metricNames(t).map((k) => `${k} ${m[k]!.toFixed(4)}`).join("  ")}${labelled}`);
  }
  return lines;
}
