// Reads Parquet and JSON-lines files through DuckDB, a data chunk at a time, into the column
// chunks every reader gives (row-chunk.ts; docs/design.md, "Data"): a number column as DuckDB's
// doubles and validity bits, copied out of the chunk whole; any other column as text cells (a
// whole-number or boolean column as DuckDB writes it in a CSV, a list as its elements joined by the
// field's separator, a null as an empty (missing) cell). So a copy of the same rows in any format
// encodes to the same data. Column types are checked against the fields first, once per source,
// so a mismatch is one line rather than a bad cell per row.

import bindings from "@duckdb/node-bindings";
import type { DuckDBDataChunk } from "@duckdb/node-api";
import { endianness } from "node:os";
import { invariant } from "../../base/source/diagnostic.js";
import { pickColumns, type ColumnUse } from "./csv.js";
import { duckdb, duckdbReason, isDuckDBError, sqlName, sqlString } from "./duckdb.js";
import type { DataSource } from "./data-source.js";
import { sliceChunk, type ChunkColumn, type RowChunk } from "./row-chunk.js";
import { UserError } from "../../base/user-error.js";

const WHOLE = /^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/;
const NUMBER = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\))$/;
const TEXT = /^(VARCHAR|BOOLEAN|ENUM\(.*\)|NULL)$/;

/** Whether a column of DuckDB type `type` can feed a reader that needs `need`. */
function fits(type: string, need: NonNullable<ColumnUse["type"]>["kind"]): boolean {
  const text = TEXT.test(type) || WHOLE.test(type);
  if (need === "number") return NUMBER.test(type) || type === "NULL";
  if (need === "text") return text;
  return text || (type.endsWith("[]") && (TEXT.test(type.slice(0, -2)) || WHOLE.test(type.slice(0, -2))));
}

/** What a reader that needs `need` reads, for the type-mismatch message. */
const NEEDS = {
  number: "a number column (integer, float, double or decimal)",
  text: "a text, whole-number or boolean column",
  tokens: "a text column or a list of text or whole numbers",
} as const;

/** `source`'s file paths as a SQL list. */
const fileList = (source: DataSource): string => `[${source.files.map((f) => sqlString(f.path)).join(", ")}]`;

/**
 * The SQL table function that reads `source`'s files with their file name and row number. For
 * JSON, `columns` (the keys' types, from DESCRIBE) are given to the reader: DuckDB infers a key's
 * type from its first 20,480 lines, and would round a later 44.5 to 44 in a key it took for whole
 * numbers; `asDouble` names the keys read as numbers, which are read as DOUBLE instead.
 */
function tableFunction(source: DataSource, columns?: ReadonlyMap<string, string>, asDouble: ReadonlySet<string> = new Set()): string {
  const files = fileList(source);
  const hive = source.files.some((f) => f.partition.length > 0);
  const common = `filename = '__mssmc_file', hive_partitioning = ${hive}`;
  if (source.format === "parquet") return `read_parquet(${files}, ${common}, file_row_number = true)`;
  const partitions = new Set(source.files.flatMap((f) => f.partition.map(([key]) => key)));
  const keys = columns ? [...columns].filter(([name]) => name !== "__mssmc_file" && !partitions.has(name)) : [];
  const typed = keys.length ? `, columns = {${keys.map(([name, type]) => `${sqlString(name)}: ${sqlString(asDouble.has(name) && WHOLE.test(type) ? "DOUBLE" : type)}`).join(", ")}}` : "";
  return `read_json(${files}, format = 'auto', ${common}${typed})`;
}

/** The file a DuckDB error names, else the source's first file. */
function blamed(source: DataSource, e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return source.files.find((f) => text.includes(`"${f.path}"`) || text.includes(`'${f.path}'`))?.path ?? source.files[0]!.path;
}

/** The UserError for a file DuckDB could not read. */
function unreadable(source: DataSource, e: unknown): UserError {
  const file = blamed(source, e);
  const format = source.format === "parquet" ? "Parquet" : "JSON lines";
  return new UserError(`${file}: cannot read the file as ${format} (${duckdbReason(e, file)})`, "unreadable-file");
}

/** A run of rows of a Parquet file by their 0-based place in it: `from` up to, not including, `to`. */
export interface RowRange {
  from: number;
  to: number;
}

/** Reads the rows of a Parquet or JSON-lines source, keeping only `columns`, in chunks of one file each; of a one-file Parquet source, only the rows in `range` when given. */
export async function* readTable(source: DataSource, columns: readonly ColumnUse[], range?: RowRange): AsyncGenerator<RowChunk> {
  const c = await duckdb();
  const from = tableFunction(source);
  let schema: Map<string, string>;
  try {
    const described = await c.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
    schema = new Map(described.getRowsJS().map((r) => [String(r[0]), String(r[1])]));
  } catch (e) {
    if (!isDuckDBError(e)) throw e;
    throw unreadable(source, e);
  }
  const first = source.files[0]!.path;
  const names = [...schema.keys()].filter((n) => n !== "__mssmc_file" && n !== "file_row_number");
  pickColumns(first, names, columns);
  if (source.format === "parquet" && source.files.length > 1 && !range) await assertSameTypes(c, source, schema, columns);
  const exprs = columns.map(({ column, usedBy, type = { kind: "text" } }) => {
    const has = schema.get(column)!;
    if (!fits(has, type.kind)) throw new UserError(`${first}: column "${column}" is ${has}, but ${usedBy} needs ${NEEDS[type.kind]}`, "column-type");
    const col = sqlName(column);
    if (type.kind === "number") return `CAST(${col} AS DOUBLE)`;
    if (type.kind === "tokens" && has.endsWith("[]")) return `array_to_string(${col}, ${sqlString(type.separator)})`;
    return `CAST(${col} AS VARCHAR)`;
  });
  const numeric = columns.map((u) => u.type?.kind === "number");
  const reader = source.format === "parquet" ? from : tableFunction(source, schema, new Set(columns.filter((u) => u.type?.kind === "number").map((u) => u.column)));
  // DuckDB's file_index, unless a column of the data takes that name; then the file's place in the list.
  const fileIndex = schema.has("file_index") ? `list_position(${fileList(source)}, __mssmc_file) - 1` : "file_index";
  const position = source.format === "parquet" ? "file_row_number" : "NULL";
  const where = range && source.format === "parquet" ? ` WHERE file_row_number >= ${range.from} AND file_row_number < ${range.to}` : "";
  const sql = `SELECT CAST(${fileIndex} AS INTEGER), CAST(${position} AS INTEGER), ${exprs.join(", ")} FROM ${reader}${where}`;
  // JSON lines have no row number of DuckDB's: rows are counted per file, in file order.
  const seen = new Int32Array(source.files.length);
  let read = 0;
  try {
    const result = await c.stream(sql);
    // DuckDB makes the next chunk while this one is copied out and read (its own threads).
    let next = result.fetchChunk();
    for (;;) {
      const chunk = await next;
      if (!chunk || chunk.rowCount === 0) break;
      next = result.fetchChunk();
      // A failure is thrown where the chunk is awaited, not as an unhandled rejection.
      next.catch(() => undefined);
      const n = chunk.rowCount;
      read += n;
      const fileOf = numbers(chunk, 0, n, Int32Array);
      const lines = new Int32Array(n);
      if (source.format === "parquet") {
        const at = numbers(chunk, 1, n, Int32Array).values;
        for (let r = 0; r < n; r++) lines[r] = at[r]! + 1;
      } else for (let r = 0; r < n; r++) lines[r] = ++seen[fileOf.values[r]!]!;
      const cols = columns.map((_, j): ChunkColumn => (numeric[j] ? { kind: "number", ...numbers(chunk, j + 2, n, Float64Array) } : { kind: "text", cells: texts(chunk, j + 2, n) }));
      const whole: RowChunk = { file: "", rows: n, lines, columns: cols };
      // A chunk may hold the end of one file and the start of the next: one chunk per file.
      for (let r = 0; r < n; ) {
        const f = fileOf.values[r]!;
        let end = r + 1;
        while (end < n && fileOf.values[end] === f) end++;
        yield { ...(r === 0 && end === n ? whole : sliceChunk(whole, r, end)), file: source.files[f]!.path };
        r = end;
      }
    }
  } catch (e) {
    if (!isDuckDBError(e)) throw e;
    throw unreadable(source, e);
  }
  await assertReadWhole(source, from, sql, read, range);
}

/**
 * Throws when a later Parquet file of a source lacks a column the fields read, or types it
 * otherwise than the first file: DuckDB reads every file with the first one's types, so a later
 * file's 27.5 in a column the first holds as whole numbers would be read as 28.
 */
async function assertSameTypes(c: Awaited<ReturnType<typeof duckdb>>, source: DataSource, schema: ReadonlyMap<string, string>, columns: readonly ColumnUse[]): Promise<void> {
  const first = source.files[0]!.path;
  for (const file of source.files.slice(1)) {
    let types: Map<string, string>;
    try {
      const described = await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file.path)})`);
      types = new Map(described.getRowsJS().map((r) => [String(r[0]), String(r[1])]));
    } catch (e) {
      if (!isDuckDBError(e)) throw e;
      throw unreadable({ ...source, files: [file] }, e);
    }
    const partition = new Set(file.partition.map(([key]) => key));
    for (const { column, usedBy } of columns) {
      const here = types.get(column);
      const there = schema.get(column)!;
      // DuckDB would blame the first file for a column a later one lacks.
      if (here === undefined && !partition.has(column)) throw new UserError(`${file.path}: missing column "${column}" (read by ${usedBy}), which ${first} has.`, "missing-column");
      if (here !== undefined && here !== there) {
        throw new UserError(`${file.path}: column "${column}" is ${here} here and ${there} in ${first}; DuckDB reads every file of ${source.name} with the first file's types, which would round or fail, so write the column with one type in every file.`, "column-type");
      }
    }
  }
}

/**
 * Throws when a streamed read ended before the data did. DuckDB's streaming result does not
 * report an error met part-way (a damaged Parquet page, a JSON line it cannot read or convert):
 * its chunks just come back empty, as at the end. So after the last chunk, a Parquet read is
 * compared with the rows its metadata counts (free), and a JSON read, which has no such count, is
 * asked for the rows after those it gave; either way the rows that follow are read materialized,
 * which does throw DuckDB's error, and that error is the message (for Parquet the whole read is
 * done again that way, on this failure path only).
 */
async function assertReadWhole(source: DataSource, from: string, sql: string, read: number, range: RowRange | undefined): Promise<void> {
  const c = await duckdb();
  const rest = async (): Promise<number> => Number((await c.runAndReadAll(`${sql} LIMIT 4096 OFFSET ${read}`)).currentRowCount);
  try {
    if (source.format === "parquet") {
      const expected = range ? range.to - range.from : Number((await c.runAndReadAll(`SELECT count(*) FROM ${from}`)).getRowsJS()[0]![0]);
      if (read === expected) return;
      // The whole read again, materialized, for DuckDB's own error (a failure path only).
      await c.runAndReadAll(sql);
      throw new UserError(`${source.files[0]!.path}${source.files.length > 1 ? ` (and the other files of ${source.name})` : ""}: DuckDB read ${read.toLocaleString("en-US")} of the ${expected.toLocaleString("en-US")} rows the Parquet metadata counts, and stopped; the file may be damaged.`, "unreadable-file");
    }
    if ((await rest()) > 0) throw new UserError(`${source.files[0]!.path}${source.files.length > 1 ? ` (or another file of ${source.name})` : ""}: DuckDB stopped reading after ${read.toLocaleString("en-US")} rows, and more follow; the file may be damaged.`, "unreadable-file");
  } catch (e) {
    if (!isDuckDBError(e)) throw e;
    throw unreadable(source, e);
  }
}

invariant(endianness() === "LE", "DuckDB's vectors are read as little-endian typed arrays.");

/** Column j of a DuckDB data chunk of fixed-width numbers, copied out as a typed array, with its validity bits (null: no nulls). */
function numbers<T extends Int32Array | Float64Array>(chunk: DuckDBDataChunk, j: number, n: number, type: { new (buffer: ArrayBufferLike, offset: number, length: number): T; BYTES_PER_ELEMENT: number }): { values: T; valid: Uint8Array | null } {
  const vector = bindings.data_chunk_get_vector(chunk.chunk, j);
  const data = bindings.vector_get_data(vector, n * type.BYTES_PER_ELEMENT);
  const valid = bindings.vector_get_validity(vector, Math.ceil(n / 64) * 8) as Uint8Array | null;
  return { values: new type(data.buffer, data.byteOffset, n), valid };
}

/** Column j of a DuckDB data chunk of text, trimmed, a null as "". */
function texts(chunk: DuckDBDataChunk, j: number, n: number): string[] {
  const vector = chunk.getColumnVector(j);
  const cells = new Array<string>(n);
  for (let r = 0; r < n; r++) {
    const v = vector.getItem(r);
    cells[r] = v === null ? "" : (v as string).trim();
  }
  return cells;
}
