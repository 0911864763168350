// When `mssmc train` streams without being told to (docs/design.md, "Data", Streaming): when the
// training data's estimated in-memory size exceeds half of the memory the system has free.
// The estimate is deliberately rough: loading holds a cell in about 24 bytes at its peak (a
// 500,000-row, 102-column Parquet file peaked at 1.22 GB RSS, bench/RESULTS.md), so a Parquet
// file counts 24 bytes per row and column read (rows from its metadata), and a text file, whose
// cells take about 8 bytes on disk, 3 bytes per byte of file (12 for a .gz file).

import { statSync } from "node:fs";
import { freemem } from "node:os";
import type { Spec } from "../../compiler/index.js";
import { runOrExplain, sqlString } from "./duckdb.js";
import type { DataSource } from "./source.js";

/** Bytes an in-memory load holds per cell at its peak. */
export const BYTES_PER_CELL = 24;

/** The estimated peak bytes of loading `source` into memory for `spec`. */
export async function estimatedLoadBytes(spec: Spec, source: DataSource): Promise<number> {
  const columns = new Set([...spec.fields.map((f) => f.column), ...spec.tasks.flatMap((t) => [t.label, ...(t.sample_weight !== undefined ? [t.sample_weight] : [])])]).size;
  if (source.format === "parquet") {
    let rows = 0;
    for (const { path } of source.files) {
      rows += await runOrExplain(path, "cannot read the file's Parquet metadata", async (c) => {
        const r = await c.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata(${sqlString(path)})`);
        return Number(r.getRowsJS()[0]?.[0] ?? 0);
      });
    }
    return rows * columns * BYTES_PER_CELL;
  }
  let bytes = 0;
  for (const { path } of source.files) {
    try {
      bytes += statSync(path).size * (path.endsWith(".gz") ? 12 : 3);
    } catch {
      // A file that cannot be read is reported by its reader.
    }
  }
  return bytes;
}

/** The reason to stream `source` although --stream was not given, or undefined when it fits: its estimate above half of the free memory. */
export async function streamReason(spec: Spec, source: DataSource, free = freemem()): Promise<string | undefined> {
  const estimate = await estimatedLoadBytes(spec, source);
  if (estimate <= free / 2) return undefined;
  const gb = (x: number): string => `${(x / 1e9).toFixed(1)} GB`;
  return `loading it would take about ${gb(estimate)}, more than half of the ${gb(free)} of free memory`;
}
