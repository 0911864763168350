// What a `--data` argument names: one file, a glob, or a folder of files (hive-partitioned when its
// subfolders are named key=value). Each file's format comes from its name (docs/design.md, "Data").

import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { UserError } from "../../base/user-error.js";
import { readCsv, type ColumnUse, type CsvOptions } from "./csv.js";
import { runOrExplain, sqlString } from "./duckdb.js";
import type { BadRows } from "./errors.js";
import type { RowChunk } from "./row-chunk.js";
import { readTable } from "./table.js";

import type { DataFormat, DataSource } from "./data-source.js";

export type { DataFile, DataFormat, DataSource } from "./data-source.js";

/** The format of a file by its extension (a trailing .gz is the compression): anything not Parquet or JSON is delimited text. */
export function formatOf(path: string): DataFormat {
  const name = path.toLowerCase().replace(/\.gz$/, "");
  if (name.endsWith(".parquet") || name.endsWith(".pq")) return "parquet";
  if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) return "json";
  return "csv";
}

/** True when `arg` is a glob pattern rather than a path (a file whose name holds `[` is a path). */
const isPattern = (arg: string): boolean => /[*?[]/.test(arg) && !existsSync(arg);

/** Resolves a `--data` argument to its files; a glob matching nothing or a folder without data files is a UserError. */
export async function resolveSource(arg: string): Promise<DataSource> {
  let root: string;
  let paths: string[];
  if (isPattern(arg)) {
    root = arg.slice(0, arg.search(/[*?[]/)).replace(/[^/]*$/, "");
    paths = await runOrExplain(arg, "cannot list the files of this pattern", async (c) => {
      const r = await c.runAndReadAll(`SELECT file FROM glob(${sqlString(arg)}) ORDER BY file`);
      return r.getRowsJS().map((row) => String(row[0])).filter(isDataFile);
    });
    if (paths.length === 0) throw new UserError(`${arg}: no data file matches this pattern`, "no-files");
  } else if (isFolder(arg)) {
    root = arg;
    paths = (readdirSync(arg, { recursive: true, encoding: "utf8" }) as string[])
      .map((p) => join(arg, p))
      .filter((p) => isDataFile(p) && statSync(p).isFile())
      .sort();
    if (paths.length === 0) throw new UserError(`${arg}: is a folder with no data files in it (delimited text, Parquet or JSON lines)`, "no-files");
  } else {
    // A single path, read (or refused: missing, a pipe) by the reader of its format.
    return { name: arg, format: formatOf(arg), files: [{ path: arg, partition: [] }] };
  }
  const formats = [...new Set(paths.map(formatOf))];
  if (formats.length > 1) {
    const examples = formats.map((f) => paths.find((p) => formatOf(p) === f)!);
    throw new UserError(`${arg}: holds files of several formats (${examples.join(", ")}); name files of one format`, "mixed-formats");
  }
  return { name: arg, format: formats[0]!, files: paths.map((path) => ({ path, partition: partitionOf(root, path) })) };
}

/** Rows of delimited text per chunk. */
const TEXT_CHUNK_ROWS = 256;

/**
 * The rows of every file of `source`, in file order, keeping only `columns`, in chunks of one file
 * each: delimited text through readCsv (its delimiter given or sniffed per file), Parquet and JSON
 * lines through DuckDB.
 */
export async function* readSource(source: DataSource, columns: readonly ColumnUse[], badRows: BadRows, delimiter?: string): AsyncGenerator<RowChunk> {
  if (source.format !== "csv") {
    yield* readTable(source, columns);
    return;
  }
  for (const { path, partition } of source.files) yield* csvChunks(path, columns, badRows, { ...(delimiter !== undefined ? { delimiter } : {}), partition });
}

/**
 * The rows of one delimited file in chunks. A chunk ends before a row the CSV reader finds bad and
 * before a read that fails, and the report or the error comes after it, so that what is reported
 * first is what comes first in the file, as if rows were encoded one at a time.
 */
async function* csvChunks(path: string, columns: readonly ColumnUse[], badRows: BadRows, options: CsvOptions): AsyncGenerator<RowChunk> {
  const held: string[] = [];
  let lines: number[] = [];
  let cells: string[][] = columns.map(() => []);
  const chunk = (): RowChunk => {
    const out: RowChunk = { file: path, rows: lines.length, lines: Int32Array.from(lines), columns: cells.map((c) => ({ kind: "text", cells: c })) };
    lines = [];
    cells = columns.map(() => []);
    return out;
  };
  try {
    for await (const row of readCsv(path, columns, { report: (message) => held.push(message) }, options)) {
      // The rows the reader rejected came before this one.
      if (held.length > 0) {
        if (lines.length > 0) yield chunk();
        for (const message of held.splice(0)) badRows.report(message);
      }
      lines.push(row.line);
      for (let j = 0; j < columns.length; j++) cells[j]!.push(row.cells[j]!);
      if (lines.length === TEXT_CHUNK_ROWS) yield chunk();
    }
  } catch (e) {
    if (lines.length > 0) yield chunk();
    for (const message of held.splice(0)) badRows.report(message);
    throw e;
  }
  if (lines.length > 0) yield chunk();
  for (const message of held.splice(0)) badRows.report(message);
}

/** The `key=value` folders between `root` and `file`. */
function partitionOf(root: string, file: string): [string, string][] {
  const folders = relative(root || ".", file).split(sep).slice(0, -1);
  return folders.flatMap((f) => {
    const at = f.indexOf("=");
    return at > 0 ? [[f.slice(0, at), decodeURIComponent(f.slice(at + 1))] as [string, string]] : [];
  });
}

/** Files a listing skips: hidden ones and markers such as _SUCCESS that writers leave next to data. */
function isDataFile(path: string): boolean {
  const base = path.slice(path.lastIndexOf(sep) + 1);
  return !base.startsWith(".") && !base.startsWith("_");
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
