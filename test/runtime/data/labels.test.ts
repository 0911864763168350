import { describe, expect, it } from "vitest";
import { labelKindWarnings, loadData, loadTrainingData } from "../../../runtime/data/dataset.js";
import { dataError, specOf, tempFile } from "./helpers.js";

// Label values under `negative`, and the warnings for a label column that looks like another kind
// of label (more than two values under one-vs-rest, numbers under positive "1", 0/1 in a regression).

/** A CSV with columns a, y and one row per label value. */
const labels = (...ys: string[]): string => "a, y\n" + ys.map((y, i) => `${i}, ${y}\n`).join("");

describe("a binary task with negative values", () => {
  const spec = specOf("a numeric", 'y binary(label: y, positive: ">50K", negative: ["<=50K"])');

  it("reads positive as 1 and negative as 0", async () => {
    const r = await loadTrainingData(spec, tempFile(labels(">50K", "<=50K", "<=50K")));
    expect(r.train.labels.y).toEqual(new Float32Array([1, 0, 0]));
  });

  it("counts the rows whose label is in neither list over the whole file, naming the first and up to 5 values", async () => {
    const ys = [">50K", "<=50K", "maybe", "<=50K", "n/a", "maybe", "x1", "x2", "x3", "x4", "x4", ">50K"];
    const f = tempFile(labels(...ys));
    const e = await dataError(loadTrainingData(spec, f));
    expect([e.code, e.message]).toEqual([
      "bad-label",
      `${f}:4:y: binary task "y" has 8 rows whose label is neither positive (">50K") nor negative ("<=50K"): ` +
        `"maybe" (2 rows), "n/a" (1 row), "x1" (1 row), "x2" (1 row), "x3" (1 row), and 2 rows with other values. ` +
        "Add each value to positive or negative, or skip these rows with --skip-bad-rows.",
    ]);
    // A test or validation file is read the same way.
    const r = await loadTrainingData(spec, tempFile(labels(">50K", "<=50K")));
    const test = tempFile(labels("<=50K", "yes"));
    expect((await dataError(loadData(spec, test, r.preprocessing))).message).toBe(
      `${test}:3:y: binary task "y" has 1 row whose label is neither positive (">50K") nor negative ("<=50K"): "yes" (1 row). Add each value to positive or negative, or skip these rows with --skip-bad-rows.`,
    );
  });

  it("skips and counts them with skipBadRows; a missing label is no label for the task, not a bad row", async () => {
    const f = tempFile(labels(">50K", "maybe", "<=50K", "?", "no"));
    const r = await loadTrainingData(spec, f, { skipBadRows: true });
    expect([r.train.rows, r.report.badRows, r.train.labels.y]).toEqual([3, 2, new Float32Array([1, 0, NaN])]);
    expect(r.report.firstBadRows).toEqual([
      `${f}:3:y: expected ">50K" (positive) or "<=50K" (negative), found "maybe"`,
      `${f}:6:y: expected ">50K" (positive) or "<=50K" (negative), found "no"`,
    ]);
    const missing = tempFile(labels(">50K", "?", "maybe"));
    expect((await dataError(loadTrainingData(spec, missing))).message).toMatch(new RegExp(`^${missing}:4:y: binary task "y" has 1 row whose label is neither positive`));
  });
});

describe("label kind warnings", () => {
  const warnings = async (task: string, ...ys: string[]): Promise<string[]> => {
    const f = tempFile(labels(...ys));
    const spec = specOf("a numeric", task);
    return labelKindWarnings(spec, await loadTrainingData(spec, f)).map((w) => w.replace(f, "F"));
  };
  const marital = ["Never-married", "Married-civ-spouse", "Divorced", "Married-spouse-absent", "Separated", "Married-AF-spouse", "Widowed", "Never-married"];

  it("a binary task over more than two values: names the count and the positive ones, and spells out negative", async () => {
    expect(await warnings('y binary(label: y, positive: "Never-married")', ...marital)).toEqual([
      'F: warning: binary task "y" reads 7 distinct values in column "y"; "Never-married" counts as positive and the other 6 as negative. ' +
        'If one-vs-rest is meant, say so with negative: ["Married-civ-spouse", "Divorced", "Married-spouse-absent", "Separated", "Married-AF-spouse", "Widowed"]; ' +
        "if not, check the task's positive values and its label column.",
    ]);
    // Said explicitly, nothing to warn about; two values are no surprise.
    expect(await warnings('y binary(label: y, positive: "Never-married", negative: ["Married-civ-spouse", "Divorced", "Married-spouse-absent", "Separated", "Married-AF-spouse", "Widowed"])', ...marital)).toEqual([]);
    expect(await warnings('y binary(label: y, positive: "yes")', "yes", "no", "no")).toEqual([]);
  });

  it("a binary task with positive \"1\" over numbers other than 0 and 1: suggests regression", async () => {
    expect(await warnings("y binary(label: y)", "1", "2", "5", "1", "3")).toEqual([
      'F: warning: binary task "y" reads numbers in column "y" (4 distinct values); "1" counts as positive and the other 3 as negative. ' +
        'If the column is a quantity, declare the task regression; if one-vs-rest is meant, say so with negative: ["2", "5", "3"].',
    ]);
    expect(await warnings("y binary(label: y)", "-1", "1")).toEqual([
      'F: warning: binary task "y" reads numbers in column "y" (2 distinct values); "1" counts as positive and the other value as negative. ' +
        'If the column is a quantity, declare the task regression; if one-vs-rest is meant, say so with negative: ["-1"].',
    ]);
    expect(await warnings("y binary(label: y)", "0", "1", "1")).toEqual([]);
  });

  it("says nothing where the labels are an error already (one class)", async () => {
    expect(await warnings("y binary(label: y)", "2", "3", "5")).toEqual([]);
    expect(await warnings('y binary(label: y, positive: ["a", "b", "c"])', "a", "b", "c")).toEqual([]);
  });

  it("a column with more than 1000 distinct values is counted up to there", async () => {
    const ys = Array.from({ length: 2400 }, (_, i) => (i % 2 ? "1" : `${i * 7}.5`));
    expect(await warnings("y binary(label: y)", ...ys)).toEqual([
      'F: warning: binary task "y" reads numbers in column "y" (more than 1000 distinct values); "1" counts as positive and the other values as negative. ' +
        'If the column is a quantity, declare the task regression; if one-vs-rest is meant, say so with negative: ["0.5", "14.5", "28.5", "42.5", "56.5", "70.5", "84.5", "98.5", "112.5", "126.5", ...].',
    ]);
  });

  it("a regression task over just 0 and 1: suggests binary", async () => {
    expect(await warnings("y regression(label: y)", "0", "1.0", "1", "0")).toEqual([
      'F: warning: regression task "y" reads only the values 0 and 1 in column "y"; if it is a yes/no label, declare the task binary (it then learns a probability, scored by AUC).',
    ]);
    expect(await warnings("y regression(label: y)", "0", "1", "0.5")).toEqual([]);
    expect(await warnings("y regression(label: y)", "1", "1")).toEqual([]);
  });
});
