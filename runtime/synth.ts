// Synthetic multi-task regression data with a controlled task correlation, following the recipe of
// the MMoE paper (Ma et al., KDD 2018, §3.2):
//   u1 ⊥ u2 unit vectors in R^d;  w1 = c·u1;  w2 = c·(p·u1 + √(1−p²)·u2)
//   x ~ N(0, I_d);  y_k = w_kᵀx + Σ_{i=1..m} sin(α_i·w_kᵀx + β_i) + ε,  ε ~ N(0, 0.01²)
// α_i, β_i ~ N(0, 1) are drawn once per data set (shared by both tasks and every split), so p is
// the cosine of w1 and w2, which is the Pearson correlation of the noiseless linear parts w_kᵀx.
// Every draw comes from the runtime's seeded generator (base/random.ts) on its own
// stream, so a seed gives byte-identical files on every machine.

import { closeSync, openSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Random } from "../base/random.js";
import { PARQUET_CHUNK_ROWS, writeParquetStream } from "./data/write-parquet.js";
import { makeDirs } from "../base/make-dirs.js";

/** The generator's settings; the defaults are SYNTH_DEFAULTS. */
export interface SynthOptions {
  /** Task correlation p in [-1, 1]: the cosine of w1 and w2. */
  correlation: number;
  /** Input dimension d. */
  dim: number;
  /** Scale c of the weight vectors. */
  scale: number;
  /** Number m of sine terms. */
  sines: number;
  /** Standard deviation of the label noise ε. */
  noise: number;
  /** Rows of the train, valid and test splits. */
  rows: { train: number; valid: number; test: number };
  seed: number;
}

export const SYNTH_DEFAULTS: SynthOptions = { correlation: 0.5, dim: 100, scale: 1, sines: 10, noise: 0.01, rows: { train: 10000, valid: 1000, test: 1000 }, seed: 1 };

/** Independent streams of one seed, so that more rows never change the directions or the sines. */
const SYNTH_STREAM = 77;
const PART = { directions: 1, sines: 2, train: 3, valid: 4, test: 5 } as const;

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** The fixed part of a synthetic problem: the task weight vectors and the sine parameters. */
export interface SynthProblem {
  w1: Float64Array;
  w2: Float64Array;
  alpha: Float64Array;
  beta: Float64Array;
}

/** Draws u1 ⊥ u2 (Gram–Schmidt on two Gaussian vectors), w1, w2, and α, β. */
export function synthProblem(o: SynthOptions): SynthProblem {
  if (!(o.correlation >= -1 && o.correlation <= 1)) throw new RangeError(`the correlation must lie in [-1, 1], got ${o.correlation}`);
  if (!(Number.isInteger(o.dim) && o.dim >= 2)) throw new RangeError(`the dimension must be a whole number of at least 2, got ${o.dim}`);
  const rng = Random.stream(o.seed, SYNTH_STREAM, PART.directions);
  const d = o.dim;
  const a = Float64Array.from({ length: d }, () => rng.normal());
  const b = Float64Array.from({ length: d }, () => rng.normal());
  const na = Math.sqrt(dot(a, a));
  const u1 = a.map((v) => v / na);
  const proj = dot(b, u1);
  const r = b.map((v, i) => v - proj * u1[i]!);
  const nr = Math.sqrt(dot(r, r));
  const u2 = r.map((v) => v / nr);
  const p = o.correlation;
  const q = Math.sqrt(1 - p * p);
  const w1 = u1.map((v) => o.scale * v);
  const w2 = u1.map((v, i) => o.scale * (p * v + q * u2[i]!));
  const sr = Random.stream(o.seed, SYNTH_STREAM, PART.sines);
  const alpha = Float64Array.from({ length: o.sines }, () => sr.normal());
  const beta = Float64Array.from({ length: o.sines }, () => sr.normal());
  return { w1, w2, alpha, beta };
}

/** One split: x [rows, dim] row-major and the two labels. */
export interface SynthSplit {
  x: Float64Array;
  y1: Float64Array;
  y2: Float64Array;
}

/** The label of one task for one example: wᵀx + Σ sin(α_i wᵀx + β_i) + ε. */
function label(wx: number, problem: SynthProblem, eps: number): number {
  let y = wx;
  for (let i = 0; i < problem.alpha.length; i++) y += Math.sin(problem.alpha[i]! * wx + problem.beta[i]!);
  return y + eps;
}

/** Draws `rows` examples of a split from its own stream. */
export function synthSplit(problem: SynthProblem, o: SynthOptions, split: "train" | "valid" | "test", rows: number): SynthSplit {
  return synthChunks(problem, o, split, rows, rows).next().value ?? { x: new Float64Array(0), y1: new Float64Array(0), y2: new Float64Array(0) };
}

/** The examples of synthSplit in chunks of at most `chunk` rows (the same draws, bounded memory). */
export function* synthChunks(problem: SynthProblem, o: SynthOptions, split: "train" | "valid" | "test", rows: number, chunk: number): Generator<SynthSplit> {
  const rng = Random.stream(o.seed, SYNTH_STREAM, PART[split]);
  const d = o.dim;
  for (let from = 0; from < rows; from += chunk) {
    const n = Math.min(chunk, rows - from);
    const x = new Float64Array(n * d);
    const y1 = new Float64Array(n);
    const y2 = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const row = x.subarray(r * d, r * d + d);
      for (let i = 0; i < d; i++) row[i] = rng.normal();
      y1[r] = label(dot(problem.w1, row), problem, o.noise * rng.normal());
      y2[r] = label(dot(problem.w2, row), problem, o.noise * rng.normal());
    }
    yield { x, y1, y2 };
  }
}

/** A number as written to the CSV: 7 significant digits, enough for float32 training, and stable text. */
export function formatValue(v: number): string {
  return String(roundValue(v));
}

/** 10^k for k = 0..22, each exact in a double. */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * `v` rounded to 7 significant digits: the double `Number(v.toPrecision(7))`, which is what a
 * reader of formatValue's text gets back. Written out because toPrecision is most of the time of
 * writing a large file. With e the decimal exponent of |v| and k = 6 − e, m = |v|·10^k lies in
 * [10^6, 10^7) and the digits are n = round(m), the value n / 10^k: 10^k is exact for |k| ≤ 22, so
 * m is |v|·10^k rounded once (off by at most 10^7 · 2^−53 ≈ 1.1e−9) and n / 10^k is the double
 * nearest n·10^−k, as parsing the digits gives. n is then right unless m lies within that error of
 * a half-integer; this falls back to toPrecision within 1e-6 of one, and when k is out of range or
 * m out of [10^6, 10^7) (log10 rounded across a power of ten).
 */
export function roundValue(v: number): number {
  const a = Math.abs(v);
  const k = 6 - Math.floor(Math.log10(a));
  if (a > 0 && k >= -22 && k <= 22) {
    const m = k >= 0 ? a * POW10[k]! : a / POW10[-k]!;
    const n = Math.round(m);
    if (m >= 1e6 && m < 1e7 && Math.abs(m - Math.floor(m) - 0.5) > 1e-6) {
      const r = k >= 0 ? n / POW10[k]! : n * POW10[-k]!;
      return v < 0 ? -r : r;
    }
  }
  // toPrecision writes -0 as "0".
  return Number(v.toPrecision(7));
}

/** The column names of the data: x0..x{d-1}, y1, y2. */
const columnNames = (dim: number): string[] => [...Array.from({ length: dim }, (_, i) => `x${i}`), "y1", "y2"];

/** The CSV text of a split: header x0..x{d-1},y1,y2, one line per example. */
export function splitCsv(split: SynthSplit, dim: number): string {
  return columnNames(dim).join(",") + "\n" + csvRows(split, dim);
}

/** The CSV lines of a split's examples, without the header. */
function csvRows(split: SynthSplit, dim: number): string {
  const lines: string[] = [];
  const rows = split.y1.length;
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let i = 0; i < dim; i++) cells.push(formatValue(split.x[r * dim + i]!));
    cells.push(formatValue(split.y1[r]!), formatValue(split.y2[r]!));
    lines.push(cells.join(","));
  }
  return lines.length > 0 ? lines.join("\n") + "\n" : "";
}

/** What writeSynth wrote. */
export interface SynthWritten {
  files: { train: string; valid: string; test: string };
  problem: SynthProblem;
}

/** Rows generated and written at a time, so any row count fits in memory. */
const CHUNK_ROWS = 10_000;

/** Writes train.csv, valid.csv and test.csv into `dir` (created if needed), a chunk of rows at a time. */
export function writeSynth(dir: string, o: SynthOptions): SynthWritten {
  const problem = synthProblem(o);
  makeDirs(dir);
  const files = { train: join(dir, "train.csv"), valid: join(dir, "valid.csv"), test: join(dir, "test.csv") };
  for (const split of ["train", "valid", "test"] as const) {
    // Written beside the target and renamed into place, so an interrupted run leaves no short file.
    const temp = `${files[split]}.${process.pid}.tmp`;
    const fd = openSync(temp, "w");
    try {
      writeSync(fd, columnNames(o.dim).join(",") + "\n");
      for (const chunk of synthChunks(problem, o, split, o.rows[split], CHUNK_ROWS)) writeSync(fd, csvRows(chunk, o.dim));
    } finally {
      closeSync(fd);
    }
    renameSync(temp, files[split]);
  }
  return { files, problem };
}

/**
 * Writes train.parquet, valid.parquet and test.parquet: the rows of writeSynth's CSV files, column
 * by column (x0..x{d-1}, y1, y2, every one a DOUBLE), each value the double its CSV text reads
 * back as (roundValue), so either format loads to the same data; no CSV is written.
 */
export async function writeSynthParquet(dir: string, o: SynthOptions): Promise<SynthWritten> {
  const problem = synthProblem(o);
  makeDirs(dir);
  const files = { train: join(dir, "train.parquet"), valid: join(dir, "valid.parquet"), test: join(dir, "test.parquet") };
  const d = o.dim;
  for (const split of ["train", "valid", "test"] as const) {
    const chunks = synthChunks(problem, o, split, o.rows[split], PARQUET_CHUNK_ROWS);
    await writeParquetStream(files[split], columnNames(d), () => {
      const next = chunks.next();
      if (next.done) return undefined;
      const { x, y1, y2 } = next.value;
      const n = y1.length;
      const columns = Array.from({ length: d + 2 }, () => new Float64Array(n));
      for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) columns[i]![r] = roundValue(x[r * d + i]!);
      for (let r = 0; r < n; r++) {
        columns[d]![r] = roundValue(y1[r]!);
        columns[d + 1]![r] = roundValue(y2[r]!);
      }
      return columns;
    });
  }
  return { files, problem };
}

/** The cosine of two vectors (the correlation of the linear parts: x ~ N(0, I) gives corr(w1ᵀx, w2ᵀx) = cos(w1, w2)). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
}
