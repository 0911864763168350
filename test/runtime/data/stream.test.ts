import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../../base/package-root.js";
import { Random } from "../../../base/random.js";
import { batchCount, batches, batchOf, type Batch } from "../../../runtime/data/batches.js";
import { loadData, loadTrainingData } from "../../../runtime/data/dataset.js";
import { duckdb, sqlString } from "../../../runtime/data/duckdb.js";
import { resolveSource } from "../../../runtime/data/source.js";
import { StreamBatches } from "../../../runtime/data/stream-batches.js";
import { fitStream } from "../../../runtime/data/stream-fit.js";
import { BYTES_PER_CELL, estimatedLoadBytes, streamReason } from "../../../runtime/data/stream-size.js";
import { checkpointPath } from "../../../runtime/checkpoint.js";
import { train } from "../../../runtime/train.js";
import { compiled, smallCsv, smallSpec, tempDir, writeTemp } from "../helpers.js";
import { specOf, tempFile } from "./helpers.js";

// Streamed training against the in-memory path on data that fits: the same vocabularies,
// statistics, labels and weights from the one streaming pass; every row once per epoch, encoded
// the same; an order that depends on (seed, epoch) only, so a resumed run repeats an uninterrupted one.

const spec = specOf(
  'age numeric\ngain numeric(transform: log1p)\ncolor categorical\ntags multi_hot(separator: "|", pooling: mean)\ncity categorical(hash_buckets: 8)\nzip categorical(min_count: 3)',
  'y binary(label: y, positive: ["yes"])\nr regression(label: r, sample_weight: w)',
);

/** Generated rows with missing values, missing labels and weights. */
function csv(n: number): string {
  const rng = Random.stream(23);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)]!;
  const lines = ["age,gain,color,tags,city,zip,y,r,w"];
  for (let i = 0; i < n; i++) {
    const age = rng.uniform() < 0.1 ? "" : (Math.round(rng.uniform() * 800) / 10).toString();
    const gain = rng.uniform() < 0.1 ? "" : (Math.floor(rng.uniform() * 1e5) / 7).toString();
    const y = rng.uniform() < 0.2 ? "" : pick(["yes", "no"]);
    const r = rng.uniform() < 0.3 ? "" : (Math.round(rng.uniform() * 1e4) / 1e3).toString();
    lines.push([age, gain, pick(["red", "blue", "green", "?", "teal"]), pick(["a|b", "b", "", "c|a|d"]), pick(["Paris", "Rome", "Oslo"]), `z${Math.floor(rng.uniform() * 400)}`, y, r, (rng.uniform() * 3).toFixed(3)].join(","));
  }
  return lines.join("\n") + "\n";
}

const ROWS = 1000;
const csvFile = tempFile(csv(ROWS));
const parquetFile = tempFile("", ".parquet");
await (await duckdb()).run(`COPY (SELECT * FROM read_csv(${sqlString(csvFile)}, header = true)) TO ${sqlString(parquetFile)} (FORMAT parquet, ROW_GROUP_SIZE 100)`);

/** One key per example of a batch: its numbers, its embedding rows and pooling weights, its labels and row weights. */
function exampleKeys(b: Batch): string[] {
  const numeric = b.numeric.length / b.size;
  return Array.from({ length: b.size }, (_, k) => {
    const parts: string[] = [Array.from(b.numeric.subarray(k * numeric, (k + 1) * numeric)).join(" ")];
    for (const [name, e] of Object.entries(b.embeddings)) {
      const slots = Array.from({ length: e.width }, (_, j) => `${e.unique[Number(e.index[k * e.width + j])]}:${e.weights ? e.weights[k * e.width + j] : 1}`).filter((s) => !s.endsWith(":0"));
      parts.push(`${name}=${slots.sort().join(",")}`);
    }
    for (const [task, y] of Object.entries(b.labels)) parts.push(`${task}=${y[k]}/${b.rowWeights[task]?.[k] ?? 1}`);
    return parts.join(" | ");
  });
}

async function streamedEpoch(file: string, seed: number, epoch: number, batchSize: number): Promise<Batch[]> {
  const fitted = await fitStream(spec, file, { chunkRows: 64 });
  const stream = new StreamBatches(spec, await resolveSource(file), fitted.preprocessing, { bufferRows: 250 });
  const out: Batch[] = [];
  for await (const b of stream.epoch(batchSize, seed, epoch)) out.push(b);
  return out;
}

describe("streamed training data", () => {
  it.each([
    ["CSV", csvFile],
    ["Parquet", parquetFile],
  ])("fits the same preprocessing, labels, weights and report as loading the %s file", async (_, file) => {
    const loaded = await loadTrainingData(spec, file);
    const streamed = await fitStream(spec, file, { chunkRows: 64 });
    expect(JSON.stringify(streamed.preprocessing)).toBe(JSON.stringify(loaded.preprocessing));
    expect(streamed.train.rows).toBe(ROWS);
    expect(streamed.train.labels).toEqual(loaded.train.labels);
    expect(streamed.train.weights).toEqual(loaded.train.weights);
    expect(streamed.report).toEqual(loaded.report);
    expect(streamed.labelValues).toEqual(loaded.labelValues);
    // The data exercises what it should: learnt, min_count and hashed vocabularies, imputation, missing labels.
    expect(loaded.report.unknown["zip"]).toBeGreaterThan(0);
    expect(loaded.report.imputed["age"]).toBeGreaterThan(0);
    expect(loaded.train.labels["r"]!.some(Number.isNaN)).toBe(true);
  });

  it.each([
    ["CSV", csvFile],
    ["Parquet", parquetFile],
  ])("visits every row of the %s file once per epoch, encoded as in memory, in an order set by seed and epoch", async (_, file) => {
    const loaded = await loadTrainingData(spec, file);
    const inMemory = [...batches(spec, loaded.train, { batchSize: 32, shuffle: false })].flatMap(exampleKeys).sort();
    const epoch0 = await streamedEpoch(file, 5, 0, 32);
    expect(epoch0.length).toBe(batchCount(ROWS, 32));
    expect(epoch0.slice(0, -1).every((b) => b.size === 32)).toBe(true);
    expect(epoch0.flatMap(exampleKeys).sort()).toEqual(inMemory);
    const again = await streamedEpoch(file, 5, 0, 32);
    expect(again.flatMap(exampleKeys)).toEqual(epoch0.flatMap(exampleKeys));
    const epoch1 = await streamedEpoch(file, 5, 1, 32);
    expect(epoch1.flatMap(exampleKeys)).not.toEqual(epoch0.flatMap(exampleKeys));
    // Shuffled: the first batch is not the file's first rows.
    const fileOrder = [...batches(spec, loaded.train, { batchSize: 32, shuffle: false })][0]!;
    expect(exampleKeys(epoch0[0]!)).not.toEqual(exampleKeys(fileOrder));
  });

  it("can give a file's numeric fields as one row-major matrix, the columns' numbers row by row, bad rows left out", async () => {
    const fitted = await loadTrainingData(spec, csvFile);
    // Three numeric-field errors and one label error among 1,000 rows, in several read parts.
    const lines = readFileSync(csvFile, "utf8").trimEnd().split("\n");
    for (const at of [3, 300, 301, 777]) lines[at] = at === 777 ? lines[at]!.replace(/,(yes|no|),/, ",maybe,").replace(/,[^,]*,([^,]*)$/, ",x,$1") : lines[at]!.replace(/^[^,]*/, "old");
    const file = tempFile(lines.join("\n") + "\n");
    const columns = await loadData(spec, file, fitted.preprocessing, { skipBadRows: true });
    const rows = await loadData(spec, file, fitted.preprocessing, { skipBadRows: true, numericRows: true });
    expect(columns.report.badRows).toBe(4);
    expect(rows.report).toEqual(columns.report);
    expect(Object.keys(rows.data.fields).sort()).toEqual(["city", "color", "tags", "zip"]);
    const age = (columns.data.fields["age"] as { values: Float32Array }).values;
    const gain = (columns.data.fields["gain"] as { values: Float32Array }).values;
    expect(rows.data.numericRows).toEqual(Float32Array.from({ length: 2 * age.length }, (_, i) => (i % 2 === 0 ? age : gain)[i >> 1]!));
    expect(exampleKeys(batchOf(spec, rows.data, Int32Array.of(5, 0, 990)))).toEqual(exampleKeys(batchOf(spec, columns.data, Int32Array.of(5, 0, 990))));
  });

  it("gives the same batches in the same order when a worker thread reads and cuts them, in groups", async () => {
    // The worker runs the built module (dist/), as the CLI does.
    const built = (await import(join(packageRoot(), "dist", "runtime", "data", "stream-batches.js"))) as typeof import("../../../runtime/data/stream-batches.js");
    const fitted = await fitStream(spec, parquetFile);
    const source = await resolveSource(parquetFile);
    const epoch = async (worker: boolean) => {
      const out: Batch[] = [];
      for await (const b of new built.StreamBatches(spec, source, fitted.preprocessing, { bufferRows: 250, worker }).epoch(3, 5, 1)) out.push(b);
      return out;
    };
    const inThread = await epoch(false);
    const inWorker = await epoch(true);
    // 334 batches: more than one group of GROUP_BATCHES.
    expect(inThread.length).toBeGreaterThan(built.GROUP_BATCHES);
    expect(inWorker.map(exampleKeys)).toEqual(inThread.map(exampleKeys));
  });

  it("resumes a streamed run stopped mid-epoch to the bytes of an uninterrupted one", async () => {
    const s = smallSpec({ epochs: 2 });
    const small = writeTemp("small.csv", smallCsv(400));
    const file = small.replace(/\.csv$/, ".parquet");
    await (await duckdb()).run(`COPY (SELECT * FROM read_csv(${sqlString(small)}, header = true)) TO ${sqlString(file)} (FORMAT parquet, ROW_GROUP_SIZE 64)`);
    const quiet = { device: "cpu" as const, threads: 1, log: () => {} };
    const data = async () => {
      const fitted = await fitStream(s, file);
      const valid = (await loadData(s, small, fitted.preprocessing)).data;
      return { train: fitted.train, valid, preprocessing: fitted.preprocessing, stream: new StreamBatches(s, fitted.source, fitted.preprocessing, { bufferRows: 128 }) };
    };
    const straight = tempDir();
    const full = await train(compiled(s), await data(), { ...quiet, runDir: straight });
    expect(full.state.progress.step).toBe(2 * batchCount(400, 32));
    const interrupted = tempDir();
    const first = await train(compiled(s), await data(), { ...quiet, runDir: interrupted, stopAtStep: 17 });
    expect(first.state.progress).toEqual({ epoch: 1, batch: 4, step: 17 });
    await train(compiled(s), await data(), { ...quiet, runDir: interrupted, resume: true });
    expect(readFileSync(checkpointPath(interrupted, "last")).equals(readFileSync(checkpointPath(straight, "last")))).toBe(true);
  });

  it("streams by itself when the estimated load exceeds half of the free memory", async () => {
    // 9 columns read: 6 fields, 2 labels, 1 weight column; a text file counts 3 bytes per byte.
    const parquet = await resolveSource(parquetFile);
    expect(await estimatedLoadBytes(spec, parquet)).toBe(ROWS * 9 * BYTES_PER_CELL);
    expect(await estimatedLoadBytes(spec, await resolveSource(csvFile))).toBe(3 * readFileSync(csvFile).length);
    const estimate = ROWS * 9 * BYTES_PER_CELL;
    expect(await streamReason(spec, parquet, 2 * estimate)).toBeUndefined();
    expect(await streamReason(spec, parquet, 2 * estimate - 2)).toMatch(/^loading it would take about [\d.]+ GB, more than half of the [\d.]+ GB of free memory$/);
  });
});
