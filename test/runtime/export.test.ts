// The exported model against the runtime: fed raw Adult columns it must give the scores eval.onnx
// gives on the runtime's preprocessed batches, for every zoo model (untrained weights with L0 gates
// spread so that some are closed, some open and some in between).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileSpec } from "../../compiler/compile.js";
import { initialValue } from "../../compiler/ir/init.js";
import { Random } from "../../base/random.js";
import { packageRoot } from "../../base/package-root.js";
import { loadSpec } from "../../compiler/load/load.js";
import type { Spec } from "../../compiler/load/types.js";
import { batches } from "../../runtime/data/batches.js";
import { readCsv } from "../../runtime/data/csv.js";
import { loadData, loadTrainingData, type Preprocessing } from "../../runtime/data/dataset.js";
import { BadRows } from "../../runtime/data/errors.js";
import { vocabRows } from "../../runtime/data/vocab.js";
import { UserError } from "../../base/user-error.js";
import { foldGate } from "../../compiler/export/fold-gates.js";
import { exportModel } from "../../runtime/export.js";
import type { EmbeddingTable, TrainedModel } from "../../runtime/trained-model.js";

const root = packageRoot();
const zooDir = join(root, "specs", "zoo");
const adult = join(root, "..", "shared", "data", "adult");
const zoo = readdirSync(zooDir).filter((f) => f.endsWith(".mssm") && f !== "adult.mssm").sort();
const PYTHON = "/usr/bin/python3";
const hasOnnx = spawnSync(PYTHON, ["-c", "import onnx"]).status === 0;

/** The checked spec at `path`; with `text`, written there first. */
function specOf(path: string, text?: string): Spec {
  if (text !== undefined) writeFileSync(path, text);
  const r = loadSpec(path);
  if (!r.spec) throw new Error(`${path} does not check: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return r.spec;
}

/** A model with initial dense weights, log α drawn from N(0, 3²) (closed, open and partial gates) and random tables. */
function modelOf(spec: Spec, preprocessing: Preprocessing, seed = 3): TrainedModel {
  const manifest = compileSpec(spec).manifest;
  const params = new Map<string, Float32Array>();
  for (const p of manifest.params) {
    const value = { name: p.name, dtype: p.dtype, shape: p.shape };
    const data = initialValue({ value, init: p.init, group: p.group, doc: p.doc }, seed) as Float32Array;
    if (p.group === "gate") {
      const rng = Random.derive(seed, `spread/${p.name}`);
      for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, 3);
    }
    params.set(p.name, data);
  }
  const tables = new Map<string, EmbeddingTable>();
  for (const t of manifest.tables) {
    const state = preprocessing.fields[t.field]!;
    const rows = state.kind === "numeric" ? 0 : vocabRows(state.vocab);
    const rng = Random.derive(seed, `table/${t.field}`);
    tables.set(t.field, { rows, dim: t.dim, data: Float32Array.from({ length: rows * t.dim }, () => rng.normal(0, 0.5)) });
  }
  return { manifest, params, tables, preprocessing };
}

/** The scores of eval.onnx on the runtime's encoding of `csv`, per task. */
async function runtimeScores(model: TrainedModel, csv: string): Promise<Record<string, Float32Array>> {
  const spec = model.manifest.spec;
  const { data } = await loadData(spec, csv, model.preprocessing, { labels: false });
  const [batch] = [...batches(spec, data, { batchSize: data.rows, shuffle: false })];
  const numericCount = spec.fields.filter((f) => f.kind === "numeric").length;
  const feeds: Record<string, ort.Tensor> = {};
  for (const info of model.manifest.graphs.eval.inputs) {
    const m = /^emb\/(.+)\/(rows|index|weight)$/.exec(info.name);
    const list = m && spec.fields.find((f) => f.name === m[1])?.kind === "multi_hot";
    if (info.role === "param") feeds[info.name] = new ort.Tensor("float32", model.params.get(info.name)!, info.shape as number[]);
    else if (info.name === "numeric") feeds[info.name] = new ort.Tensor("float32", batch!.numeric, [batch!.size, numericCount]);
    else if (m?.[2] === "index") feeds[info.name] = new ort.Tensor("int64", batch!.embeddings[m[1]!]!.index, list ? [batch!.size, batch!.embeddings[m[1]!]!.width] : [batch!.size]);
    else if (m?.[2] === "weight") feeds[info.name] = new ort.Tensor("float32", batch!.embeddings[m[1]!]!.weights!, [batch!.size, batch!.embeddings[m[1]!]!.width]);
    else if (m?.[2] === "rows") {
      const { unique } = batch!.embeddings[m[1]!]!;
      const table = model.tables.get(m[1]!)!;
      const rows = new Float32Array(unique.length * table.dim);
      unique.forEach((r, k) => rows.set(table.data.subarray(r * table.dim, (r + 1) * table.dim), k * table.dim));
      feeds[info.name] = new ort.Tensor("float32", rows, [unique.length, table.dim]);
    } else throw new Error(`no feed for eval input ${info.name}`);
  }
  const session = await ort.InferenceSession.create(compileSpec(spec).files["eval.onnx"]);
  const out = await session.run(feeds);
  await session.release();
  return Object.fromEntries(spec.tasks.map((t) => [t.name, out[`pred/${t.name}`]!.data as Float32Array]));
}

/**
 * The exported model's scores on the raw cells of `csv` (trimmed, as the runtime reads them;
 * missing numbers as NaN), fed to the inputs the model has (pruning may remove some).
 */
async function exportedScores(bytes: Uint8Array, spec: Spec, csv: string): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  const columns = [...new Set(spec.fields.map((f) => f.column))].filter((c) => session.inputNames.includes(c));
  const numeric = new Set(spec.fields.filter((f) => f.kind === "numeric").map((f) => f.column));
  const lists = new Map(spec.fields.flatMap((f) => (f.kind === "multi_hot" ? [[f.column, f.separator] as const] : [])));
  const cells: string[][] = columns.map(() => []);
  for await (const row of readCsv(csv, columns.map((c) => ({ column: c, usedBy: c })), new BadRows(false))) row.cells.forEach((c, i) => cells[i]!.push(c));
  const feeds: Record<string, ort.Tensor> = {};
  columns.forEach((c, i) => {
    const values = cells[i]!;
    const separator = lists.get(c);
    if (separator !== undefined) {
      // A serving client's job for multi_hot: split at the separator, trim, pad with "".
      const tokens = values.map((v) => v.split(separator).map((t) => t.trim()));
      const width = Math.max(1, ...tokens.map((t) => t.length));
      feeds[c] = new ort.Tensor("string", tokens.flatMap((t) => [...t, ...Array<string>(width - t.length).fill("")]), [values.length, width]);
      return;
    }
    feeds[c] = numeric.has(c)
      ? new ort.Tensor("float32", Float32Array.from(values, (v) => (v === "" || v === "?" ? NaN : Number(v))), [values.length])
      : new ort.Tensor("string", values, [values.length]);
  });
  const out = await session.run(feeds);
  await session.release();
  return Object.fromEntries(spec.tasks.map((t) => [t.name, out[t.name]!.data as Float32Array]));
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

let dir: string;
let preprocessing: Preprocessing;
let testCsv: string;
let oddCsv: string;
const sizes: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mssmc-export-"));
  preprocessing = (await loadTrainingData(specOf(join(zooDir, "mssm.mssm")), join(adult, "adult.data"))).preprocessing;
  const lines = readFileSync(join(adult, "adult.test"), "utf8").split("\n");
  testCsv = join(dir, "test.csv");
  writeFileSync(testCsv, lines.slice(0, 2001).join("\n") + "\n");
  // Unknown categories, missing categories ("?" and ""), missing numbers.
  oddCsv = join(dir, "odd.csv");
  writeFileSync(
    oddCsv,
    [
      lines[0],
      "25, Martian, 226802, 11th, 7, Never-married, Machine-op-inspct, Own-child, Black, Male, 0, 0, 40, Atlantis, <=50K.",
      "?, Private, , HS-grad, ?, Married-civ-spouse, Farming-fishing, Husband, White, Male, , 0, ?, United-States, <=50K.",
      "28, ?, 336951, , 12, Married-civ-spouse, ?, Husband, ?, , 0, 0, 40, ?, >50K.",
    ].join("\n") + "\n",
  );
});

afterAll(() => {
  if (sizes.length) console.log(["exported zoo models (untrained weights): bytes, nodes, initializer numbers, gates closed/total, what pruning removed", ...sizes].join("\n"));
  rmSync(dir, { recursive: true, force: true });
});

describe("mssmc export: the self-contained model", () => {
  for (const file of zoo) {
    it(`${basename(file, ".mssm")}: raw columns give eval.onnx's scores on 2,000 Adult test rows within 1e-5`, async () => {
      const spec = specOf(join(zooDir, file));
      const model = modelOf(spec, preprocessing);
      const exported = exportModel(model);
      const expected = await runtimeScores(model, testCsv);
      const actual = await exportedScores(exported.bytes, spec, testCsv);
      for (const t of spec.tasks) {
        expect(actual[t.name]!.length).toBe(2000);
        expect(maxDifference(actual[t.name]!, expected[t.name]!)).toBeLessThanOrEqual(1e-5);
      }
      const g = exported.gates;
      const p = exported.pruned!;
      sizes.push(`  ${basename(file, ".mssm").padEnd(14)} ${String(exported.bytes.length).padStart(8)} B ${String(exported.graph.nodes.length).padStart(5)} nodes ${String(exported.params).padStart(7)} numbers  gates ${g.closed}/${g.total}  pruned ${p.blocks} blocks ${p.units} units ${p.fields.length} fields`);
    });
  }

  it("names inputs after columns and outputs after tasks, with the documented types", () => {
    const spec = specOf(join(zooDir, "mmoe.mssm"));
    const exported = exportModel(modelOf(spec, preprocessing));
    expect(exported.inputs.map((i) => `${i.name}:${i.dtype}`)).toEqual([
      "age:float32", "workclass:string", "fnlwgt:float32", "education:string", "education-num:float32", "occupation:string", "relationship:string",
      "race:string", "sex:string", "capital-gain:float32", "capital-loss:float32", "hours-per-week:float32", "native-country:string",
    ]);
    expect(exported.outputs).toEqual([
      { name: "income", kind: "binary", shape: ["batch"] },
      { name: "never_married", kind: "binary", shape: ["batch"] },
    ]);
    expect(exported.graph.inputs.map((v) => v.name)).toEqual(exported.inputs.map((i) => i.name));
    expect(exported.graph.outputs.map((v) => v.name)).toEqual(["income", "never_married"]);
    // No gates in MMoE; the tables are initializers named after their fields.
    expect(exported.gates).toEqual({ total: 0, closed: 0 });
    expect(exported.graph.params.filter((p) => p.group === "embedding").map((p) => p.value.name)).toEqual(
      ["workclass", "education", "occupation", "relationship", "race", "sex", "native-country"].map((f) => `emb/${f}/table`),
    );
  });

  it("treats unknown categories and missing values as the runtime does (MSSM)", async () => {
    const spec = specOf(join(zooDir, "mssm.mssm"));
    const model = modelOf(spec, preprocessing);
    const { report } = await loadData(spec, oddCsv, preprocessing, { labels: false });
    // The rows do exercise what they are meant to.
    expect(report.unknown["workclass"]).toBe(1);
    expect(report.unknown["native-country"]).toBe(1);
    expect(report.imputed).toMatchObject({ age: 1, fnlwgt: 1, "education-num": 1, "capital-gain": 1, "hours-per-week": 1, workclass: 1, education: 1, sex: 1 });
    const expected = await runtimeScores(model, oddCsv);
    const actual = await exportedScores(exportModel(model).bytes, spec, oddCsv);
    for (const t of spec.tasks) expect(maxDifference(actual[t.name]!, expected[t.name]!)).toBeLessThanOrEqual(1e-6);
  });

  it("folds the MSSM gates: constants in place of HardConcreteGate calls, no log α left", () => {
    const spec = specOf(join(zooDir, "mssm.mssm"));
    const model = modelOf(spec, preprocessing);
    const exported = exportModel(model);
    expect(exported.graph.functions).toEqual([]);
    expect(exported.graph.nodes.some((n) => n.op === "Call")).toBe(false);
    expect(exported.graph.params.some((p) => p.value.name.endsWith("/log_alpha"))).toBe(false);
    const total = model.manifest.params.filter((p) => p.name.endsWith("/log_alpha")).reduce((a, p) => a + p.shape.reduce((x, d) => x * d, 1), 0);
    expect(exported.gates.total).toBe(total);
    expect(exported.gates.closed).toBeGreaterThan(0);
    expect(exported.gates.closed).toBeLessThan(total);
  });

  it("computes gates as HardConcreteGate: closed below log α ≈ -2.4, open above ≈ 2.4", () => {
    expect(Array.from(foldGate(Float32Array.from([-10, -2.4, 0, 2.4, 10]), -0.1, 1.1))).toEqual([0, 0, Math.fround(0.5), 1, 1]);
    expect(foldGate(Float32Array.from([-2.3]), -0.1, 1.1)[0]).toBeGreaterThan(0);
  });

  it("prunes what closed gates cut (MSSM, income's level-1 expert reads only its own input): fewer params and nodes, same scores", async () => {
    const spec = specOf(join(zooDir, "mssm.mssm"));
    const model = modelOf(spec, preprocessing);
    // Open every gate, then close those of income's first layer except the ones reading its own field-selected input.
    for (const p of model.manifest.params) if (p.name.endsWith("/log_alpha")) model.params.get(p.name)!.fill(10);
    const closedGates = model.manifest.params.filter((p) => p.name.startsWith("level1/income/") && p.name.endsWith("/log_alpha") && !p.name.includes("/gates/input/income/"));
    expect(closedGates.map((p) => p.name)).toEqual(["level1/income/expert0/gates/input/never_married/log_alpha", "level1/income/expert0/gates/input/shared/log_alpha"]);
    for (const p of closedGates) model.params.get(p.name)!.fill(-10);
    const pruned = exportModel(model);
    const full = exportModel(model, { prune: false });
    expect(full.pruned).toBeUndefined();
    expect(pruned.pruned!.blocks).toBe(2);
    expect(pruned.pruned!.units).toBe(0);
    expect(pruned.pruned!.params.before).toBe(full.params);
    expect(pruned.pruned!.params.after).toBe(pruned.params);
    // income's level-1 weight loses the two closed blocks' rows (2 x 104 x 64).
    expect(full.params - pruned.params).toBe(2 * 104 * 64);
    expect(pruned.graph.nodes.length).toBeLessThan(full.graph.nodes.length);
    const a = await exportedScores(pruned.bytes, spec, testCsv);
    const b = await exportedScores(full.bytes, spec, testCsv);
    const expected = await runtimeScores(model, testCsv);
    for (const t of spec.tasks) {
      expect(maxDifference(a[t.name]!, b[t.name]!)).toBeLessThanOrEqual(1e-5);
      expect(maxDifference(a[t.name]!, expected[t.name]!)).toBeLessThanOrEqual(1e-5);
    }
  });

  it("prunes a closed l0_average term (SNR-Aver): the shared level-1 expert nobody reads any more goes", async () => {
    const spec = specOf(join(zooDir, "snr-aver.mssm"));
    const model = modelOf(spec, preprocessing);
    for (const name of ["level2/income/gates/shared/expert0/log_alpha", "level2/never_married/gates/shared/expert0/log_alpha"]) model.params.get(name)![0] = -10;
    for (const name of model.manifest.params.filter((p) => p.name.endsWith("/log_alpha") && !p.name.includes("/shared/")).map((p) => p.name)) model.params.get(name)![0] = 10;
    const pruned = exportModel(model);
    const full = exportModel(model, { prune: false });
    expect(pruned.pruned!.blocks).toBe(2);
    expect(pruned.graph.params.some((p) => p.value.name.startsWith("level1/shared/"))).toBe(false);
    expect(full.params - pruned.params).toBe(104 * 64 + 64);
    const a = await exportedScores(pruned.bytes, spec, testCsv);
    const expected = await runtimeScores(model, testCsv);
    for (const t of spec.tasks) expect(maxDifference(a[t.name]!, expected[t.name]!)).toBeLessThanOrEqual(1e-5);
  });

  it("prunes a model whose gates are all closed (MSSM) to one thin chain that still gives eval.onnx's constant scores", async () => {
    const spec = specOf(join(zooDir, "mssm.mssm"));
    const model = modelOf(spec, preprocessing);
    for (const p of model.manifest.params) if (p.name.endsWith("/log_alpha")) model.params.get(p.name)!.fill(-10);
    // Non-zero biases, so the constants folded from layer to layer are not all 0.
    for (const p of model.manifest.params) if (p.name.endsWith("/bias")) model.params.get(p.name)!.forEach((_v, i, a) => (a[i] = Math.sin(i + 1)));
    const pruned = exportModel(model);
    // One column per layer carries the batch size: age's embedding, then a single unit per layer.
    expect(pruned.inputs.map((i) => i.name)).toEqual(["age"]);
    expect(pruned.params).toBeLessThan(50);
    const expected = await runtimeScores(model, testCsv);
    const actual = await exportedScores(pruned.bytes, spec, testCsv);
    for (const t of spec.tasks) {
      expect(new Set(expected[t.name]).size).toBe(1);
      expect(maxDifference(actual[t.name]!, expected[t.name]!)).toBeLessThanOrEqual(1e-5);
    }
  });

  it("is deterministic: two exports are byte-identical", () => {
    const spec = specOf(join(zooDir, "mssm.mssm"));
    expect(Buffer.from(exportModel(modelOf(spec, preprocessing)).bytes).equals(Buffer.from(exportModel(modelOf(spec, preprocessing)).bytes))).toBe(true);
  });

  it("hashes hashed fields in the graph (MurmurHash3): seen, unseen and missing values score as eval.onnx does", async () => {
    // Adult's fields with three of them hashed, into fewer buckets than values (so values collide).
    const fields = readFileSync(join(zooDir, "adult.mssm"), "utf8")
      .replace(/workclass\s+categorical\(dim: 8\)/, "workclass categorical(dim: 8, hash_buckets: 5)")
      .replace(/occupation\s+categorical\(dim: 8\)/, "occupation categorical(dim: 8, hash_buckets: 11)")
      .replace(/native-country\s+categorical\(dim: 8\)/, "native-country categorical(dim: 8, hash_buckets: 64)");
    const spec = specOf(join(dir, "hashed.mssm"), `${fields}\nmodel hashed { groups shared\n level 1 { experts: mlp[16] relu }\n towers { tower: mlp[8] relu } }\n`);
    const prep = (await loadTrainingData(spec, join(adult, "adult.data"))).preprocessing;
    expect(prep.fields["native-country"]).toEqual({ kind: "categorical", vocab: { kind: "hash", hash: "murmur3-32-utf8", buckets: 64 } });
    const model = modelOf(spec, prep);
    const exported = exportModel(model);
    expect(exported.inputs.find((i) => i.name === "native-country")).toEqual({ name: "native-country", dtype: "string", shape: ["batch"], fields: ["native-country"] });
    // oddCsv has an unseen country (Atlantis), "?" and "" cells; testCsv 2,000 ordinary rows.
    for (const csv of [testCsv, oddCsv]) {
      const expected = await runtimeScores(model, csv);
      const actual = await exportedScores(exported.bytes, spec, csv);
      for (const t of spec.tasks) expect(maxDifference(actual[t.name]!, expected[t.name]!)).toBeLessThanOrEqual(1e-6);
    }
  });

  it("exports multi_hot fields as token-list inputs: sum and mean pooling, vocabulary and hashed, unknown, missing and padded tokens score as eval.onnx does", async () => {
    const spec = specOf(
      join(dir, "lists.mssm"),
      `fields {\n  age numeric\n  tags multi_hot(dim: 4, separator: "|")\n  cats multi_hot(dim: 4, separator: ";", pooling: sum, hash_buckets: 7)\n}\ntasks { y binary(label: y) }\nmodel lists { towers { tower: mlp[8] relu } }\n`,
    );
    const rng = Random.derive(5, "lists");
    const pick = (xs: readonly string[]) => xs[Math.floor(rng.uniform() * xs.length)]!;
    const list = (vocab: readonly string[], sep: string) =>
      rng.uniform() < 0.1 ? pick(["", "?"]) : Array.from({ length: 1 + Math.floor(rng.uniform() * 4) }, () => pick(vocab)).join(pick([sep, ` ${sep} `, `${sep} `]));
    const csv = (rows: number, vocab: readonly string[]) =>
      ["age,tags,cats,y", ...Array.from({ length: rows }, () => `${Math.floor(rng.uniform() * 60)},${list(vocab, "|")},${list(vocab, ";")},${rng.uniform() < 0.5 ? 1 : 0}`)].join("\n") + "\n";
    const train = join(dir, "lists-train.csv");
    const test = join(dir, "lists-test.csv");
    writeFileSync(train, csv(300, ["red", "green", "blue", "dark red"]));
    // Unseen tokens (unknown to the vocabulary, new buckets for the hash), "?" and empty tokens.
    writeFileSync(test, csv(200, ["red", "blue", "dark red", "teal", "mauve", "?", ""]));
    const prep = (await loadTrainingData(spec, train)).preprocessing;
    const model = modelOf(spec, prep);
    const exported = exportModel(model);
    expect(exported.inputs.map((i) => [i.name, i.dtype, i.shape])).toEqual([
      ["age", "float32", ["batch"]],
      ["tags", "string", ["batch", "tokens_tags"]],
      ["cats", "string", ["batch", "tokens_cats"]],
    ]);
    const expected = await runtimeScores(model, test);
    const actual = await exportedScores(exported.bytes, spec, test);
    expect(actual["y"]!.length).toBe(200);
    expect(maxDifference(actual["y"]!, expected["y"]!)).toBeLessThanOrEqual(1e-6);
  });

  it("refuses FNV-1a hashed fields (old runs) and columns read two ways, naming each", () => {
    const path = join(dir, "refused.mssm");
    writeFileSync(
      path,
      `fields {\n  a categorical(hash_buckets: 100)\n  b multi_hot(separator: "|")\n  b_one categorical(column: b)\n  c numeric\n  c_id categorical(column: c)\n}\ntasks { t binary(label: y) }\nmodel m { towers { tower: mlp[4] relu } }\n`,
    );
    const spec = specOf(path);
    const prep: Preprocessing = {
      fields: {
        a: { kind: "categorical", vocab: { kind: "hash", hash: "fnv1a32-utf8", buckets: 100 } },
        b: { kind: "multi_hot", vocab: { kind: "values", values: ["x"] } },
        b_one: { kind: "categorical", vocab: { kind: "values", values: ["x"] } },
        c: { kind: "numeric", stats: { transform: "none", mean: 0, std: 1, count: 1 } },
        c_id: { kind: "categorical", vocab: { kind: "values", values: ["1"] } },
      },
    };
    const model: TrainedModel = { manifest: compileSpec(spec).manifest, params: new Map(), tables: new Map(), preprocessing: prep };
    let error: unknown;
    try {
      exportModel(model);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe("export-unsupported");
    expect((error as UserError).message).toBe(
      [
        "cannot export model m:",
        `  field "a" was hashed with fnv1a32-utf8, not murmur3-32-utf8 (the hash of runs trained before mssmc hashed with MurmurHash3); no ONNX op computes it, so the exported model could not place unseen values in their buckets. Train the run again to export it`,
        `  column "b" is read by fields "b" and "b_one", and "b" is multi_hot; an exported multi_hot input is that field's token list, so no other field may read its column`,
        `  column "c" is read as numeric by field "c" and as categorical by field "c_id"; an exported input has one element type`,
      ].join("\n"),
    );
  });

  it("refuses a model whose weights do not match its manifest", () => {
    const spec = specOf(join(zooDir, "shared-bottom.mssm"));
    const model = modelOf(spec, preprocessing);
    model.tables.set("race", { rows: 2, dim: 8, data: new Float32Array(16) });
    expect(() => exportModel(model)).toThrow(/^the embedding table of field "race" is not 6 x 8 as its vocabulary and spec say/);
    const other = modelOf(spec, preprocessing);
    other.params.delete("towers/income/out/bias");
    expect(() => exportModel(other)).toThrow("the trained model has no values for param towers/income/out/bias, which needs 1; it does not match its manifest");
  });
});

describe.skipIf(!hasOnnx && !process.env["CI"])("Debian's ONNX checker", () => {
  it("accepts every exported zoo model with full_check", () => {
    const paths = zoo.map((file) => {
      const path = join(dir, `${basename(file, ".mssm")}.onnx`);
      writeFileSync(path, exportModel(modelOf(specOf(join(zooDir, file)), preprocessing)).bytes);
      return path;
    });
    const script = "import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\nprint('ok', len(sys.argv) - 1)\n";
    const run = spawnSync(PYTHON, ["-c", script, ...paths], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(`ok ${paths.length}\n`);
  });

  it("accepts a model that hashes in the graph (com.microsoft MurmurHash3) with full_check", async () => {
    const fields = readFileSync(join(zooDir, "adult.mssm"), "utf8").replace(/native-country\s+categorical\(dim: 8\)/, "native-country categorical(dim: 8, hash_buckets: 64)");
    const spec = specOf(join(dir, "hashed-check.mssm"), `${fields}\nmodel hashed { towers { tower: mlp[8] relu } }\n`);
    const exported = exportModel(modelOf(spec, (await loadTrainingData(spec, join(adult, "adult.data"))).preprocessing));
    expect(exported.graph.nodes.some((n) => n.op === "StringHash")).toBe(true);
    const path = join(dir, "hashed.onnx");
    writeFileSync(path, exported.bytes);
    const run = spawnSync(PYTHON, ["-c", "import sys, onnx\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\nprint('ok')\n", path], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("ok\n");
  });

  it("accepts a model with multi_hot token-list inputs (mean pooling, vocabulary and hashed) with full_check", () => {
    const spec = specOf(join(dir, "lists-check.mssm"), `fields {\n  a numeric\n  tags multi_hot(dim: 4)\n  cats multi_hot(dim: 4, hash_buckets: 5)\n}\ntasks { t binary(label: y) }\nmodel m { towers { tower: mlp[4] relu } }\n`);
    const prep: Preprocessing = {
      fields: {
        a: { kind: "numeric", stats: { transform: "none", mean: 0, std: 1, count: 1 } },
        tags: { kind: "multi_hot", vocab: { kind: "values", values: ["x", "y"] } },
        cats: { kind: "multi_hot", vocab: { kind: "hash", hash: "murmur3-32-utf8", buckets: 5 } },
      },
    };
    const exported = exportModel(modelOf(spec, prep));
    expect(exported.inputs.map((i) => i.shape.length)).toEqual([1, 2, 2]);
    const path = join(dir, "lists.onnx");
    writeFileSync(path, exported.bytes);
    const run = spawnSync(PYTHON, ["-c", "import sys, onnx\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\nprint('ok')\n", path], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("ok\n");
  });
});
