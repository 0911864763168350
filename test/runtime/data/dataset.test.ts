import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { packageRoot } from "../../../base/package-root.js";
import { describe, expect, it } from "vitest";
import type { Spec } from "../../../compiler/load/types.js";
import { formatLoadReport, loadData, loadTrainingData, type Dataset } from "../../../runtime/data/dataset.js";
import { adultDir, adultSpec, dataError, specOf, tempFile } from "./helpers.js";

const sum = (a: ArrayLike<number>): number => Array.from(a).reduce((s, x) => s + x, 0);
const count = (a: ArrayLike<number>, v: number): number => Array.from(a).filter((x) => x === v).length;

/** Every float in the data set (numeric fields and labels), to check none is NaN or infinite. */
function nonFinite(d: Dataset): number {
  let bad = 0;
  for (const col of Object.values(d.fields)) if (col.kind === "numeric") for (const x of col.values) if (!Number.isFinite(x)) bad++;
  for (const col of Object.values(d.labels)) for (const x of col) if (!Number.isFinite(x)) bad++;
  return bad;
}

describe("the Adult data", async () => {
  const spec = adultSpec();
  const trainFile = join(adultDir, "adult.data");
  const testFile = join(adultDir, "adult.test");
  const t0 = performance.now();
  const all = await loadTrainingData(spec, trainFile);
  const loadMs = performance.now() - t0;
  const test = await loadData(spec, testFile, all.preprocessing);
  const split = await loadTrainingData(spec, trainFile, { validFraction: 0.1, seed: 7 });

  it("loads every row of both files", () => {
    console.log(`adult.data (32,561 rows) loaded into a dataset in ${loadMs.toFixed(0)} ms`);
    expect([all.train.rows, all.report.rows, all.report.badRows]).toEqual([32561, 32561, 0]);
    expect([test.data.rows, test.report.rows, test.report.badRows]).toEqual([16281, 16281, 0]);
    expect([all.train.lines[0], all.train.lines[32560]]).toEqual([2, 32562]);
  });

  it("labels both tasks: income 24.1% and never_married 32.8% positive in training", () => {
    expect(sum(all.train.labels.income!)).toBe(7841);
    expect(sum(all.train.labels.never_married!)).toBe(10683);
    expect(sum(test.data.labels.never_married!)).toBe(5434);
  });

  it("reads the test file's labels with their trailing dot as the same classes", async () => {
    expect(sum(test.data.labels.income!)).toBe(3846);
    // Without ">50K." in the positive set, no test row would be positive.
    const noDot: Spec = { ...spec, tasks: spec.tasks.map((t) => (t.kind === "binary" && t.name === "income" ? { ...t, positive: [">50K"] } : t)) };
    const r = await loadData(noDot, testFile, all.preprocessing);
    expect(sum(r.data.labels.income!)).toBe(0);
  });

  it("maps ? to id 0 and counts it, per field", () => {
    expect(all.report.imputed).toEqual({
      age: 0,
      workclass: 1836,
      fnlwgt: 0,
      education: 0,
      "education-num": 0,
      occupation: 1843,
      relationship: 0,
      race: 0,
      sex: 0,
      "capital-gain": 0,
      "capital-loss": 0,
      "hours-per-week": 0,
      "native-country": 583,
    });
    const ids = (d: Dataset, f: string): Int32Array => (d.fields[f] as { ids: Int32Array }).ids;
    expect([count(ids(all.train, "workclass"), 0), count(ids(all.train, "occupation"), 0), count(ids(all.train, "native-country"), 0)]).toEqual([1836, 1843, 583]);
    expect([test.report.imputed.workclass, test.report.imputed.occupation, test.report.imputed["native-country"]]).toEqual([963, 966, 274]);
    expect(Object.values(test.report.unknown).every((n) => n === 0)).toBe(true);
    expect(formatLoadReport(all.report)).toEqual([`${trainFile}: 32561 rows`, "  missing values filled in: workclass 1836, occupation 1843, native-country 583"]);
  });

  it("says what a number written another way is read as", async () => {
    const spec = specOf("age numeric", "y regression(label: y)");
    const messages = [];
    // A decimal comma comes in files delimited otherwise (here by semicolons).
    for (const cell of ["39,5", '"77,516"', "NA", "-", "abc"]) messages.push((await dataError(loadTrainingData(spec, tempFile(`age;y\n1;1\n${cell};2\n`)))).message.replace(/^.*?:3:age: /, ""));
    expect(messages).toEqual([
      'expected a number, found "39,5" (a decimal comma? numbers are read with a point: 39.5)',
      'expected a number, found "77,516" (thousands separators? numbers are read without them: 77516)',
      'expected a number, found "NA" (a missing value? leave the cell empty or write "?"; --skip-bad-rows drops such rows)',
      'expected a number, found "-" (a missing value? leave the cell empty or write "?"; --skip-bad-rows drops such rows)',
      'expected a number, found "abc"',
    ]);
  });

  it("counts the rows whose label is missing, per task", async () => {
    const spec = adultSpec();
    const text = gunzipSync(readFileSync(join(packageRoot(), "data", "adult", "adult.data.gz"))).toString("utf8").trimEnd().split("\n");
    // Every 20th row's income label blanked (the Y column is the last).
    const blanked = text.map((l, i) => (i > 0 && i % 20 === 0 ? l.replace(/,[^,]*$/, ",") : l));
    const f = tempFile(blanked.join("\n") + "\n");
    const { report } = await loadData(spec, f, (await loadTrainingData(spec, join(adultDir, "adult.data"))).preprocessing);
    expect(report.missingLabels).toEqual({ income: Math.floor((text.length - 1) / 20), never_married: 0 });
    expect(formatLoadReport(report).at(-1)).toBe(`  labels missing (those rows do not count for the task): income ${Math.floor((text.length - 1) / 20)}`);
  });

  it("fits vocabularies by descending count and standardizes numeric fields", () => {
    const p = all.preprocessing.fields;
    expect(p.sex).toEqual({ kind: "categorical", vocab: { kind: "values", values: ["Male", "Female"] } });
    expect(p.workclass).toEqual({
      kind: "categorical",
      vocab: { kind: "values", values: ["Private", "Self-emp-not-inc", "Local-gov", "State-gov", "Self-emp-inc", "Federal-gov", "Without-pay", "Never-worked"] },
    });
    const age = p.age as { stats: { mean: number; std: number; count: number } };
    expect([age.stats.mean.toFixed(6), age.stats.std.toFixed(6), age.stats.count]).toEqual(["38.581647", "13.640223", 32561]);
    expect((p.fnlwgt as { stats: { transform: string } }).stats.transform).toBe("log1p");
    const z = (all.train.fields["capital-gain"] as { values: Float32Array }).values;
    const mean = sum(z) / z.length;
    const std = Math.sqrt(sum(Array.from(z, (x) => (x - mean) ** 2)) / z.length);
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect(Math.abs(std - 1)).toBeLessThan(1e-5);
  });

  it("produces no NaN or infinity anywhere", () => {
    expect([nonFinite(all.train), nonFinite(test.data), nonFinite(split.train), nonFinite(split.valid!)]).toEqual([0, 0, 0, 0]);
  });

  it("splits off a seeded random validation set, the same for the same seed", async () => {
    const a = split;
    const b = await loadTrainingData(spec, trainFile, { validFraction: 0.1, seed: 7 });
    const c = await loadTrainingData(spec, trainFile, { validFraction: 0.1, seed: 8 });
    expect([a.train.rows, a.valid!.rows]).toEqual([29305, 3256]);
    expect(a.valid!.lines).toEqual(b.valid!.lines);
    expect(a.valid!.lines).not.toEqual(c.valid!.lines);
    // Disjoint, together the whole file, and spread over it rather than its last rows.
    const seen = new Set([...a.train.lines, ...a.valid!.lines]);
    expect(seen.size).toBe(32561);
    expect(a.valid!.lines[0]).toBeLessThan(100);
    // The statistics come from the training part only.
    expect((a.preprocessing.fields.age as { stats: { count: number } }).stats.count).toBe(29305);
    expect(JSON.stringify(a.preprocessing)).toBe(JSON.stringify(b.preprocessing));
  });

  it("encodes a file identically with preprocessing that went through JSON", async () => {
    const again = await loadData(spec, testFile, JSON.parse(JSON.stringify(all.preprocessing)));
    expect(again.data).toEqual(test.data);
  });
});

describe("synthetic files", () => {
  const spec = specOf(
    'age numeric\ngain numeric(transform: log1p)\ncolor categorical(min_count: 2)\ntags multi_hot(separator: "|", pooling: sum)\ncity categorical(hash_buckets: 8)',
    'y binary(label: y, positive: ["yes"])\nk multiclass(3, label: k)',
  );
  const header = "age, gain, color, tags, city, y, k\n";

  it("encodes categorical, multi-hot, hashed and numeric fields and both label kinds", async () => {
    const f = tempFile(header + "30, 0, red, a|b, Paris, yes, 2\n?, 9, red, ?, ?, no, 0\n50, ?, blue, b| |c|a, Rome, no, 1\n");
    const r = await loadTrainingData(spec, f);
    expect(r.train.fields.color).toEqual({ kind: "categorical", ids: new Int32Array([1, 1, 0]) }); // blue seen once < min_count 2
    expect(r.preprocessing.fields.tags).toEqual({ kind: "multi_hot", vocab: { kind: "values", values: ["a", "b", "c"] } });
    expect(r.train.fields.tags).toEqual({ kind: "multi_hot", offsets: new Int32Array([0, 2, 2, 5]), ids: new Int32Array([1, 2, 2, 3, 1]) });
    expect(r.train.fields.city).toEqual({ kind: "categorical", ids: new Int32Array([3474499341 % 8, 0, 2558946706 % 8]) }); // MurmurHash3 of "Paris", "Rome" (onnxruntime's op)
    expect(r.train.fields.age).toEqual({ kind: "numeric", values: new Float32Array([-1, 0, 1]) });
    const gain = (r.train.fields.gain as { values: Float32Array }).values;
    expect([gain[0]! < 0, gain[1]! > 0, gain[2]]).toEqual([true, true, 0]);
    expect(r.train.labels).toEqual({ y: new Float32Array([1, 0, 0]), k: new Int32Array([2, 0, 1]) });
    expect(r.report.imputed).toEqual({ age: 1, gain: 1, color: 0, tags: 1, city: 1 });
    expect(r.report.unknown).toEqual({ color: 1, tags: 0, city: 0 });
  });

  it("stops at the first bad row with file:row:column, expected and found", async () => {
    const cases: [string, string][] = [
      ["abc, 1, red, a, x, yes, 0", ':age: expected a number, found "abc"'],
      ["1, -5, red, a, x, yes, 0", ':gain: expected a number greater than -1 (the field uses log1p), found "-5"'],
      ["1, 1, red, a, x, no, 3", ':k: expected a class 0..2, found "3"'],
      ["1, 1, red, a, x, no", ": expected 7 cells (one per header column), found 6"],
    ];
    for (const [row, message] of cases) {
      const f = tempFile(header + "1, 1, red, a, x, yes, 0\n\n" + row + "\n");
      const e = await dataError(loadTrainingData(spec, f));
      expect([e.code, e.message]).toEqual(["bad-row", `${f}:4${message}`]);
    }
  });

  it("skips bad rows when asked, counting them and keeping the first few", async () => {
    const good = "1, 1, red, a, x, yes, 0\n";
    const f = tempFile(header + good + Array.from({ length: 7 }, (_, i) => `x${i}, 1, red, a, x, yes, 0\n`).join("") + good);
    const r = await loadTrainingData(spec, f, { skipBadRows: true });
    expect([r.train.rows, r.report.badRows]).toEqual([2, 7]);
    expect(Array.from(r.train.lines)).toEqual([2, 10]);
    expect(r.report.firstBadRows).toEqual(Array.from({ length: 5 }, (_, i) => `${f}:${i + 3}:age: expected a number, found "x${i}"`));
    expect(formatLoadReport(r.report).slice(0, 2)).toEqual([`${f}: 2 rows, 7 bad rows skipped`, `  skipped ${f}:3:age: expected a number, found "x0"`]);
    expect(formatLoadReport(r.report)[6]).toBe("  ... and 2 more");
    const allBad = tempFile(header + "x, 1, red, a, x, yes, 0\n");
    expect((await dataError(loadTrainingData(spec, allBad, { skipBadRows: true }))).message).toBe(`${allBad}: no data rows to train on (all 1 were bad)`);
  });

  it("names the spec's missing columns and who reads them", async () => {
    const f = tempFile("age, gain, colour, tags, city, y\n1, 1, red, a, x, yes\n");
    const e = await dataError(loadTrainingData(spec, f));
    expect([e.code, e.message]).toEqual([
      "missing-column",
      `${f}:1: missing columns "color" (read by field "color"; did you mean "colour"?), "k" (read by the label of task "k"; did you mean "y"?). The header has: age, gain, colour, tags, city, y`,
    ]);
  });

  it("reads a file without label columns for prediction", async () => {
    const train = tempFile(header + "1, 1, red, a, x, yes, 0\n2, 1, red, a, x, no, 1\n");
    const r = await loadTrainingData(spec, train);
    const predict = tempFile("city, tags, color, gain, age\nRome, a|z, red, 3, 2\n");
    const p = await loadData(spec, predict, r.preprocessing, { labels: false });
    expect(p.data.labels).toEqual({});
    expect(p.data.fields.age).toEqual({ kind: "numeric", values: new Float32Array([1]) });
    expect(p.report.unknown).toEqual({ color: 0, tags: 1, city: 0 });
  });

  it("fits vocabularies on the training part of a split only", async () => {
    const one = specOf("c categorical", 'y binary(label: y, positive: ["1"])');
    const rows = Array.from({ length: 20 }, (_, i) => `v${i}, ${i % 2}\n`).join("");
    const r = await loadTrainingData(one, tempFile("c, y\n" + rows), { validFraction: 0.25, seed: 1 });
    expect([r.train.rows, r.valid!.rows]).toEqual([15, 5]);
    const vocab = (r.preprocessing.fields.c as { vocab: { values: string[] } }).vocab.values;
    expect(vocab.length).toBe(15);
    // Every validation value is unseen, so it is out of vocabulary.
    expect(Array.from((r.valid!.fields.c as { ids: Int32Array }).ids)).toEqual([0, 0, 0, 0, 0]);
    expect(r.report.unknown).toEqual({ c: 5 });
  });

  it("rejects a validation fraction that leaves nothing to train on", async () => {
    const f = tempFile(header + "1, 1, red, a, x, yes, 0\n");
    expect((await dataError(loadTrainingData(spec, f, { validFraction: 0.9 }))).message).toBe(`${f}: a validation fraction of 0.9 leaves none of its 1 rows to train on`);
    expect((await dataError(loadTrainingData(spec, f, { validFraction: 1 }))).message).toBe("the validation fraction must be at least 0 and below 1, got 1");
  });
});
