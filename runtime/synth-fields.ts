// Synthetic multi-task data whose true per-task fields are known, so a field selection can be
// scored against the truth (`mssmc synth --recipe fields`). Three tasks read partly overlapping
// sets of informative fields of every kind; noise fields are read by none:
//
//   informative fields, kinds in turn: categorical (6 levels), numeric, categorical (1,000
//     levels, Zipf-distributed ids), multi_hot (0-3 of 20 tokens), numeric, categorical, ...
//   noise fields, kinds in turn from `noiseKinds` (default categorical (6 levels), numeric: little
//     to memorize; high_cat noise is an id column a dense model can overfit)
//   task t reads S_t = shared ∪ own_t, |S_t| = fieldsPerTask, |shared| = round(overlap · fieldsPerTask)
//   effect of field i on task t: f_ti(value), drawn once per data set and standardized to mean 0,
//     variance 1 on a calibration sample (so every true field matters about equally):
//       categorical  a table of N(0, 1) effects per level
//       numeric      x ~ N(0, 1) written as 10 + 3x; f = x, x² − 1, or sin(2x) in turn
//       multi_hot    the mean of N(0, 1) token effects over the row's tokens (0 for none)
//     a missing cell (5% of each field's cells) has effect 0 (its model's imputation: the mean, id 0)
//   signal s_t = Σ_{i ∈ S_t} f_ti / √|S_t|  (variance 1);  latent y*_t = s_t + σ ε, ε ~ N(0, 1)
//   binary task: y_t = 1[y*_t > 0.5];  regression task: y_t = y*_t
//
// The best any model can do is to know s_t: for a binary task P(y = 1 | x) = Φ((s_t − 0.5) / σ),
// for a regression task E[y | x] = s_t. The generator reports the test metrics of those oracle
// predictions (AUC and log loss, RMSE) so that results read against them. Every draw comes from
// base/random.ts on its own stream: the same options give byte-identical files.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Random } from "../base/random.js";
import { auc, logLoss, rmse } from "./metrics.js";
import { formatValue } from "./synth.js";
import { makeDirs } from "../base/make-dirs.js";

/** The fields recipe's settings. */
export interface FieldsRecipeOptions {
  /** Rows of the train, valid and test splits. */
  rows: { train: number; valid: number; test: number };
  /** Fields read by no task. */
  noiseFields: number;
  /** Share of each task's fields that every task reads, in [0, 1]. */
  overlap: number;
  /** Informative fields per task. */
  fieldsPerTask: number;
  /** σ, the standard deviation of the latent noise (the signal has variance 1). */
  labelNoise: number;
  /** The kinds noise fields take in turn (default low_cat, numeric: little a model can memorize). */
  noiseKinds: readonly Kind[];
  seed: number;
}

export const FIELDS_RECIPE_DEFAULTS: FieldsRecipeOptions = { rows: { train: 30000, valid: 5000, test: 10000 }, noiseFields: 4, overlap: 0.5, fieldsPerTask: 4, labelNoise: 0.5, noiseKinds: ["low_cat", "numeric"], seed: 1 };

/** The tasks of the recipe: two binary (a click and a purchase) and one regression (dwell time). */
export const FIELDS_RECIPE_TASKS = [
  { name: "click", kind: "binary" },
  { name: "buy", kind: "binary" },
  { name: "dwell", kind: "regression" },
] as const;

/** The kinds of generated field: categorical with 6 levels, numeric, categorical with 1,000 Zipf ids, multi_hot. */
export const FIELD_KINDS = ["low_cat", "numeric", "high_cat", "multi_hot"] as const;
export type Kind = (typeof FIELD_KINDS)[number];

/** The order in which informative fields take kinds, so every task gets a mix. */
const KIND_CYCLE: readonly Kind[] = ["low_cat", "numeric", "high_cat", "multi_hot", "numeric", "low_cat"];
const LOW_LEVELS = 6;
const HIGH_LEVELS = 1000;
const ZIPF_EXPONENT = 1.1;
const TOKENS = 20;
const MAX_TOKENS = 3;
const MISSING_RATE = 0.05;
const THRESHOLD = 0.5;
const CALIBRATION_ROWS = 20000;

/** Independent streams of one seed, so that more rows never change the effects. */
const STREAM = 78;
const PART = { effects: 1, calibration: 2, train: 3, valid: 4, test: 5 } as const;

/** One column of the generated data. */
export interface RecipeField {
  name: string;
  kind: Kind;
  /** Read by no task. */
  noise: boolean;
  /** Numeric fields: which effect shape (0: x, 1: x² − 1, 2: sin 2x). */
  shape: number;
}

/** The fixed part of a data set: its fields, which task reads which, and the effects. */
export interface FieldsProblem {
  fields: RecipeField[];
  /** Per task, the fields it reads, in field order. */
  truth: Record<string, string[]>;
  /** effects[task][field]: per level / token effects (categorical, multi_hot), with the standardization. */
  effects: Record<string, Record<string, { table: Float64Array; mean: number; std: number }>>;
  options: FieldsRecipeOptions;
}

/** Checks the options, in the words a command-line user needs. */
export function checkFieldsOptions(o: FieldsRecipeOptions): void {
  if (!(Number.isInteger(o.noiseFields) && o.noiseFields >= 0 && o.noiseFields <= 1000)) throw new RangeError(`the number of noise fields must be a whole number from 0 to 1000, got ${o.noiseFields}`);
  if (!(o.overlap >= 0 && o.overlap <= 1)) throw new RangeError(`the task overlap must lie in [0, 1], got ${o.overlap}`);
  if (!(Number.isInteger(o.fieldsPerTask) && o.fieldsPerTask >= 1 && o.fieldsPerTask <= 100)) throw new RangeError(`the fields per task must be a whole number from 1 to 100, got ${o.fieldsPerTask}`);
  if (!(o.labelNoise > 0 && o.labelNoise <= 100)) throw new RangeError(`the label noise must lie in (0, 100], got ${o.labelNoise}`);
  const unknown = o.noiseKinds.find((k) => !FIELD_KINDS.includes(k));
  if (o.noiseKinds.length === 0 || unknown !== undefined) throw new RangeError(`the noise kinds must be one or more of ${FIELD_KINDS.join(", ")}, got "${o.noiseKinds.join(",")}"`);
}

/** Draws the fields, each task's true set and the effect tables. */
export function fieldsProblem(o: FieldsRecipeOptions): FieldsProblem {
  checkFieldsOptions(o);
  const shared = Math.round(o.overlap * o.fieldsPerTask);
  const own = o.fieldsPerTask - shared;
  const informative = shared + own * FIELDS_RECIPE_TASKS.length;
  const counts: Record<Kind, number> = { low_cat: 0, numeric: 0, high_cat: 0, multi_hot: 0 };
  const prefix: Record<Kind, string> = { low_cat: "cat", numeric: "num", high_cat: "item", multi_hot: "tags" };
  const fields: RecipeField[] = [];
  for (let i = 0; i < informative; i++) {
    const kind = KIND_CYCLE[i % KIND_CYCLE.length]!;
    fields.push({ name: `${prefix[kind]}${++counts[kind]}`, kind, noise: false, shape: kind === "numeric" ? (counts.numeric - 1) % 3 : 0 });
  }
  const noiseCounts: Record<Kind, number> = { low_cat: 0, numeric: 0, high_cat: 0, multi_hot: 0 };
  for (let i = 0; i < o.noiseFields; i++) {
    const kind = o.noiseKinds[i % o.noiseKinds.length]!;
    fields.push({ name: `noise_${prefix[kind]}${++noiseCounts[kind]}`, kind, noise: true, shape: 0 });
  }
  const truth: Record<string, string[]> = {};
  FIELDS_RECIPE_TASKS.forEach((t, k) => {
    const reads = [...fields.slice(0, shared), ...fields.slice(shared + k * own, shared + (k + 1) * own)];
    truth[t.name] = reads.map((f) => f.name);
  });

  const rng = Random.stream(o.seed, STREAM, PART.effects);
  const effects: FieldsProblem["effects"] = {};
  for (const t of FIELDS_RECIPE_TASKS) {
    effects[t.name] = {};
    for (const name of truth[t.name]!) {
      const f = fields.find((x) => x.name === name)!;
      const size = f.kind === "low_cat" ? LOW_LEVELS : f.kind === "high_cat" ? HIGH_LEVELS : f.kind === "multi_hot" ? TOKENS : 0;
      effects[t.name]![name] = { table: Float64Array.from({ length: size }, () => rng.normal()), mean: 0, std: 1 };
    }
  }
  const problem: FieldsProblem = { fields, truth, effects, options: o };
  // Standardize each effect on a calibration sample drawn like the data.
  const calibration = drawRows(problem, CALIBRATION_ROWS, Random.stream(o.seed, STREAM, PART.calibration));
  for (const t of FIELDS_RECIPE_TASKS) {
    for (const name of truth[t.name]!) {
      const e = effects[t.name]![name]!;
      const column = fields.findIndex((x) => x.name === name);
      let sum = 0;
      let squares = 0;
      for (let r = 0; r < CALIBRATION_ROWS; r++) {
        const v = rawEffect(fields[column]!, e.table, calibration.values[column]![r]!);
        sum += v;
        squares += v * v;
      }
      e.mean = sum / CALIBRATION_ROWS;
      e.std = Math.sqrt(Math.max(1e-12, squares / CALIBRATION_ROWS - e.mean * e.mean));
    }
  }
  return problem;
}

/** A cell as drawn: a level or a number, a token list, or undefined when missing. */
type Cell = number | number[] | undefined;

/** Cumulative Zipf weights over the high-cardinality levels. */
const ZIPF_CDF = (() => {
  const w = Array.from({ length: HIGH_LEVELS }, (_, i) => 1 / (i + 1) ** ZIPF_EXPONENT);
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  return Float64Array.from(w, (v) => (acc += v / total));
})();

/** One cell of a field. */
function drawCell(f: RecipeField, rng: Random): Cell {
  if (rng.uniform() < MISSING_RATE) return undefined;
  switch (f.kind) {
    case "low_cat":
      return rng.below(LOW_LEVELS);
    case "numeric":
      return rng.normal();
    case "high_cat": {
      const u = rng.uniform();
      let lo = 0;
      let hi = HIGH_LEVELS - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ZIPF_CDF[mid]! < u) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
    case "multi_hot": {
      const n = rng.below(MAX_TOKENS + 1);
      const tokens = new Set<number>();
      while (tokens.size < n) tokens.add(rng.below(TOKENS));
      return [...tokens].sort((a, b) => a - b);
    }
  }
}

/** f_ti(cell) before standardization; a missing cell is handled by the caller. */
function rawEffect(f: RecipeField, table: Float64Array, cell: Cell): number {
  if (cell === undefined) return 0;
  if (Array.isArray(cell)) return cell.length === 0 ? 0 : cell.reduce((a, k) => a + table[k]!, 0) / cell.length;
  if (f.kind === "numeric") return f.shape === 0 ? cell : f.shape === 1 ? cell * cell - 1 : Math.sin(2 * cell);
  return table[cell]!;
}

/** A split's cells, column by column. */
interface DrawnRows {
  values: Cell[][];
}

function drawRows(problem: FieldsProblem, rows: number, rng: Random): DrawnRows {
  const values: Cell[][] = problem.fields.map(() => new Array<Cell>(rows));
  for (let r = 0; r < rows; r++) problem.fields.forEach((f, i) => (values[i]![r] = drawCell(f, rng)));
  return { values };
}

/** One split: the cells, each task's signal s_t and label. */
export interface FieldsSplit {
  values: Cell[][];
  signal: Record<string, Float64Array>;
  labels: Record<string, Float64Array>;
}

/** Draws the rows of one split. */
export function fieldsSplit(problem: FieldsProblem, split: "train" | "valid" | "test"): FieldsSplit {
  const o = problem.options;
  const rows = o.rows[split];
  const rng = Random.stream(o.seed, STREAM, PART[split]);
  const { values } = drawRows(problem, rows, rng);
  const signal: Record<string, Float64Array> = {};
  const labels: Record<string, Float64Array> = {};
  for (const t of FIELDS_RECIPE_TASKS) {
    const reads = problem.truth[t.name]!;
    const s = new Float64Array(rows);
    for (const name of reads) {
      const column = problem.fields.findIndex((f) => f.name === name);
      const e = problem.effects[t.name]![name]!;
      for (let r = 0; r < rows; r++) {
        const cell = values[column]![r];
        if (cell !== undefined) s[r] = s[r]! + (rawEffect(problem.fields[column]!, e.table, cell) - e.mean) / e.std;
      }
    }
    for (let r = 0; r < rows; r++) s[r] = s[r]! / Math.sqrt(reads.length);
    signal[t.name] = s;
  }
  // Label noise on its own pass, so the cells do not depend on how many tasks there are.
  for (const t of FIELDS_RECIPE_TASKS) {
    const y = new Float64Array(rows);
    const s = signal[t.name]!;
    for (let r = 0; r < rows; r++) {
      const latent = s[r]! + o.labelNoise * rng.normal();
      y[r] = t.kind === "binary" ? (latent > THRESHOLD ? 1 : 0) : latent;
    }
    labels[t.name] = y;
  }
  return { values, signal, labels };
}

/** The standard normal CDF Φ (Abramowitz and Stegun 7.1.26 through erf, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** The best achievable metrics on a split: those of the oracle that knows each s_t. */
export function bestAchievable(problem: FieldsProblem, split: FieldsSplit): Record<string, { auc: number; logloss: number } | { rmse: number }> {
  const out: Record<string, { auc: number; logloss: number } | { rmse: number }> = {};
  const sigma = problem.options.labelNoise;
  for (const t of FIELDS_RECIPE_TASKS) {
    const s = split.signal[t.name]!;
    const y = Float32Array.from(split.labels[t.name]!);
    if (t.kind === "binary") {
      const p = Float32Array.from(s, (v) => Math.min(1 - 1e-7, Math.max(1e-7, normalCdf((v - THRESHOLD) / sigma))));
      out[t.name] = { auc: auc(p, y), logloss: logLoss(p, y) };
    } else out[t.name] = { rmse: rmse(Float32Array.from(s), y) };
  }
  return out;
}

/** A cell as CSV text. */
function cellText(f: RecipeField, cell: Cell): string {
  if (cell === undefined) return "";
  if (Array.isArray(cell)) return cell.map((k) => `t${k}`).join("|");
  if (f.kind === "numeric") return formatValue(10 + 3 * cell);
  return `${f.kind === "high_cat" ? "i" : "v"}${cell}`;
}

/** The CSV text of a split: the fields' columns, then one label column per task. */
export function fieldsCsv(problem: FieldsProblem, split: FieldsSplit): string {
  const header = [...problem.fields.map((f) => f.name), ...FIELDS_RECIPE_TASKS.map((t) => t.name)].join(",");
  const lines = [header];
  const rows = split.labels[FIELDS_RECIPE_TASKS[0].name]!.length;
  for (let r = 0; r < rows; r++) {
    const cells = problem.fields.map((f, i) => cellText(f, split.values[i]![r]));
    for (const t of FIELDS_RECIPE_TASKS) cells.push(t.kind === "binary" ? String(split.labels[t.name]![r]) : formatValue(split.labels[t.name]![r]!));
    lines.push(cells.join(","));
  }
  return lines.join("\n") + "\n";
}

/** The fields and tasks declarations of the data, for models to import. */
export function fieldsDeclarations(problem: FieldsProblem): string {
  const width = Math.max(...problem.fields.map((f) => f.name.length));
  const kind = (f: RecipeField) => (f.kind === "numeric" ? "numeric" : f.kind === "multi_hot" ? "multi_hot(dim: 8)" : "categorical(dim: 8)");
  const lines = ["// Generated by `mssmc synth --recipe fields`: the data's fields and tasks. truth.json says which", "// fields each task depends on; fields named noise_* are read by none.", "", "fields {"];
  for (const f of problem.fields) lines.push(`  ${f.name.padEnd(width)}  ${kind(f)}`);
  lines.push("}", "", "tasks {");
  for (const t of FIELDS_RECIPE_TASKS) lines.push(`  ${t.name.padEnd(5)}  ${t.kind === "binary" ? `binary(label: ${t.name})` : `regression(label: ${t.name})`}`);
  lines.push("}", "");
  return lines.join("\n");
}

/** What writeFieldsRecipe wrote. */
export interface FieldsWritten {
  files: { train: string; valid: string; test: string; truth: string; fields: string; recipe: string };
  problem: FieldsProblem;
  best: ReturnType<typeof bestAchievable>;
}

/**
 * Writes train.csv, valid.csv, test.csv, truth.json ({task: [field, ...]}), fields.mssm (the
 * declarations to import) and recipe.json (options, field kinds, truth and the best achievable
 * test metrics) into `dir`.
 */
export function writeFieldsRecipe(dir: string, o: FieldsRecipeOptions): FieldsWritten {
  const problem = fieldsProblem(o);
  makeDirs(dir);
  const files = {
    train: join(dir, "train.csv"),
    valid: join(dir, "valid.csv"),
    test: join(dir, "test.csv"),
    truth: join(dir, "truth.json"),
    fields: join(dir, "fields.mssm"),
    recipe: join(dir, "recipe.json"),
  };
  let best: FieldsWritten["best"] = {};
  for (const split of ["train", "valid", "test"] as const) {
    const data = fieldsSplit(problem, split);
    writeFileSync(files[split], fieldsCsv(problem, data));
    if (split === "test") best = bestAchievable(problem, data);
  }
  writeFileSync(files.truth, JSON.stringify(problem.truth, null, 2) + "\n");
  writeFileSync(files.fields, fieldsDeclarations(problem));
  const kinds = Object.fromEntries(problem.fields.map((f) => [f.name, f.noise ? `noise ${f.kind}` : f.kind]));
  writeFileSync(files.recipe, JSON.stringify({ recipe: "fields", options: o, tasks: FIELDS_RECIPE_TASKS, fields: kinds, truth: problem.truth, best_test: best }, null, 2) + "\n");
  return { files, problem, best };
}
