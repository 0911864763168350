// The fitting pass of streamed training (docs/design.md, "Data", Streaming): the training file is
// read once, in file order, a chunk of rows at a time through the in-memory reader (read-raw.ts),
// and what fitting needs is accumulated across chunks: each categorical or multi-hot value's count, each numeric field's running mean and variance (the same Welford updates in the
// same order, so the same bits), the labels and sample weights (4 bytes a row and task, kept for
// the label checks and the regression bias), the label census and the load report. Nothing
// else of a row outlives its chunk.

import type { Field, Spec } from "../../compiler/index.js";
import { UserError } from "../../base/user-error.js";
import type { ColumnUse } from "./csv.js";
import { fieldVocab, missingLabelCounts, valueCounts, type FieldState, type LabelColumn, type LoadReport, type Preprocessing, type TrainingData } from "./dataset.js";
import { BadRows, KEPT_BAD_ROWS } from "./errors.js";
import { LabelCensus } from "./label-kind.js";
import { NumericAccumulator } from "./numeric.js";
import { readRaw } from "./read-raw.js";
import { rowRuns } from "./row-chunk.js";
import { readSource, resolveSource, type DataSource } from "./source.js";
import { VocabIndex } from "./vocab.js";

/** Rows read into memory at a time by the fitting pass. */
export const FIT_CHUNK_ROWS = 1 << 16;

/** What the fitting pass gives: TrainingData's shape, with a training "dataset" of labels and weights only (its `fields` empty, `lines` empty), and the source to stream batches from. */
export interface StreamedTrainingData extends TrainingData {
  source: DataSource;
}

/** The options of the fitting pass (those of loadTrainingData that apply: no validation split). */
export interface StreamFitOptions {
  skipBadRows?: boolean;
  delimiter?: string;
  /** Rows per chunk (default FIT_CHUNK_ROWS); smaller in tests. */
  chunkRows?: number;
}

/** A growable typed array of labels or weights. */
class Column<T extends Float32Array | Int32Array> {
  length = 0;
  constructor(public data: T) {}
  append(xs: T): void {
    if (this.length + xs.length > this.data.length) {
      const bigger = new (this.data.constructor as new (n: number) => T)(Math.max(2 * this.data.length, this.length + xs.length));
      bigger.set(this.data.subarray(0, this.length));
      this.data = bigger;
    }
    this.data.set(xs, this.length);
    this.length += xs.length;
  }
  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/** One pass over the training file `file`: the preprocessing, labels, census and report that loadTrainingData would give with no validation split. */
export async function fitStream(spec: Spec, file: string, options: StreamFitOptions = {}): Promise<StreamedTrainingData> {
  const source = await resolveSource(file);
  const shared = new BadRows(options.skipBadRows ?? false);
  // Hands readRaw the next chunk of rows of the one stream over the source (opened once readRaw names its columns).
  let runs: ReturnType<typeof rowRuns> | undefined;
  const chunk = (columns: readonly ColumnUse[]) => (runs ??= rowRuns(readSource(source, columns, shared, options.delimiter), options.chunkRows ?? FIT_CHUNK_ROWS)).next();

  const numeric = new Map(spec.fields.filter((f) => f.kind === "numeric").map((f) => [f.name, new NumericAccumulator()]));
  // Hashed fields need no counts (and may have more values than memory holds).
  const counts = new Map(spec.fields.filter((f) => f.kind !== "numeric" && f.hash_buckets === undefined).map((f) => [f.name, new Map<string, number>()]));
  const labels = new Map(spec.tasks.map((t) => [t.name, new Column(t.kind === "multiclass" ? new Int32Array(1024) : new Float32Array(1024))] as [string, Column<Float32Array | Int32Array>]));
  const weights = new Map<string, Column<Float32Array>>();
  const labelValues = new Map(spec.tasks.map((t) => [t.name, new LabelCensus()]));
  const imputed: Record<string, number> = Object.fromEntries(spec.fields.map((f) => [f.name, 0]));
  let count = 0;
  let badRows = 0;
  const firstBadRows: string[] = [];
  while (!runs?.ended()) {
    const raw = await readRaw(spec, file, { skipBadRows: options.skipBadRows ?? false, read: (columns) => chunk(columns), expectedRows: options.chunkRows ?? FIT_CHUNK_ROWS });
    const n = raw.lines.length;
    count += n;
    badRows += raw.badRows.count;
    firstBadRows.push(...raw.badRows.first);
    for (const [name, col] of raw.fields) {
      if (col.kind === "numeric") {
        const acc = numeric.get(name)!;
        for (const x of col.values) acc.add(x);
      } else if (col.kind !== "standardized") {
        const into = counts.get(name);
        if (into) for (const [v, c] of valueCounts(col, n)) into.set(v, (into.get(v) ?? 0) + c);
      }
    }
    for (const [task, y] of raw.labels) labels.get(task)!.append(y);
    for (const [task, w] of raw.weights) {
      if (!weights.has(task)) weights.set(task, new Column(new Float32Array(1024)));
      weights.get(task)!.append(w);
    }
    for (const [task, census] of raw.labelValues) labelValues.get(task)!.merge(census);
    for (const [name, m] of raw.missing) imputed[name]! += m;
  }
  badRows += shared.count;
  firstBadRows.push(...shared.first);
  if (count === 0) throw new UserError(`${file}: no data rows to train on${badRows > 0 ? ` (all ${badRows} were bad)` : ""}`, "no-rows");

  const fields: Record<string, FieldState> = {};
  const unknown: Record<string, number> = {};
  for (const f of spec.fields) {
    if (f.kind === "numeric") {
      fields[f.name] = { kind: "numeric", stats: numeric.get(f.name)!.stats((f as Extract<Field, { kind: "numeric" }>).transform) };
      continue;
    }
    const seen = counts.get(f.name) ?? new Map<string, number>();
    const vocab = fieldVocab(f, () => seen);
    fields[f.name] = { kind: f.kind, vocab };
    const index = new VocabIndex(vocab);
    let u = 0;
    for (const [v, c] of seen) if (index.unknown(v)) u += c;
    unknown[f.name] = u;
  }
  const preprocessing: Preprocessing = { fields };
  const labelColumns: Record<string, LabelColumn> = Object.fromEntries([...labels].map(([t, c]) => [t, c.done()]));
  const weightColumns = Object.fromEntries([...weights].map(([t, c]) => [t, c.done()]));
  const report: LoadReport = { file, rows: count, badRows, firstBadRows: firstBadRows.slice(0, KEPT_BAD_ROWS), imputed, unknown, missingLabels: missingLabelCounts(labelColumns) };
  return {
    source,
    train: { file, rows: count, lines: new Int32Array(0), fields: {}, labels: labelColumns, ...(weights.size > 0 ? { weights: weightColumns } : {}) },
    valid: undefined,
    preprocessing,
    report,
    labelValues,
  };
}
