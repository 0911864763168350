import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTrainingData } from "../../runtime/data/dataset.js";
import { duckdb, sqlString } from "../../runtime/data/duckdb.js";
import { SYNTH_DEFAULTS, writeSynth, writeSynthParquet } from "../../runtime/synth.js";
import { specOf } from "./data/helpers.js";

// `mssmc synth --format parquet` writes the rows of the CSV files, as doubles: loading either gives
// the same data, and the file holds the bytes DuckDB writes when it converts the CSV itself.

describe("synthetic data as Parquet", () => {
  it("encodes exactly as the CSV of the same seed, with no CSV left beside it", async () => {
    const options = { ...SYNTH_DEFAULTS, dim: 4, rows: { train: 25_003, valid: 7, test: 5 }, seed: 4 };
    const csvDir = mkdtempSync(join(tmpdir(), "mssmc-synth-csv-"));
    const parquetDir = mkdtempSync(join(tmpdir(), "mssmc-synth-parquet-"));
    const csv = writeSynth(csvDir, options);
    const parquet = await writeSynthParquet(parquetDir, options);
    expect(existsSync(join(parquetDir, "train.csv"))).toBe(false);
    const spec = specOf("x0 numeric\nx1 numeric\nx2 numeric\nx3 numeric", "y1 regression(label: y1)\ny2 regression(label: y2)");
    const a = await loadTrainingData(spec, csv.files.train);
    const b = await loadTrainingData(spec, parquet.files.train);
    expect(b.train.rows).toBe(25_003);
    expect([b.train.fields, b.train.labels, b.preprocessing]).toEqual([a.train.fields, a.train.labels, a.preprocessing]);
    const converted = join(csvDir, "converted.parquet");
    const types = ["x0", "x1", "x2", "x3", "y1", "y2"].map((c) => `${sqlString(c)}: 'DOUBLE'`).join(", ");
    await (await duckdb()).run(`COPY (SELECT * FROM read_csv(${sqlString(csv.files.train)}, header = true, auto_detect = false, delim = ',', columns = {${types}})) TO ${sqlString(converted)} (FORMAT parquet)`);
    expect(readFileSync(parquet.files.train).equals(readFileSync(converted))).toBe(true);
    expect(readdirSync(parquetDir).sort()).toEqual(["test.parquet", "train.parquet", "valid.parquet"]);
  });
});
