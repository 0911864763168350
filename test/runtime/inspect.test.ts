// mssmc inspect: the sparsity of a trained model with gates closed by hand must match what the
// pruned export removes, and the field selection must be the FSCM mask computed by hand.

import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileSpec } from "../../compiler/compile.js";
import { initialValue } from "../../compiler/ir/init.js";
import { packageRoot } from "../../base/package-root.js";
import { loadSpec } from "../../compiler/load/load.js";
import { checkpointPath, decodeCheckpoint, encodeCheckpoint, loadTrainedModel } from "../../runtime/checkpoint.js";
import { loadTrainingData } from "../../runtime/data/dataset.js";
import { exportModel } from "../../runtime/export.js";
import { expectedL0, formatInspection, inspectModel, inspectModelOnData, sampleRows, type FieldSelection, type Pruning } from "../../runtime/inspect.js";
import type { GateUsage } from "../../runtime/gate-usage.js";
import type { Importance } from "../../runtime/importance.js";
import { withFloatOutputs } from "../../compiler/index.js";
import type { EmbeddingTable, TrainedModel } from "../../runtime/trained-model.js";
import { smallCsv, tempDir, writeTemp } from "./helpers.js";

const cli = join(packageRoot(), "dist", "cli", "mssmc.js");
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

/** Two groups reading field-selected inputs through cell-level gates (8 per block). */
const SPEC = `fields {
  x numeric
  c categorical(dim: 4)
}
tasks {
  y binary(label: y)
  r regression(label: r)
}
model gated {
  groups y, r
  select fields per group(form: tanh)
  level 1 { experts: mlp[8] relu, connect: cssm }
  towers { tower: mlp[4] relu }
  train { optimizer: adam(lr: 0.02), batch: 32, epochs: 2, seed: 5 }
}
`;

const CLOSED_BLOCK = "level1/y/expert0/gates/input/r/log_alpha";
const PARTLY_CLOSED = "level1/r/expert0/gates/input/r/log_alpha";

/** A model with initial weights, every gate open (log α 10) except one closed block and 3 closed cells of another. */
async function gatedModel(): Promise<{ model: TrainedModel; data: Awaited<ReturnType<typeof loadTrainingData>>["train"] }> {
  const spec = loadSpec(writeTemp("gated.mssm", SPEC)).spec!;
  const loaded = await loadTrainingData(spec, writeTemp("small.csv", smallCsv(400)), {});
  const manifest = compileSpec(spec).manifest;
  const params = new Map<string, Float32Array>();
  for (const p of manifest.params) {
    const data = initialValue({ value: { name: p.name, dtype: p.dtype, shape: p.shape }, init: p.init, group: p.group, doc: p.doc }, 3) as Float32Array;
    if (p.name.endsWith("/log_alpha")) data.fill(10);
    params.set(p.name, data);
  }
  params.get(CLOSED_BLOCK)!.fill(-10);
  params.get(PARTLY_CLOSED)!.set([-10, -10, -10], 0);
  const tables = new Map<string, EmbeddingTable>();
  for (const t of manifest.tables) tables.set(t.field, { rows: 5, dim: t.dim, data: Float32Array.from({ length: 5 * t.dim }, (_v, i) => Math.sin(i)) });
  return { model: { manifest, params, tables, preprocessing: loaded.preprocessing }, data: loaded.train };
}

describe("inspectModel", () => {
  it("counts the closed gates and the pruning savings exactly as the pruned export does", async () => {
    const { model } = await gatedModel();
    const x = inspectModel(model, { checkpoint: "best" });
    const pruned = exportModel(model);
    const full = exportModel(model, { prune: false });
    expect(x.gates).toEqual({ total: 32, open: 21, closed: 11, expectedL0: x.gates.expectedL0 });
    expect(x.gates.closed).toBe(pruned.gates.closed);
    expect(x.gates.total).toBe(pruned.gates.total);
    const p = x.pruning as Pruning;
    expect(p.params).toEqual({ before: full.params, after: pruned.params });
    expect(p.nodes).toEqual({ before: full.graph.nodes.length, after: pruned.graph.nodes.length });
    expect(p.blocks).toBe(pruned.pruned!.blocks);
    expect(p.blocks).toBe(1);
    expect([p.units, p.fields, p.inputs]).toEqual([pruned.pruned!.units, pruned.pruned!.fields, pruned.pruned!.inputs]);
    // r's three closed cells are open in its other block, so no unit of r is constant.
    expect([p.units, p.fields, p.inputs]).toEqual([0, [], []]);
    // The closed block is y's first layer reading r's 12-wide field-selected input: 12 x 8 weights and multiply-adds.
    expect(p.params.before - p.params.after).toBe(96);
    expect(p.macs.before - p.macs.after).toBe(96);

    const [level1, towers] = x.stages;
    expect(level1!.label).toBe("level 1");
    expect(level1!.connect).toBe("cssm(cell)");
    expect(level1!.edges.map((e) => [e.consumer, e.source, e.open, e.total])).toEqual([
      ["y", "input/y", 8, 8],
      ["y", "input/r", 0, 8],
      ["r", "input/y", 8, 8],
      ["r", "input/r", 5, 8],
    ]);
    const { beta, gamma, zeta } = model.manifest.spec.gates;
    expect(level1!.edges[1]!.expectedL0).toBeCloseTo(8 / (1 + Math.exp(10 + beta * Math.log(-gamma / zeta))), 12);
    expect(towers!.edges.map((e) => [e.consumer, e.source, e.gated])).toEqual([
      ["y", "y/expert0", false],
      ["r", "r/expert0", false],
    ]);

    const text = formatInspection(x);
    expect(text).toContain("\n  y       input/r     0      8    0.0%");
    expect(text).toContain("L0 gates: 21 of 32 open (65.6%), 11 closed;");
    expect(text).toContain("field selection: pass --data CSV to measure field selection on a sample of rows");
  });

  it("counts a unit whose cells are closed in every block as the export removes it: its weights, bias and the tower's rows", async () => {
    const { model } = await gatedModel();
    // r's cells 0-2 are closed in its block reading input/r; closing them in input/y too makes units 0-2 constant.
    model.params.get("level1/r/expert0/gates/input/y/log_alpha")!.set([-10, -10, -10], 0);
    const p = inspectModel(model, { checkpoint: "best" }).pruning as Pruning;
    const pruned = exportModel(model);
    expect([p.blocks, p.units]).toEqual([1, 3]);
    expect([pruned.pruned!.blocks, pruned.pruned!.units]).toEqual([1, 3]);
    // The y block (12 x 8), then per unit of r: its 24 weights and bias, and 4 weights of r's tower.
    expect(p.params.before - p.params.after).toBe(96 + 3 * (24 + 1 + 4));
    expect(p.macs.before - p.macs.after).toBe(96 + 3 * (24 + 4));
    expect(formatInspection(inspectModel(model, { checkpoint: "best" }))).toContain("before -> after pruning (removed 1 closed block(s), 3 unit(s), 0 field(s)):");
  });

  it("computes the expected L0 as Σ σ(log α − β log(−γ/ζ))", () => {
    expect(expectedL0(Float32Array.of(0, 0), 2 / 3, -0.1, 1.1)).toBeCloseTo(2 / (1 + Math.exp((2 / 3) * Math.log(0.1 / 1.1))), 12);
  });

  it("measures field selection as the mean of relu(tanh(g · e + b)) over evenly spread rows, for the default b and the paper's b = 0", async () => {
    const { model, data } = await gatedModel();
    // Group y: x's embedding is x·v with v all 1 and g 1/8, so w = relu(tanh(x + b)); c's g is 0, so w = relu(tanh(b)).
    model.params.get("fields/x/vector")!.fill(1);
    const g = model.params.get("select/y/g")!;
    g.fill(0.125, 0, 8);
    g.fill(0, 8, 12);
    const column = data.fields["x"]!;
    if (column.kind !== "numeric") throw new Error("x is numeric");
    const rows = sampleRows(data.rows, 100);
    const gates = model.manifest.spec.gates;
    expect(gates.select_offset).toBe(1);
    for (const b of [1, 0]) {
      model.manifest.spec.gates = { ...gates, select_offset: b };
      const fs = inspectModel(model, { checkpoint: "best", data, sample: 100 }).fieldSelection as FieldSelection;
      expect(fs.fields).toEqual(["x", "c"]);
      expect(fs.groups).toEqual(["y", "r"]);
      expect(fs.rows).toBe(100);
      const expected = [...rows].reduce((a, r) => a + Math.max(0, Math.tanh(column.values[r]! + b)), 0) / rows.length;
      expect(fs.strength[0]![0]).toBeCloseTo(expected, 6);
      expect(fs.strength[1]![0]).toBeCloseTo(Math.max(0, Math.tanh(b)), 6);
      for (const row of fs.strength) for (const v of row) expect(v >= 0 && v <= 1).toBe(true);
    }
    model.manifest.spec.gates = gates;
    expect(sampleRows(10, 4)).toEqual(Int32Array.of(0, 2, 5, 7));
    expect(sampleRows(3, 2000)).toEqual(Int32Array.of(0, 1, 2));
  });
});

/** MMoE on the small data: 3 shared experts, each task's tower reads a softmax mixture of them. */
const MMOE = `fields {
  x numeric
  c categorical(dim: 4)
}
tasks {
  y binary(label: y)
  r regression(label: r)
}
model mmoe {
  groups shared
  level 1 { experts: 3 x mlp[4] relu }
  towers { tower: mlp[4] relu, connect: softmax_gate }
}
`;

describe("inspectModelOnData", () => {
  it("says which field each group still reads exactly as the pruned export cuts it", async () => {
    const { model, data } = await gatedModel();
    // Paper's form (b = 0) with y's g zero on c: w = relu(tanh(0)) = 0 for every example, so the export cuts c from y.
    model.manifest.spec.gates = { ...model.manifest.spec.gates, select_offset: 0 };
    model.params.get("select/y/g")!.fill(0, 8, 12);
    const x = inspectModel(model, { checkpoint: "best", data });
    const fs = x.fieldSelection as FieldSelection;
    expect((x.pruning as Pruning).selections).toEqual([{ field: "c", group: "y" }]);
    expect(fs.selected).toEqual([
      [true, true],
      [false, true],
    ]);
    expect(fs.strength[1]![0]).toBe(0);
    expect(formatInspection(x)).toMatch(/\n  c +0\.000 cut +0\.\d{3}\s*\n/);
    // Without an export there is nothing to say which field survives.
    model.preprocessing = { ...model.preprocessing, fields: {} };
    expect((inspectModel(model, { checkpoint: "best", data }).fieldSelection as FieldSelection).selected).toBeUndefined();
  });

  it("measures each selection form's mask: a learned offset per field, a field gate (cut by the export once closed), a gate times the tanh mask", async () => {
    for (const form of ["learned_offset", "l0", "l0_tanh"] as const) {
      const spec = loadSpec(writeTemp("form.mssm", SPEC.replace("select fields per group(form: tanh)", `select fields per group(form: ${form})`))).spec!;
      const loaded = await loadTrainingData(spec, writeTemp("small.csv", smallCsv(200)), {});
      const manifest = compileSpec(spec).manifest;
      const params = new Map<string, Float32Array>();
      for (const p of manifest.params) params.set(p.name, initialValue({ value: { name: p.name, dtype: p.dtype, shape: p.shape }, init: p.init, group: p.group, doc: p.doc }, 3) as Float32Array);
      for (const [name, v] of params) if (name.startsWith("select/") && name.endsWith("/g")) v.fill(0);
      // y: x's field gate open, c's closed (l0 forms); learned offsets 0.5 and 2 (learned_offset).
      if (form === "learned_offset") params.get("select/y/offset")!.set([0.5, 2]);
      else params.get("select/y/gates/fields/log_alpha")!.set([10, -10]);
      const tables = new Map<string, EmbeddingTable>([["c", { rows: 5, dim: 4, data: Float32Array.from({ length: 20 }, (_v, i) => Math.sin(i)) }]]);
      const model: TrainedModel = { manifest, params, tables, preprocessing: loaded.preprocessing };
      const fs = inspectModel(model, { checkpoint: "best", data: loaded.train }).fieldSelection as FieldSelection;
      const b = spec.gates.select_offset;
      const y = fs.strength.map((row) => row[0]!);
      if (form === "learned_offset") {
        expect(y[0]).toBeCloseTo(Math.tanh(0.5), 6);
        expect(y[1]).toBeCloseTo(Math.tanh(2), 6);
        expect(fs.selected).toEqual([
          [true, true],
          [true, true],
        ]);
      } else {
        // The open gate folds to min(1, σ(10)(ζ − γ) + γ) = 1.
        expect(y).toEqual([form === "l0" ? 1 : expect.closeTo(Math.tanh(b), 6), 0]);
        expect(fs.selected).toEqual([
          [true, true],
          [false, true],
        ]);
      }
    }
  });

  it("measures permutation importance on the sampled rows and reports the softmax gates' mean weights from eval.onnx", async () => {
    const spec = loadSpec(writeTemp("mmoe.mssm", MMOE)).spec!;
    const loaded = await loadTrainingData(spec, writeTemp("small.csv", smallCsv(300)), {});
    const artifact = compileSpec(spec);
    const params = new Map<string, Float32Array>();
    for (const p of artifact.manifest.params) params.set(p.name, initialValue({ value: { name: p.name, dtype: p.dtype, shape: p.shape }, init: p.init, group: p.group, doc: p.doc }, 3) as Float32Array);
    // y's gate ignores its query (W = 0) and has logits b = (0, ln 2, ln 5): g = (1, 2, 5) / 8 for every row.
    params.get("towers/y/gate/weight")!.fill(0);
    params.get("towers/y/gate/bias")!.set([0, Math.log(2), Math.log(5)]);
    const tables = new Map<string, EmbeddingTable>([["c", { rows: 5, dim: 4, data: Float32Array.from({ length: 20 }, (_v, i) => Math.sin(i)) }]]);
    const model: TrainedModel = { manifest: artifact.manifest, params, tables, preprocessing: loaded.preprocessing };
    const x = await inspectModelOnData(model, artifact.files["eval.onnx"], { checkpoint: "best", data: loaded.train, sample: 100, repeats: 2, seed: 9 });
    const usage = x.gateUsage as GateUsage[];
    expect(usage.map((u) => [u.label, u.consumer, u.sources])).toEqual([
      ["towers", "y", ["shared/expert0", "shared/expert1", "shared/expert2"]],
      ["towers", "r", ["shared/expert0", "shared/expert1", "shared/expert2"]],
    ]);
    expect(usage[0]!.mean[0]).toBeCloseTo(1 / 8, 6);
    expect(usage[0]!.mean[1]).toBeCloseTo(2 / 8, 6);
    expect(usage[0]!.mean[2]).toBeCloseTo(5 / 8, 6);
    expect(usage[1]!.mean.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(usage[1]!.mean.every((v) => v > 0 && v < 1)).toBe(true);
    const imp = x.importance as Importance;
    expect([imp.rows, imp.repeats, imp.seed, imp.tasks, imp.fields, imp.metrics]).toEqual([100, 2, 9, ["y", "r"], ["x", "c"], ["auc", "rmse"]]);
    for (const row of [...imp.drop, ...imp.std]) for (const v of row) expect(Number.isFinite(v)).toBe(true);
    const text = formatInspection(x);
    expect(text).toContain("permutation importance (100 rows of");
    expect(text).toMatch(/towers: softmax gate usage \(mean weight per source over the rows\)\n  reader  shared\/expert0  shared\/expert1  shared\/expert2\n  y +0\.125 +0\.250 +0\.625\n/);
    // The same rows without labels: importance says why not; the gates are still measured.
    const unlabelled = await inspectModelOnData(model, artifact.files["eval.onnx"], { checkpoint: "best", data: { ...loaded.train, labels: {} }, sample: 100 });
    expect(unlabelled.importance).toEqual({ unavailable: `${loaded.train.file} has no labels for y, r` });
    expect(unlabelled.gateUsage).toEqual(usage);
    // A model without softmax gates says so; an eval graph without the gate's value names what it lacks.
    expect(inspectModel(model, { checkpoint: "best" }).gateUsage).toEqual({ unavailable: "pass --data CSV to measure the softmax gates' weights" });
    expect(withFloatOutputs(artifact.files["eval.onnx"], ["towers/y/gate/probs", "nothing/probs"])).toEqual({ missing: ["nothing/probs"] });
  });
});

describe("mssmc inspect", () => {
  it("reads a trained run (or its checkpoint file) and reports, as JSON, the gates closed by hand and the export's savings", () => {
    const spec = writeTemp("gated.mssm", SPEC);
    const data = writeTemp("train.csv", smallCsv(400));
    const runDir = join(tempDir(), "run");
    expect(run("train", spec, "--data", data, "--valid-fraction", "0.2", "--out", runDir).status).toBe(0);
    // Close one block of the trained model in its best checkpoint.
    const path = checkpointPath(runDir, "best");
    const c = decodeCheckpoint(readFileSync(path), path);
    c.state.params.get(CLOSED_BLOCK)!.fill(-10);
    writeFileSync(path, encodeCheckpoint(c));

    const r = run("inspect", runDir, "--data", data, "--format", "json");
    expect(r.stderr).toContain(": 400 rows");
    expect(r.status).toBe(0);
    const x = JSON.parse(r.stdout);
    expect(Object.keys(x)).toEqual(["model", "checkpoint", "fieldSelection", "importance", "gateUsage", "stages", "gates", "trained", "pruning"]);
    expect(x.model).toBe("gated");
    expect(x.checkpoint).toBe("best");
    expect(Object.keys(x.fieldSelection)).toEqual(["file", "rows", "fields", "groups", "strength", "selected"]);
    expect([x.fieldSelection.rows, x.fieldSelection.fields, x.fieldSelection.groups]).toEqual([400, ["x", "c"], ["y", "r"]]);
    expect(x.stages.map((s: { label: string; connect: string; consumers: string[]; sources: string[] }) => [s.label, s.connect, s.consumers, s.sources])).toEqual([
      ["level 1", "cssm(cell)", ["y", "r"], ["input/y", "input/r"]],
      ["towers", "dense", ["y", "r"], ["y/expert0", "r/expert0"]],
    ]);
    expect(Object.keys(x.stages[0].edges[0])).toEqual(["consumer", "source", "gated", "open", "total", "expectedL0"]);
    expect(x.stages[0].edges[1]).toMatchObject({ consumer: "y", source: "input/r", gated: true, open: 0, total: 8 });
    // The trained masks (b = 1) close no selection; importance per task and field on the 400 labelled rows.
    expect(x.fieldSelection.selected).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(Object.keys(x.importance)).toEqual(["file", "rows", "repeats", "seed", "tasks", "fields", "metrics", "base", "drop", "std", "min", "max"]);
    expect([x.importance.rows, x.importance.repeats, x.importance.seed, x.importance.tasks, x.importance.fields]).toEqual([400, 3, 1, ["y", "r"], ["x", "c"]]);
    for (const key of ["drop", "std", "min", "max"]) expect(x.importance[key].map((row: number[]) => row.length)).toEqual([2, 2]);
    expect(x.gateUsage).toEqual({ unavailable: "the model has no softmax gates" });
    const again = JSON.parse(run("inspect", runDir, "--data", data, "--format", "json", "--repeats", "2", "--seed", "5", "--sample", "100").stdout);
    expect([again.importance.rows, again.importance.repeats, again.importance.seed]).toEqual([100, 2, 5]);

    const model = loadTrainedModel(runDir, "best");
    const pruned = exportModel(model);
    expect(x.gates.closed).toBe(pruned.gates.closed);
    expect(x.gates.total).toBe(32);
    expect(x.pruning.params.after).toBe(pruned.params);
    expect(x.pruning.blocks).toBe(pruned.pruned!.blocks);
    expect(x.pruning.params.before - x.pruning.params.after).toBe(96);

    // The checkpoint file itself names the run; --checkpoint last reads the other one.
    const byFile = run("inspect", join(runDir, "checkpoints", "best.ckpt"), "--format", "json");
    expect(byFile.status).toBe(0);
    expect(JSON.parse(byFile.stdout).gates).toEqual(x.gates);
    expect(JSON.parse(run("inspect", runDir, "--checkpoint", "last", "--format", "json").stdout).checkpoint).toBe("last");
    const text = run("inspect", runDir);
    expect(text.stdout).toMatch(/^model gated \(checkpoint best\)\n/);
    expect(text.stdout).toContain("level 1: cssm(cell)");
    const wrong = run("inspect", data);
    expect([wrong.status, wrong.stderr]).toEqual([1, `mssmc: error: ${data}: not a run's checkpoint; pass a run folder or RUN/checkpoints/best.ckpt or last.ckpt\n`]);
  });
});
