import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTrainingData } from "../../runtime/data/dataset.js";
import { SYNTH_DEFAULTS, writeSynth, writeSynthParquet } from "../../runtime/synth.js";
import { specOf } from "./data/helpers.js";

// `mssmc synth --format parquet` writes the rows of the CSV files, as doubles: loading either gives the same data.

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
  });
});
