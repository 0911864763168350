// The one DuckDB database of the process (in memory, opened on first use): it reads Parquet and
// JSON lines, expands globs and writes Parquet (docs/design.md, "Data"). Its errors are turned
// into one line naming the file here, so no DuckDB message with its hints reaches the user.

import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { UserError } from "../../base/user-error.js";

let connection: Promise<DuckDBConnection> | undefined;

/** The process's DuckDB connection, opened on first use. */
export function duckdb(): Promise<DuckDBConnection> {
  connection ??= DuckDBInstance.create(":memory:").then((db) => db.connect());
  return connection;
}

/** `text` as a SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `name` as a SQL identifier. */
export function sqlName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * DuckDB's reason for a failure, shortened to one line: its first line without the error class
 * ("Invalid Input Error: ") and without the file name it repeats, which the caller names first.
 */
export function duckdbReason(e: unknown, file?: string): string {
  let text = (e instanceof Error ? e.message : String(e)).split("\n")[0]!.replace(/^[A-Za-z ]*Error: /, "");
  if (file) text = text.replaceAll(` "${file}"`, "").replaceAll(` '${file}'`, "");
  return text.trim();
}

/** True for an error DuckDB raised: a plain Error (ours are UserErrors, bugs TypeErrors and the like). */
export function isDuckDBError(e: unknown): e is Error {
  return e instanceof Error && e.constructor === Error;
}

/** Runs `sql`, turning a DuckDB failure into a UserError `where: what (reason)`. */
export async function runOrExplain<T>(where: string, what: string, run: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const c = await duckdb();
  try {
    return await run(c);
  } catch (e) {
    if (!isDuckDBError(e)) throw e;
    throw new UserError(`${where}: ${what} (${duckdbReason(e, where)})`, "unreadable-file");
  }
}
