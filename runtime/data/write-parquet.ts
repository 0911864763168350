// Writes Parquet files through DuckDB: a table of text and float32 columns held in memory (the
// predictions), or a stream of double columns of any length (synthetic data). Either way a failed
// write leaves nothing behind: the small table's bytes replace the target atomically
// (base/atomic-write.ts); the stream is written beside the target and renamed over it.

import bindings from "@duckdb/node-bindings";
import { DOUBLE, DuckDBTableFunction } from "@duckdb/node-api";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { writeFileAtomic } from "../../base/atomic-write.js";
import { invariant } from "../../base/source/diagnostic.js";
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

/** Rows DuckDB takes from a table function at a time (its vector size). */
export const PARQUET_CHUNK_ROWS = 2048;

let streams = 0;

/**
 * Writes the double columns `names` to `path` as Parquet, `next()` giving the next run of at most
 * PARQUET_CHUNK_ROWS rows (one Float64Array per column, all of one length) until it gives
 * undefined. DuckDB pulls the runs through a table function and encodes each in its own thread;
 * the run after it is made meanwhile (the JavaScript thread is idle then), so making and encoding
 * overlap. Memory holds two runs and DuckDB's row group being written, whatever the length.
 */
export async function writeParquetStream(path: string, names: readonly string[], next: () => Float64Array[] | undefined): Promise<void> {
  const c = await duckdb();
  const name = `mssmc_stream_${process.pid}_${++streams}`;
  // The run made ahead (absent: none yet), or what stopped making it.
  let ahead: { columns: Float64Array[] | undefined } | { failure: unknown } | undefined;
  const make = (): void => {
    try {
      ahead = { columns: next() };
    } catch (failure) {
      ahead = { failure };
    }
  };
  let failure: unknown;
  c.registerTableFunction(
    DuckDBTableFunction.create({
      name,
      bindFunction: (info) => {
        for (const column of names) info.addResultColumn(column, DOUBLE);
      },
      initFunction: () => undefined,
      mainFunction: (info, output) => {
        if (ahead === undefined) make();
        const run = ahead!;
        ahead = undefined;
        if ("failure" in run) {
          failure ??= run.failure;
          info.setError(run.failure instanceof Error ? run.failure.message : String(run.failure));
          return;
        }
        const columns = run.columns;
        const rows = columns?.[0]?.length ?? 0;
        invariant(rows <= PARQUET_CHUNK_ROWS && (columns === undefined || (columns.length === names.length && columns.every((x) => x.length === rows))), "writeParquetStream: a run has too many rows or columns of unequal lengths.");
        // Zero rows ends the scan.
        output.rowCount = rows;
        columns?.forEach((x, j) => bindings.copy_data_to_vector(bindings.data_chunk_get_vector(output.chunk, j), 0, x.buffer as ArrayBuffer, x.byteOffset, x.byteLength));
        if (columns) setImmediate(() => ahead ?? make());
      },
    }),
  );
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await c.run(`COPY (SELECT * FROM ${name}()) TO ${sqlString(temp)} (FORMAT parquet)`);
    renameSync(temp, path);
  } catch (e) {
    throw failure ?? e;
  } finally {
    rmSync(temp, { force: true });
  }
}
