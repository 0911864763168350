import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDataLoad, measureDataLoad } from "../../bench/data-load.js";

// Keeps bench/data-load.ts from rotting: one round, every format read whole and encoded as the CSV.

describe("data loading benchmark", () => {
  it("reads Adult in every format to the CSV's encoded data and prints the table", async () => {
    const rows = await measureDataLoad(1, mkdtempSync(join(tmpdir(), "mssmc-bench-data-")));
    expect(rows.map((r) => [r.name, r.rows, r.same])).toEqual([
      ["CSV, delimiter sniffed", 32561, true],
      ["CSV, --delimiter ,", 32561, true],
      ["CSV gzip (bundled copy)", 32561, true],
      ["TSV", 32561, true],
      ["Parquet", 32561, true],
      ["JSON lines", 32561, true],
      ["DuckDB read_csv (not used)", 32561, undefined],
    ]);
    const lines = formatDataLoad(rows, 1);
    expect(lines[1]).toMatch(/^format +rows +read ms +read\+encode ms +same data as CSV$/);
    expect(lines).toHaveLength(9);
  }, 120_000);
});
