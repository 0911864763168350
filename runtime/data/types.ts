// The shapes of the data layer: encoded data sets, what is fitted on the training rows, and how a
// file is loaded. Their own module, so the readers (read-raw.ts) and the loader (dataset.ts) both
// use them without importing each other.

import type { ColumnUse } from "./csv.js";
import type { BadRows } from "./errors.js";
import type { NumericStats } from "./numeric.js";
import type { RowChunk } from "./row-chunk.js";
import type { Vocab } from "./vocab.js";

/** One encoded input field. */
export type FieldColumn =
  | { kind: "categorical"; ids: Int32Array }
  /** Row r's ids are ids[offsets[r] .. offsets[r + 1]); offsets has rows + 1 entries. */
  | { kind: "multi_hot"; offsets: Int32Array; ids: Int32Array }
  /** Standardized values; missing ones are 0 (the training mean). */
  | { kind: "numeric"; values: Float32Array };

/** A task's labels: 0/1 (binary) or floats (regression) as Float32Array, classes (multiclass) as Int32Array. */
export type LabelColumn = Float32Array | Int32Array;

/** An encoded data set, column by column; every array is indexed by row. */
export interface Dataset {
  file: string;
  rows: number;
  /** The file line of each row, for messages about a row. */
  lines: Int32Array;
  /** By field name. */
  fields: Record<string, FieldColumn>;
  /** By task name; empty when labels were not read. */
  labels: Record<string, LabelColumn>;
  /** By task name, each row's sample weight, for the tasks with a `sample_weight` column (when labels were read). */
  weights?: Record<string, Float32Array>;
  /** By column name, the columns asked for with `keep` (LoadOptions), as text cells. */
  kept?: Record<string, string[]>;
  /**
   * With LoadOptions.numericRows, the numeric fields as one row-major matrix [rows, numeric fields
   * in spec order], `Batch.numeric`'s layout, in place of their columns in `fields`: a batch of
   * rows in random order then copies a row's values at once instead of one from every column.
   */
  numericRows?: Float32Array;
}

/** What was fitted on the training rows for one field; plain JSON, for checkpoints and export. */
export type FieldState = { kind: "categorical" | "multi_hot"; vocab: Vocab } | { kind: "numeric"; stats: NumericStats };

/** Everything fitted on the training rows: apply it to any later file with `loadData`. */
export interface Preprocessing {
  fields: Record<string, FieldState>;
}

/** What loading a file did that the user should hear about. */
export interface LoadReport {
  file: string;
  /** Rows loaded (bad rows excluded). */
  rows: number;
  /** Rows skipped as bad (only with skipBadRows). */
  badRows: number;
  /** The messages of the first few skipped rows. */
  firstBadRows: string[];
  /** Per field: missing cells filled in (numeric: the training mean; categorical: id 0). */
  imputed: Record<string, number>;
  /** Per categorical or multi-hot field: present values with no id of their own (mapped to id 0). */
  unknown: Record<string, number>;
  /** Per task, when the labels were read: rows whose label cell is missing (they do not train or score that task). */
  missingLabels?: Record<string, number>;
}

export interface LoadOptions {
  /** Skip and count rows that cannot be encoded instead of stopping at the first (default false). */
  skipBadRows?: boolean;
  /** Read task labels (default true); false for files to predict on, which need no label columns. */
  labels?: boolean;
  /** The cell delimiter of delimited text files; absent: sniffed from each file's header line. */
  delimiter?: string;
  /** Columns to carry through as text (Dataset.kept), such as row ids for predictions. */
  keep?: readonly string[];
  /** loadData: give the numeric fields as Dataset.numericRows rather than a column each (streamed buffers, whose batches take rows in random order). */
  numericRows?: boolean;
  /** About how many rows will be read, when known (a streamed block): the raw columns are sized for them, and grow as needed. */
  expectedRows?: number;
  /** Where the rows come from instead of the file's whole source: a block of a streamed file (stream-batches.ts). */
  read?: (columns: readonly ColumnUse[], badRows: BadRows) => AsyncIterable<RowChunk>;
}

export interface TrainingLoadOptions extends LoadOptions {
  /** The fraction of rows held out for validation, chosen at random with `seed` (default 0). */
  validFraction?: number;
  /** Seed of the validation split (default 0). */
  seed?: number;
}
