// Permutation importance (Breiman, "Random Forests", 2001): how much worse each task gets when one
// field's values are shuffled across rows, which breaks the field's link to the labels and keeps
// its distribution. It measures what the trained network uses, whatever its architecture, so it
// reads next to the field selection masks (runtime/inspect.ts) and checks them.
//
//   π_r = a permutation of the rows, from Random.stream(seed, IMPORTANCE_STREAM, r, field index)
//   drop_tf = (1/R) Σ_r  m_t(rows) − m_t(rows with field f's column permuted by π_r)   AUC, accuracy
//   drop_tf = (1/R) Σ_r  m_t(rows with field f permuted by π_r) − m_t(rows)            RMSE
//
// so drop > 0 means the task relies on the field; the spread over the R repeats (sample std,
// smallest and largest) says how much of it is the shuffle's luck.

import type { Spec } from "../compiler/index.js";
import { permutation, Random } from "../base/random.js";
import type { Dataset } from "./data/dataset.js";
import { takeRows } from "./data/select-rows.js";
import { taskMetrics, type Predictions, type TaskMetrics } from "./evaluate.js";

/** Random streams of importance: one per (repeat, field), apart from training's and the generators'. */
const IMPORTANCE_STREAM = 79;

/** Default number of shuffles per field. */
export const IMPORTANCE_REPEATS = 3;

/** Permutation importance per task and field. */
export interface Importance {
  /** The data file and the rows shuffled. */
  file: string;
  rows: number;
  repeats: number;
  seed: number;
  tasks: string[];
  fields: string[];
  /** The metric of each task: `auc`, `rmse` or `accuracy`. */
  metrics: string[];
  /** Each task's metric on the rows as they are. */
  base: number[];
  /** drop[t][f]: the mean loss of task t's metric when field f is shuffled (AUC, accuracy: fall; RMSE: rise). */
  drop: number[][];
  /** The spread of drop[t][f] over the repeats: sample standard deviation (0 for one repeat), smallest, largest. */
  std: number[][];
  min: number[][];
  max: number[][];
}

/** The metric importance measures for a task, and its value with the sign that makes "worse" smaller. */
function score(m: TaskMetrics): { name: string; better: number } {
  if ("auc" in m) return { name: "auc", better: m.auc };
  if ("rmse" in m) return { name: "rmse", better: -m.rmse };
  return { name: "accuracy", better: m.accuracy };
}

/** Permutation importance of every field for every task of `spec` on the labelled rows `data`. */
export async function permutationImportance(
  spec: Spec,
  data: Dataset,
  predict: (data: Dataset) => Promise<Predictions>,
  options: { repeats?: number; seed?: number } = {},
): Promise<Importance> {
  const repeats = options.repeats ?? IMPORTANCE_REPEATS;
  const seed = options.seed ?? 1;
  const scores = async (d: Dataset) => {
    const m = taskMetrics(spec, await predict(d), d);
    return spec.tasks.map((t) => score(m[t.name]!));
  };
  const base = await scores(data);
  // drops[t][f][r]
  const drops = spec.tasks.map(() => spec.fields.map(() => [] as number[]));
  for (const [fi, f] of spec.fields.entries()) {
    for (let r = 0; r < repeats; r++) {
      const order = permutation(data.rows, Random.stream(seed, IMPORTANCE_STREAM, r, fi));
      const shuffled: Dataset = { ...data, fields: { ...data.fields, [f.name]: takeRows(data.fields[f.name]!, order) } };
      (await scores(shuffled)).forEach((s, t) => drops[t]![fi]!.push(base[t]!.better - s.better));
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = (xs: number[]) => (xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)) : 0);
  const each = (f: (xs: number[]) => number) => drops.map((row) => row.map(f));
  return {
    file: data.file,
    rows: data.rows,
    repeats,
    seed,
    tasks: spec.tasks.map((t) => t.name),
    fields: spec.fields.map((f) => f.name),
    metrics: base.map((s) => s.name),
    base: base.map((s) => (s.name === "rmse" ? -s.better : s.better)),
    drop: each(mean),
    std: each(std),
    min: each((xs) => Math.min(...xs)),
    max: each((xs) => Math.max(...xs)),
  };
}
