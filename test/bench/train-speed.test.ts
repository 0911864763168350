import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adultTrainFile, formatLoadShare, formatVocab, formatZoo, loadShare, markdownTable, specFromText, vocabSpecText, vocabSpeed, zooSpeed } from "../../bench/train-speed.js";
import { packageRoot } from "../../base/package-root.js";

// Keeps bench/train-speed.ts from rotting: each part at tiny sizes, and the tables' shape.

const zoo = (name: string) => join(packageRoot(), "specs", "zoo", name);
const tiny = { steps: 2, warmup: 1, batch: 64, threads: 1 };

describe("train-speed benchmark", () => {
  it("prints a markdown table with right-aligned numbers", () => {
    expect(markdownTable(["a", "bb"], [["x", "1"], ["yyyy", "22"]])).toEqual(["| a    |  bb |", "|------|----:|", "| x    |   1 |", "| yyyy |  22 |"]);
  });

  it("(a) times a zoo model", async () => {
    const rows = await zooSpeed([zoo("single-task.mssm")], tiny);
    const lines = formatZoo(rows, tiny);
    expect(lines[0]).toBe("| model       | batch | threads | samples/s | median step ms | session.run ms |");
    expect(lines[2]).toMatch(/^\| single-task \|    64 \|       1 \| +[\d,]+ \| +\d+\.\d\d \| +\d+\.\d\d \|$/);
  });

  it("(b) the sweep spec checks and sizes the store's table", async () => {
    expect(specFromText(vocabSpecText(1000)).fields[0]).toMatchObject({ name: "item", kind: "categorical", hash_buckets: 1000, dim: 16 });
    const rows = await vocabSpeed([100, 1000], tiny);
    // data + Adam m and v: 3 tables of rows x 16 floats.
    expect(rows.map((r) => r.tableBytes)).toEqual([100 * 16 * 4 * 3, 1000 * 16 * 4 * 3]);
    expect(rows[0]!.uniqueRows).toBeLessThanOrEqual(64);
    const lines = formatVocab(rows, tiny);
    expect(lines[2]).toMatch(/^\| 100 +\| +0\.02 \| +\d+ \| +\d+\.\d\d \| +1\.00x \|/);
  });

  it("(c) loads Adult and trains one epoch", async () => {
    const r = await loadShare(zoo("single-task.mssm"), adultTrainFile(), { steps: 1, warmup: 1, batch: 8192, threads: 1 }, 1);
    expect(r.rows).toBe(32561);
    expect(r.steps).toBe(4);
    const lines = formatLoadShare(r, "single-task", { steps: 1, warmup: 1, batch: 8192, threads: 1 });
    expect(lines[2]).toMatch(/^\| load \+ encode adult\.data\.gz \(32,561 rows; min of 1\) \|/);
    expect(lines).toHaveLength(5);
  });
});
