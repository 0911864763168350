// What a data argument names (runtime/data/source.ts resolves it; table.ts and csv.ts read it):
// kept apart so that the readers and the resolver do not import each other.

/** How a file is read: delimited text (csv-parse), or Parquet and JSON lines (DuckDB). */
export type DataFormat = "csv" | "parquet" | "json";

/** One file of a data source, with the hive partition values of the folders above it. */
export interface DataFile {
  path: string;
  /** `[key, value]` for each `key=value` folder between the source's root and the file, outermost first. */
  partition: [string, string][];
}

/** The files an argument names, all of one format, in sorted path order. */
export interface DataSource {
  /** The argument as given, for messages about the source as a whole. */
  name: string;
  format: DataFormat;
  files: DataFile[];
}
