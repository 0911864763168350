// Reads Parquet and JSON-lines files through DuckDB into the rows of text cells that delimited
// files give (docs/design.md, "Data"): a number column's value as the shortest text that reads
// back to it, a whole-number or boolean column as DuckDB writes it in a CSV, a list as its
// elements joined by the field's separator, a null as an empty (missing) cell. So a copy of
// the same rows in any format encodes to the same data. Column types are checked against the
// fields first, once per source, so a mismatch is one line rather than a bad cell per row.

import { pickColumns, type ColumnUse } from "./csv.js";
import { duckdb, duckdbReason, isDuckDBError, sqlName, sqlString } from "./duckdb.js";
import type { DataSource } from "./data-source.js";
import { UserError } from "../../base/user-error.js";

/** One row of a source: its file, its place there and the cells of the requested columns. */
export interface SourceRow {
  file: string;
  /** The file line for delimited text; the 1-based row number in the file for Parquet and JSON (a JSON line's line). */
  line: number;
  cells: string[];
  /** For the columns asked for `asValue` (ColumnUse.type), their numbers (null: missing) in place of text; their cells are then empty. */
  values?: (number | null | undefined)[];
}

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

/** The SQL table function that reads `source`'s files with their file name and row number. */
function tableFunction(source: DataSource): string {
  const files = `[${source.files.map((f) => sqlString(f.path)).join(", ")}]`;
  const hive = source.files.some((f) => f.partition.length > 0);
  const common = `filename = '__mssmc_file', hive_partitioning = ${hive}`;
  return source.format === "parquet" ? `read_parquet(${files}, ${common}, file_row_number = true)` : `read_json(${files}, format = 'auto', ${common})`;
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

/** Reads the rows of a Parquet or JSON-lines source, keeping only `columns`, as text cells; of a one-file Parquet source, only the rows in `range` when given. */
export async function* readTable(source: DataSource, columns: readonly ColumnUse[], range?: RowRange): AsyncGenerator<SourceRow> {
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
  const exprs = columns.map(({ column, usedBy, type = { kind: "text" } }) => {
    const has = schema.get(column)!;
    if (!fits(has, type.kind)) throw new UserError(`${first}: column "${column}" is ${has}, but ${usedBy} needs ${NEEDS[type.kind]}`, "column-type");
    const col = sqlName(column);
    if (type.kind === "number") return `CAST(${col} AS DOUBLE)`;
    if (type.kind === "tokens" && has.endsWith("[]")) return `array_to_string(${col}, ${sqlString(type.separator)})`;
    return `CAST(${col} AS VARCHAR)`;
  });
  const numeric = columns.map((u) => u.type?.kind === "number");
  const asValue = columns.map((u) => u.type?.kind === "number" && u.type.asValue === true);
  const anyValue = asValue.includes(true);
  const position = source.format === "parquet" ? "file_row_number" : "NULL";
  const where = range && source.format === "parquet" ? ` WHERE file_row_number >= ${range.from} AND file_row_number < ${range.to}` : "";
  const sql = `SELECT __mssmc_file, ${position}, ${exprs.join(", ")} FROM ${from}${where}`;
  // JSON lines have no row number of DuckDB's: rows are counted per file, in file order.
  const seen = new Map<string, number>();
  try {
    const result = await c.stream(sql);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const vectors = Array.from({ length: columns.length + 2 }, (_, j) => chunk.getColumnVector(j));
      for (let r = 0; r < chunk.rowCount; r++) {
        const file = vectors[0]!.getItem(r) as string;
        const at = vectors[1]!.getItem(r);
        const line = at === null ? (seen.set(file, (seen.get(file) ?? 0) + 1), seen.get(file)!) : Number(at) + 1;
        const cells = new Array<string>(columns.length);
        const values = anyValue ? new Array<number | null | undefined>(columns.length) : undefined;
        for (let j = 0; j < columns.length; j++) {
          const v = vectors[j + 2]!.getItem(r);
          if (asValue[j]) {
            values![j] = v as number | null;
            cells[j] = "";
          } else cells[j] = v === null ? "" : numeric[j] ? String(v) : (v as string).trim();
        }
        yield values ? { file, line, cells, values } : { file, line, cells };
      }
    }
  } catch (e) {
    if (!isDuckDBError(e)) throw e;
    throw unreadable(source, e);
  }
}
