import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../base/package-root.js";
import { duckdb, sqlString } from "../../runtime/data/duckdb.js";
import { SMALL_SPEC, smallCsv, tempDir } from "../runtime/helpers.js";

// `mssmc train --stream` on the built CLI (npm test compiles with tsc before vitest): a good run,
// and bad input found by the streaming pass: one line naming file, row and column, exit 1, no run folder.
const cli = join(packageRoot(), "dist", "cli", "mssmc.js");
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 });

describe("mssmc train --stream", async () => {
  const dir = tempDir();
  const spec = join(dir, "small.mssm");
  writeFileSync(spec, SMALL_SPEC);
  const lines = smallCsv(300).trim().split("\n");
  writeFileSync(join(dir, "train.csv"), lines.join("\n") + "\n");
  // Row 150 (line 151 of the text) holds a number that is not one.
  const bad = lines.map((l, i) => (i === 151 ? l.replace(/^[^,]*/, "1.5x") : l));
  writeFileSync(join(dir, "bad.csv"), bad.join("\n") + "\n");
  const c = await duckdb();
  await c.run(`COPY (SELECT * FROM read_csv(${sqlString(join(dir, "train.csv"))}, header = true)) TO ${sqlString(join(dir, "train.parquet"))} (FORMAT parquet, ROW_GROUP_SIZE 64)`);
  // In Parquet, row 150 (1-based) holds an infinite x, which no numeric field takes.
  await c.run(`COPY (SELECT CASE WHEN file_row_number = 149 THEN 'inf'::DOUBLE ELSE x END AS x, c, y, r FROM read_parquet(${sqlString(join(dir, "train.parquet"))}, file_row_number = true)) TO ${sqlString(join(dir, "bad.parquet"))} (FORMAT parquet, ROW_GROUP_SIZE 64)`);

  it("trains from a Parquet file, saying that it streams", () => {
    const out = join(dir, "run");
    const r = run("train", spec, "--data", join(dir, "train.parquet"), "--valid", join(dir, "train.csv"), "--out", out, "--epochs", "1", "--stream");
    expect(r.stderr).toMatch(/^streaming .*train\.parquet \(--stream\)/m);
    expect(r.status).toBe(0);
    expect(existsSync(join(out, "checkpoints", "last.ckpt"))).toBe(true);
  });

  it("resumes a streamed run stopped mid-epoch to the checkpoint of the run never stopped (reading in a worker thread)", () => {
    const straight = join(dir, "straight");
    const stopped = join(dir, "stopped");
    const args = (out: string) => ["train", spec, "--data", join(dir, "train.parquet"), "--out", out, "--epochs", "2", "--batch", "16", "--stream"];
    expect(run(...args(straight)).status).toBe(0);
    expect(run(...args(stopped), "--stop-at-step", "7").status).toBe(0);
    expect(run(...args(stopped), "--resume").status).toBe(0);
    expect(readFileSync(join(stopped, "checkpoints", "last.ckpt")).equals(readFileSync(join(straight, "checkpoints", "last.ckpt")))).toBe(true);
  });

  it.each([
    ["bad.csv", "bad.csv:152:x: expected a number, found \"1.5x\""],
    ["bad.parquet", "bad.parquet:150:x: expected a number, found \"Infinity\""],
  ])("stops at a bad cell of %s: file, row and column, exit 1, no run folder", (file, message) => {
    const out = join(dir, `run-${file}`);
    const r = run("train", spec, "--data", join(dir, file), "--out", out, "--epochs", "1", "--stream");
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toBe(`mssmc: error: ${join(dir, message)}`);
    expect(existsSync(out)).toBe(false);
  });

  it("refuses to resume a run the other way than it started (streamed or in memory): the epoch order would differ", () => {
    const args = (out: string) => ["train", spec, "--data", join(dir, "train.parquet"), "--valid", join(dir, "train.csv"), "--out", out, "--epochs", "2", "--batch", "16"];
    for (const [started, resumed] of [[["--stream"], []], [[], ["--stream"]]] as const) {
      const out = join(tempDir(), "run");
      expect(run(...args(out), ...started, "--stop-at-step", "5").status).toBe(0);
      const before = readFileSync(join(out, "checkpoints", "last.ckpt"));
      const r = run(...args(out), ...resumed, "--resume");
      expect(r.status).toBe(1);
      const how = (streamed: boolean) => (streamed ? "streamed (--stream)" : "loaded in memory");
      expect(r.stderr.trim().split("\n").at(-1)).toBe(
        `mssmc: error: ${join(out, "checkpoints", "last.ckpt")}: the run started with its training data ${how(started.length > 0)} and this resume has it ${how(resumed.length > 0)}; the epoch order would differ, so resume it the way it started.`,
      );
      expect(readFileSync(join(out, "checkpoints", "last.ckpt")).equals(before)).toBe(true);
    }
  });

  it("refuses --valid-fraction with --stream", () => {
    const out = join(dir, "run-fraction");
    const r = run("train", spec, "--data", join(dir, "train.parquet"), "--valid-fraction", "0.2", "--out", out, "--stream");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("mssmc: error: --stream reads the training file as it trains and cannot hold out --valid-fraction of it; give validation rows with --valid FILE.\n");
    expect(existsSync(out)).toBe(false);
  });
});
