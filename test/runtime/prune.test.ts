// The pruned export of a trained MSSM whose gates are closed by hand: five cells of
// income's level-1 expert in every block (five units), two level-2 blocks, FSCM vectors and table
// columns that shut one field out of every group and one out of one group, and level-1 weights
// that read a numeric field nowhere. The pruned model must shrink by exactly that, load in
// onnxruntime, and score real Adult rows as the unpruned model and eval.onnx (`mssmc predict`) do;
// `mssmc inspect` must report the same counts.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../compiler/ir/graph.js";
import { packageRoot } from "../../base/package-root.js";
import type { Spec } from "../../compiler/load/types.js";
import { checkpointPath, decodeCheckpoint, encodeCheckpoint, loadTrainedModel } from "../../runtime/checkpoint.js";
import { exportModel, type ClosedSelection } from "../../runtime/export.js";
import type { TrainedModel } from "../../runtime/trained-model.js";

const root = packageRoot();
const cli = join(root, "dist", "cli", "mssmc.js");
const adult = join(root, "..", "shared", "data", "adult");
const mssmc = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });

const GROUPS = ["income", "never_married", "shared"];
/** Cells 0-4 of income's level-1 expert, closed in all three of its blocks: five constant units. */
const CLOSED_CELLS = GROUPS.map((g) => `level1/income/expert0/gates/input/${g}/log_alpha`);
const CLOSED_UNITS = 5;
/** Their biases: relu(b) is 0.5, 0, 0.2, 0.7 and 0, so three constants go into level 2's biases. */
const UNIT_BIASES = [0.5, -0.3, 0.2, 0.7, -1];
/** Two whole blocks at level 2: income stops reading never_married's expert, never_married the shared one. */
const CLOSED_BLOCKS = ["level2/income/expert0/gates/never_married/expert0/log_alpha", "level2/never_married/expert0/gates/shared/expert0/log_alpha"];

let dir: string;
let run: string;
let testCsv: string;
let testLines: string[];

/** The columns of field `name` in E (every field is 8 wide in the zoo). */
function fieldColumns(spec: Spec, name: string): [number, number] {
  let at = 0;
  for (const f of spec.fields) {
    if (f.name === name) return [at, f.dim];
    at += f.dim;
  }
  throw new Error(`no field ${name}`);
}

/** The FSCM offset b in w = relu(tanh(g · e + b)), where the spec has one (0 without). */
const selectOffset = (spec: Spec) => (spec.gates as { select_offset?: number }).select_offset ?? 0;

/** Closes the gates above, shuts fields out by their FSCM vectors and tables, and fnlwgt by the level-1 weights (see the header). */
function closeByHand(path: string, spec: Spec): void {
  const c = decodeCheckpoint(readFileSync(path), path);
  const params = c.state.params;
  for (const name of CLOSED_CELLS) params.get(name)!.fill(-10, 0, CLOSED_UNITS);
  params.get("level1/income/expert0/dense0/bias")!.set(UNIT_BIASES, 0);
  for (const name of CLOSED_BLOCKS) params.get(name)!.fill(-10);
  // Column 0 of the race and workclass tables made positive (at least 0.01), and column 1 of
  // workclass too except in row 2, where it is negative.
  const store = c.state.store;
  const [race, dim] = fieldColumns(spec, "race");
  const [workclass] = fieldColumns(spec, "workclass");
  for (const [field, column, negativeRow] of [["race", 0, -1], ["workclass", 0, -1], ["workclass", 1, 2]] as const) {
    const ids = Int32Array.from({ length: store.table(field).rows }, (_, r) => r);
    const { rows: table, states } = store.gather(field, ids);
    for (let r = 0; r < ids.length; r++) table[r * dim + column] = (r === negativeRow ? -1 : 1) * (0.01 + Math.abs(table[r * dim + column]!));
    store.scatter(field, ids, table, states);
  }
  // g = -1000 on one column, 0 on the others: g · e <= -10 on every row where that column is
  // positive, so w = relu(tanh(g · e + b)) = 0 there for any offset b below 10.
  const shut = (group: string, at: number, column: number) => {
    const g = params.get(`select/${group}/g`)!;
    g.fill(0, at, at + dim);
    g[at + column] = -1000;
  };
  // race out of every group; workclass out of income, while never_married still reads its row 2.
  for (const group of GROUPS) shut(group, race, 0);
  shut("income", workclass, 0);
  shut("never_married", workclass, 1);
  // fnlwgt (numeric): every level-1 expert's weight is 0 on the rows of fnlwgt's columns in all
  // three sources, so no layer reads it whatever its mask.
  const [fnlwgt] = fieldColumns(spec, "fnlwgt");
  const width = spec.fields.reduce((a, f) => a + f.dim, 0);
  for (const group of GROUPS) {
    const w = params.get(`level1/${group}/expert0/dense0/weight`)!;
    const units = w.length / (GROUPS.length * width);
    for (let source = 0; source < GROUPS.length; source++) w.fill(0, (source * width + fnlwgt) * units, (source * width + fnlwgt + dim) * units);
  }
  writeFileSync(path, encodeCheckpoint(c));
}

/**
 * By hand, in float64: the (field, group) pairs with g · e + b <= 0 on every row of a categorical
 * field's table, or g = 0 and b <= 0 for a numeric field.
 */
function closedByHand(model: TrainedModel): ClosedSelection[] {
  const spec = model.manifest.spec;
  const b = selectOffset(spec);
  const out: ClosedSelection[] = [];
  for (const group of GROUPS) {
    const g = model.params.get(`select/${group}/g`)!;
    for (const f of spec.fields) {
      const [at, dim] = fieldColumns(spec, f.name);
      if (f.kind === "numeric" && b <= 0 && g.subarray(at, at + dim).every((v) => v === 0)) out.push({ field: f.name, group });
      if (f.kind !== "categorical") continue;
      const t = model.tables.get(f.name)!;
      let open = false;
      for (let r = 0; r < t.rows; r++) {
        let s = b;
        for (let k = 0; k < dim; k++) s += t.data[r * dim + k]! * g[at + k]!;
        open ||= s > 0;
      }
      if (!open) out.push({ field: f.name, group });
    }
  }
  return out;
}

/** The exported model's scores on the raw test rows, feeding only the inputs it has. */
async function scores(bytes: Uint8Array, spec: Spec): Promise<{ inputs: string[]; out: Record<string, Float32Array> }> {
  const header = testLines[0]!.split(",").map((c) => c.trim());
  const rows = testLines.slice(1).map((l) => l.split(",").map((c) => c.trim()));
  const numeric = new Set(spec.fields.filter((f) => f.kind === "numeric").map((f) => f.column));
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    const cells = rows.map((r) => r[header.indexOf(name)]!);
    feeds[name] = numeric.has(name) ? new ort.Tensor("float32", Float32Array.from(cells, (c) => (c === "?" ? NaN : Number(c))), [cells.length]) : new ort.Tensor("string", cells, [cells.length]);
  }
  const result = await session.run(feeds);
  const inputs = [...session.inputNames];
  await session.release();
  return { inputs, out: Object.fromEntries(spec.tasks.map((t) => [t.name, result[t.name]!.data as Float32Array])) };
}

function maxDifference(a: Float32Array, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** The width (last dimension) of the value named `name` in `graph`. */
function widthOf(graph: Graph, name: string): number | string | undefined {
  const v = graph.nodes.flatMap((n) => n.outputs).find((o) => o.name === name);
  return v?.shape[v.shape.length - 1];
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mssmc-prune-"));
  const train = join(dir, "train.csv");
  writeFileSync(train, readFileSync(join(adult, "adult.data"), "utf8").split("\n").slice(0, 1501).join("\n") + "\n");
  testLines = readFileSync(join(adult, "adult.test"), "utf8").split("\n").slice(0, 1001);
  testCsv = join(dir, "test.csv");
  writeFileSync(testCsv, testLines.join("\n") + "\n");
  run = join(dir, "run");
  // The zoo MSSM with the tanh form of field selection, whose masks closeByHand shuts through g.
  for (const f of ["adult.mssm", "mssm.mssm"]) {
    const text = readFileSync(join(root, "specs", "zoo", f), "utf8");
    writeFileSync(join(dir, f), text.replace("select fields per group\n", "select fields per group(form: tanh)\n"));
  }
  expect(readFileSync(join(dir, "mssm.mssm"), "utf8")).toContain("(form: tanh)");
  const trained = mssmc("train", join(dir, "mssm.mssm"), "--data", train, "--out", run, "--epochs", "1");
  expect(trained.status, trained.stderr).toBe(0);
  closeByHand(checkpointPath(run, "best"), loadTrainedModel(run, "best").manifest.spec);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pruned export of a trained MSSM with gates closed by hand", () => {
  it("removes exactly the closed units, blocks, selections and fields, and scores as the unpruned model", async () => {
    const model = loadTrainedModel(run, "best");
    const spec = model.manifest.spec;
    const pruned = exportModel(model);
    const full = exportModel(model, { prune: false });
    const p = pruned.pruned!;
    expect([p.units, p.blocks]).toEqual([CLOSED_UNITS, CLOSED_BLOCKS.length]);

    // Selections: by hand, then what the export found; race is shut out everywhere, workclass from income only.
    const closed = closedByHand(model);
    expect(p.selections).toEqual(closed);
    expect(closed).toEqual(expect.arrayContaining([{ field: "workclass", group: "income" }, ...GROUPS.map((group) => ({ field: "race", group }))]));
    expect(closed).not.toContainEqual({ field: "workclass", group: "never_married" });
    const everywhere = spec.fields.map((f) => f.name).filter((f) => GROUPS.every((group) => closed.some((c) => c.field === f && c.group === group)));
    expect(everywhere).toContain("race");
    expect(everywhere).not.toContain("fnlwgt");
    // Removed: the fields no group selects, and fnlwgt, which no layer reads.
    const removed = spec.fields.map((f) => f.name).filter((f) => f === "fnlwgt" || everywhere.includes(f));
    expect(p.fields).toEqual(removed);
    expect(p.inputs).toEqual(removed);
    expect(pruned.inputs.map((i) => i.name)).toEqual(full.inputs.map((i) => i.name).filter((c) => !removed.includes(c)));
    expect(pruned.graph.params.some((v) => v.value.name === "emb/race/table" || v.value.name === "fields/fnlwgt/vector")).toBe(false);
    // The other numeric fields still slice their own column out of the narrower numeric block.
    expect(widthOf(pruned.graph, "preprocess/numeric")).toBe(widthOf(full.graph, "preprocess/numeric") as number - 1);

    // The shapes that say so: each group's input loses 8 columns per closed field and fnlwgt's 8;
    // income's level-1 expert has 59 units; level 2 reads 59 + 64 columns (one block each cut).
    for (const group of GROUPS) expect(widthOf(pruned.graph, `select/${group}/out`)).toBe(104 - 8 * (closed.filter((c) => c.group === group).length + 1));
    expect(widthOf(full.graph, "level1/income/expert0/dense0/out")).toBe(64);
    expect(widthOf(pruned.graph, "level1/income/expert0/dense0/out")).toBe(64 - CLOSED_UNITS);
    expect(widthOf(pruned.graph, "level1/never_married/expert0/dense0/out")).toBe(64);
    for (const group of ["income", "never_married"]) {
      const xw = pruned.graph.nodes.find((n) => n.outputs[0]!.name === `level2/${group}/expert0/dense0/xw`)!;
      expect(xw.inputs[1]!.shape).toEqual([64 - CLOSED_UNITS + 64, 32]);
    }
    expect(pruned.params).toBeLessThan(full.params);
    expect(p.params).toEqual({ before: full.params, after: pruned.params });
    expect(pruned.graph.nodes.length).toBeLessThan(full.graph.nodes.length);

    // Same scores on 1,000 real test rows; the pruned model takes no race column.
    const a = await scores(pruned.bytes, spec);
    const b = await scores(full.bytes, spec);
    expect(a.inputs).not.toContain("race");
    expect(a.inputs).not.toContain("fnlwgt");
    expect(b.inputs).toEqual(expect.arrayContaining(["race", "fnlwgt"]));
    for (const t of spec.tasks) {
      expect(a.out[t.name]!.length).toBe(1000);
      expect(maxDifference(a.out[t.name]!, b.out[t.name]!)).toBeLessThanOrEqual(1e-5);
    }
  });

  it("mssmc export says what it removed, mssmc inspect counts the same, and the model scores as mssmc predict (eval.onnx)", async () => {
    const model = join(dir, "model.onnx");
    const r = mssmc("export", run, "-o", model);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const exported = exportModel(loadTrainedModel(run, "best"));
    const p = exported.pruned!;
    const n = (x: number) => x.toLocaleString("en-US");
    expect(r.stdout).toContain(`\n  inputs: ${exported.inputs.map((i) => `${i.name} (${i.dtype})`).join(", ")}\n`);
    expect(r.stdout).toContain(`\n  field selections closed (mask 0 for every example): ${p.selections.map((c) => `${c.field} -> ${c.group}`).join(", ")}\n`);
    expect(r.stdout).toContain(
      `\n  pruned: removed 2 closed block(s), 5 unit(s), ${p.fields.length} field(s) (${p.fields.join(", ")}); numbers ${n(p.params.before)} -> ${n(p.params.after)}, nodes ${p.nodes.before} -> ${p.nodes.after}\n` +
        `  inputs removed (do not feed them): ${p.inputs.join(", ")}\n`,
    );

    const inspected = mssmc("inspect", run, "--format", "json");
    expect(inspected.status, inspected.stderr).toBe(0);
    const pruning = JSON.parse(inspected.stdout).pruning;
    expect({ blocks: pruning.blocks, units: pruning.units, fields: pruning.fields, inputs: pruning.inputs, selections: pruning.selections }).toEqual({
      blocks: 2,
      units: 5,
      fields: p.fields,
      inputs: p.inputs,
      selections: p.selections,
    });
    expect([pruning.params, pruning.nodes]).toEqual([p.params, p.nodes]);
    const text = mssmc("inspect", run).stdout;
    expect(text).toContain(`before -> after pruning (removed 2 closed block(s), 5 unit(s), ${p.fields.length} field(s): ${p.fields.join(", ")}):`);
    expect(text).toContain(`\n  the pruned model no longer takes the input(s) ${p.inputs.join(", ")}\n`);

    const predicted = join(dir, "pred.csv");
    const pr = mssmc("predict", run, "--data", testCsv, "-o", predicted);
    expect(pr.status, pr.stderr).toBe(0);
    const rows = readFileSync(predicted, "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
    const spec = loadTrainedModel(run, "best").manifest.spec;
    const { out } = await scores(readFileSync(model), spec);
    spec.tasks.forEach((t, k) => expect(maxDifference(out[t.name]!, rows.map((row) => row[k]!))).toBeLessThanOrEqual(1e-5));
  });
});
