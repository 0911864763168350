// Writes a table of text and float32 columns as one Parquet file through DuckDB. DuckDB writes
// into a private temporary folder; the bytes then replace the target atomically (base/atomic-write.ts),
// so a failed write leaves nothing behind.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../../base/atomic-write.js";
import { duckdb, sqlName, sqlString } from "./duckdb.js";

/** One output column: text cells (empty = null) or float32 values. */
export type OutputColumn = { name: string; text: readonly string[] } | { name: string; float: ArrayLike<number> };

/** Writes `columns` (all of `rows` rows) to `path` as Parquet. */
export async function writeParquet(path: string, columns: readonly OutputColumn[], rows: number): Promise<void> {
  const c = await duckdb();
  const table = sqlName(`mssmc_out_${process.pid}`);
  const types = columns.map((col) => `${sqlName(col.name)} ${"text" in col ? "VARCHAR" : "FLOAT"}`);
  const dir = mkdtempSync(join(tmpdir(), "mssmc-parquet-"));
  try {
    await c.run(`CREATE OR REPLACE TEMP TABLE ${table} (${types.join(", ")})`);
    const appender = await c.createAppender(table.slice(1, -1));
    for (let r = 0; r < rows; r++) {
      for (const col of columns) {
        if ("float" in col) appender.appendFloat(col.float[r]!);
        else if (col.text[r] === "") appender.appendNull();
        else appender.appendVarchar(col.text[r]!);
      }
      appender.endRow();
    }
    appender.closeSync();
    const temp = join(dir, "out.parquet");
    await c.run(`COPY ${table} TO ${sqlString(temp)} (FORMAT parquet)`);
    writeFileAtomic(path, readFileSync(temp));
  } finally {
    await c.run(`DROP TABLE IF EXISTS ${table}`);
    rmSync(dir, { recursive: true, force: true });
  }
}
