import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { batchCount, batches, batchOf, embeddingFields, numericFields, type Batch } from "../../../runtime/data/batches.js";
import { loadTrainingData, type Dataset } from "../../../runtime/data/dataset.js";
import { adultDir, adultSpec, specOf, tempFile } from "./helpers.js";

/** The table ids a batch feeds one categorical field: unique[index[k]] for each example k. */
const gather = (b: Batch, field: string): number[] => Array.from(b.embeddings[field]!.index, (i) => b.embeddings[field]!.unique[Number(i)]!);

describe("batches over Adult", async () => {
  const spec = adultSpec();
  const { train } = await loadTrainingData(spec, join(adultDir, "adult.data"), { validFraction: 0.1, seed: 7 });
  const epoch = (seed: number, e: number, dropLast = false): Batch[] => [...batches(spec, train, { batchSize: 1024, seed, epoch: e, dropLast })];

  it("covers every row once per epoch, keeping the last partial batch unless told to drop it", () => {
    const bs = epoch(7, 0);
    expect(bs.length).toBe(batchCount(29305, 1024));
    expect(bs.map((b) => b.size).slice(-2)).toEqual([1024, 29305 - 28 * 1024]);
    expect(new Set(bs.flatMap((b) => [...b.rows])).size).toBe(29305);
    expect(epoch(7, 0, true).map((b) => b.size)).toEqual(new Array(28).fill(1024));
    expect(batchCount(29305, 1024, true)).toBe(28);
  });

  it("gives each table the batch's unique ids, sorted, and per-example positions that gather back the ids", () => {
    for (const b of epoch(7, 0)) {
      for (const field of embeddingFields(spec)) {
        const { unique, index, width } = b.embeddings[field]!;
        const ids = (train.fields[field] as { ids: Int32Array }).ids;
        expect(width).toBe(1);
        expect(index.length).toBe(b.size);
        expect(gather(b, field)).toEqual(Array.from(b.rows, (r) => ids[r]));
        for (let i = 1; i < unique.length; i++) expect(unique[i - 1]!).toBeLessThan(unique[i]!);
        expect(new Set(Array.from(b.rows, (r) => ids[r])).size).toBe(unique.length);
      }
    }
    // O(batch): a batch touches few rows of a table, not the whole vocabulary.
    expect(epoch(7, 0)[0]!.embeddings.sex!.unique).toEqual(new Int32Array([1, 2]));
  });

  it("lays numeric features out as [batch, numeric fields] and labels per task", () => {
    const b = epoch(7, 0)[3]!;
    const names = numericFields(spec);
    expect(names).toEqual(["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]);
    expect(b.numeric.length).toBe(b.size * 6);
    const r = b.rows[5]!;
    expect(Array.from(b.numeric.subarray(5 * 6, 6 * 6))).toEqual(names.map((n) => (train.fields[n] as { values: Float32Array }).values[r]));
    expect([b.labels.income![5], b.labels.never_married![5]]).toEqual([train.labels.income![r], train.labels.never_married![r]]);
    expect(b.labels.income).toBeInstanceOf(Float32Array);
  });

  it("repeats the order for the same seed and epoch and changes it otherwise", () => {
    const order = (seed: number, e: number): number[] => epoch(seed, e).flatMap((b) => [...b.rows]);
    expect(order(7, 2)).toEqual(order(7, 2));
    expect(order(7, 2)).not.toEqual(order(7, 3));
    expect(order(7, 2)).not.toEqual(order(8, 2));
    expect([...batches(spec, train, { batchSize: 5000, shuffle: false })][0]!.rows.subarray(0, 3)).toEqual(new Int32Array([0, 1, 2]));
  });
});

describe("batches over multi-hot and multiclass fields", async () => {
  const spec = specOf('tags multi_hot(separator: "|", pooling: mean)\nx numeric', "k multiclass(3, label: k)");
  const file = tempFile("tags, x, k\na|b|c, 1, 0\n?, 2, 1\nb, 3, 2\nc|c, 4, 0\n");
  const { train }: { train: Dataset } = await loadTrainingData(spec, file);

  it("pads lists to the batch's longest, with mean weights and zero-weight padding", () => {
    const [b] = [...batches(spec, train, { batchSize: 4, shuffle: false })];
    const t = b!.embeddings.tags!;
    // Vocabulary by count: c (3), b (2), a (1) -> ids 1, 2, 3.
    expect(t.unique).toEqual(new Int32Array([1, 2, 3]));
    expect(t.width).toBe(3);
    expect(Array.from(t.index, Number)).toEqual([2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    expect(t.weights).toEqual(new Float32Array([1 / 3, 1 / 3, 1 / 3, 0, 0, 0, 1, 0, 0, 0.5, 0.5, 0]));
    expect(b!.labels.k).toEqual(new BigInt64Array([0n, 1n, 2n, 0n]));
  });

  it("gives a batch of empty lists one row to point its padding at", () => {
    const bs = [...batches(spec, train, { batchSize: 1, shuffle: false })];
    expect(bs[1]!.embeddings.tags).toEqual({ unique: new Int32Array([0]), index: new BigInt64Array([0n]), width: 1, weights: new Float32Array([0]) });
  });
});

describe("embedding lookups over ids small and large", () => {
  const spec = specOf("c categorical\nx numeric", "y binary(label: y)");
  /** A data set of one categorical column with these ids (and a numeric column). */
  const dataOf = (ids: number[]): Dataset => ({
    file: "ids",
    rows: ids.length,
    lines: Int32Array.from(ids, (_id, i) => i + 2),
    fields: { c: { kind: "categorical", ids: Int32Array.from(ids) }, x: { kind: "numeric", values: Float32Array.from(ids, (_id, i) => i) } },
    labels: {},
  });
  /** The lookup by definition: distinct ids ascending, each example's position among them. */
  const reference = (ids: number[]) => {
    const unique = [...new Set(ids)].sort((a, b) => a - b);
    return { unique, index: ids.map((id) => unique.indexOf(id)) };
  };

  // Ids below 2^16 are marked in a scratch array, larger ones sorted (batches.ts, distinctPositions).
  it.each([
    ["small ids, marked", [5, 3, 5, 0, 9, 3, 3, 7]],
    ["ids past the marking limit, sorted", [5, 3, 2 ** 20, 0, 2 ** 30, 3, 2 ** 20, 7]],
    ["one id", [4, 4, 4]],
  ])("gives the distinct ids ascending and each example's position (%s)", (_what, ids) => {
    const order = Int32Array.from([7, 1, 2, 0, 6, 3, 5, 4].filter((r) => r < ids.length));
    const [b] = [...batches(spec, dataOf(ids), { batchSize: ids.length, shuffle: false })];
    const want = reference(ids);
    expect(Array.from(b!.embeddings.c!.unique)).toEqual(want.unique);
    expect(Array.from(b!.embeddings.c!.index, Number)).toEqual(want.index);
    // Twice in a row (the scratch array is left clean) and in another row order.
    const [again] = [...batches(spec, dataOf(ids), { batchSize: ids.length, shuffle: false })];
    expect(again!.embeddings.c).toEqual(b!.embeddings.c);
    const shuffled = batchOf(spec, dataOf(ids), order);
    const idsInOrder = Array.from(order, (r) => ids[r]!);
    expect(Array.from(shuffled.embeddings.c!.unique)).toEqual(reference(idsInOrder).unique);
    expect(Array.from(shuffled.embeddings.c!.index, Number)).toEqual(reference(idsInOrder).index);
  });
});
