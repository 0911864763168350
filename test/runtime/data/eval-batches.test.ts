import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { batches, type Batch } from "../../../runtime/data/batches.js";
import { loadData, loadTrainingData, type Dataset } from "../../../runtime/data/dataset.js";
import { evalBatches, KEPT_ROWS, type FeatureBatch } from "../../../runtime/data/eval-batches.js";
import { takeRows } from "../../../runtime/data/select-rows.js";
import type { Spec } from "../../../compiler/load/types.js";
import { adultDir, adultSpec, specOf, tempFile } from "./helpers.js";

/** A batch's features as evaluation feeds them, each array as the hex of its bytes (toEqual on large int64 arrays is slow). */
const features = (b: Batch | FeatureBatch) => {
  const hex = (a: ArrayBufferView | undefined) => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex") : "-");
  const e = Object.entries(b.embeddings).map(([f, l]) => `${f} ${l.width} ${hex(l.unique)} ${hex(l.index)} ${hex(l.weights)}`);
  return { size: b.size, embeddings: e, numeric: hex(b.numeric) };
};

/** The features of the training batches in file order: what an evaluation pass must be fed. */
const fileOrder = (spec: Spec, data: Dataset, batchSize: number) => [...batches(spec, data, { batchSize, shuffle: false })].map(features);

/** The features of an evaluation pass. */
const pass = (spec: Spec, data: Dataset, batchSize: number) => [...evalBatches(spec, data, batchSize)].map(features);

describe("evaluation batches over Adult", async () => {
  const spec = adultSpec();
  const { train, preprocessing } = await loadTrainingData(spec, join(adultDir, "adult.data"), { validFraction: 0 });
  const test = (await loadData(spec, join(adultDir, "adult.test"), preprocessing)).data;

  it("equal the file-order batches' features, pass after pass (lookups kept) and at other batch sizes", () => {
    for (const size of [4096, 1000, test.rows]) {
      const want = fileOrder(spec, test, size);
      expect(pass(spec, test, size)).toEqual(want);
      expect(pass(spec, test, size)).toEqual(want);
    }
  });

  it("build a replaced column's lookups anew, and leave the kept ones of the original", () => {
    const order = Int32Array.from({ length: test.rows }, (_, r) => (r * 7919) % test.rows);
    const before = pass(spec, test, 4096);
    const shuffled: Dataset = { ...test, fields: { ...test.fields, occupation: takeRows(test.fields.occupation!, order), age: takeRows(test.fields.age!, order) } };
    expect(pass(spec, shuffled, 4096)).toEqual(fileOrder(spec, shuffled, 4096));
    expect(pass(spec, shuffled, 4096)[0]!.embeddings).not.toEqual(before[0]!.embeddings);
    expect(pass(spec, test, 4096)).toEqual(fileOrder(spec, test, 4096));
  });

  it("read the numeric block from a row-major matrix as from the columns", async () => {
    const rowMajor = (await loadData(spec, join(adultDir, "adult.test"), preprocessing, { numericRows: true })).data;
    expect(rowMajor.numericRows).toBeDefined();
    expect(pass(spec, rowMajor, 4096)).toEqual(fileOrder(spec, test, 4096));
  });

  it("give the same batches for a data set past KEPT_ROWS, built at each pass", () => {
    const rows = Int32Array.from({ length: KEPT_ROWS + 1 }, (_, r) => r % train.rows);
    const big: Dataset = { ...train, rows: rows.length, lines: rows, fields: Object.fromEntries(Object.entries(train.fields).map(([k, c]) => [k, takeRows(c, rows)])), labels: {} };
    const want = fileOrder(spec, big, 8192);
    expect(pass(spec, big, 8192)).toEqual(want);
    expect(pass(spec, big, 8192)).toEqual(want);
  });
});

describe("evaluation batches over multi-hot fields", async () => {
  const spec = specOf('tags multi_hot(separator: "|", pooling: mean)\nx numeric', "k multiclass(3, label: k)");
  const file = tempFile("tags, x, k\na|b|c, 1, 0\n?, 2, 1\nb, 3, 2\nc|c, 4, 0\nb|a, 5, 1\n");
  const { train } = await loadTrainingData(spec, file);

  it("equal the file-order batches' features, padding and pooling weights included", () => {
    for (const size of [1, 2, 5]) {
      expect(pass(spec, train, size)).toEqual(fileOrder(spec, train, size));
      expect(pass(spec, train, size)).toEqual(fileOrder(spec, train, size));
    }
  });
});
