import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../base/package-root.js";
import { duckdb, sqlString } from "../../runtime/data/duckdb.js";
import { SMALL_SPEC, smallCsv, tempDir } from "../runtime/helpers.js";

// The built CLI (npm test compiles with tsc before vitest) on the same rows in several formats.
const cli = join(packageRoot(), "dist", "cli", "mssmc.js");
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

async function rowsOf(file: string): Promise<unknown[][]> {
  return (await (await duckdb()).runAndReadAll(`SELECT * FROM ${sqlString(file)}`)).getRowsJS();
}

describe("mssmc on CSV, TSV and Parquet copies of the same rows", async () => {
  const dir = tempDir();
  const spec = join(dir, "small.mssm");
  writeFileSync(spec, SMALL_SPEC);
  // An id column first, then the rows of smallCsv.
  const csv = smallCsv(300)
    .trim()
    .split("\n")
    .map((line, i) => `${i === 0 ? "id" : `u${i}`},${line}`);
  writeFileSync(join(dir, "train.csv"), csv.join("\n") + "\n");
  writeFileSync(join(dir, "train.tsv"), csv.map((l) => l.replaceAll(",", "\t")).join("\n") + "\n");
  await (await duckdb()).run(`COPY (SELECT * FROM read_csv(${sqlString(join(dir, "train.csv"))}, header = true)) TO ${sqlString(join(dir, "train.parquet"))} (FORMAT parquet)`);
  const train = (data: string, out: string) => run("train", spec, "--data", join(dir, data), "--out", join(dir, out), "--epochs", "1");

  it("trains to the same bytes from each (TSV without --delimiter: sniffed)", () => {
    for (const [data, out] of [["train.csv", "run-csv"], ["train.tsv", "run-tsv"], ["train.parquet", "run-parquet"]] as const) {
      const t = train(data, out);
      expect(t.status, t.stderr).toBe(0);
    }
    const bytes = (out: string) => readFileSync(join(dir, out, "checkpoints", "last.ckpt"));
    expect(bytes("run-tsv").equals(bytes("run-csv"))).toBe(true);
    expect(bytes("run-parquet").equals(bytes("run-csv"))).toBe(true);
  });

  it("predicts with --keep, writing CSV or Parquet by the output's extension", async () => {
    const p = run("predict", join(dir, "run-csv"), "--data", join(dir, "train.parquet"), "--keep", "id,c", "-o", join(dir, "scores.parquet"));
    expect(p.status, p.stderr).toBe(0);
    const c = run("predict", join(dir, "run-csv"), "--data", join(dir, "train.tsv"), "--keep", "id,c", "-o", join(dir, "scores.csv"));
    expect(c.status, c.stderr).toBe(0);
    const fromParquet = await rowsOf(join(dir, "scores.parquet"));
    expect(fromParquet).toHaveLength(300);
    expect(fromParquet[0]!.slice(0, 2)).toEqual(["u1", csv[1]!.split(",")[2]]);
    const text = readFileSync(join(dir, "scores.csv"), "utf8").trim().split("\n");
    expect(text[0]).toBe("id,c,y,r");
    // The float32 scores of the CSV output read back to the Parquet file's floats.
    expect(text.slice(1).map((l) => l.split(",").map((v, i) => (i < 2 ? v : Math.fround(Number(v)))))).toEqual(fromParquet);
  });

  it("refuses in one line, with exit 1 and no run folder: a glob matching nothing, a column of the wrong type, a --keep column not there", async () => {
    await (await duckdb()).run(`COPY (SELECT 'x' || i AS x, 'a' AS c, 1 AS y, 0.5 AS r FROM range(5) t(i)) TO ${sqlString(join(dir, "text-x.parquet"))} (FORMAT parquet)`);
    const cases = [
      ["nothing-*.parquet", `${join(dir, "nothing-*.parquet")}: no data file matches this pattern`],
      ["text-x.parquet", `${join(dir, "text-x.parquet")}: column "x" is VARCHAR, but field "x" needs a number column (integer, float, double or decimal)`],
    ] as const;
    for (const [data, message] of cases) {
      const t = train(data, "never");
      expect([t.status, t.stderr]).toEqual([1, `mssmc: error: ${message}\n`]);
      expect(existsSync(join(dir, "never"))).toBe(false);
    }
    const p = run("predict", join(dir, "run-csv"), "--data", join(dir, "train.csv"), "--keep", "user");
    expect([p.status, p.stderr]).toEqual([1, `mssmc: error: ${join(dir, "train.csv")}:1: missing column "user" (read by --keep). The header has: id, x, c, y, r\n`]);
  });
});
