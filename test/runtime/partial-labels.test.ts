// Partial labels (docs/design.md, "Partial labels and sample weights"): on CTR/CVR-like data, where
// the conversion label `buy` exists only on clicked rows, a row without a label adds nothing to
// that task's loss or metrics, and the other task still learns from it.
// - the masked loss of a batch equals a hand-computed mean over its labelled rows (from the
//   step's own predictions and the file's labels, parsed here);
// - a batch with no labelled row gives loss 0 and a finite step;
// - one SGD step on all rows with the mask moves every parameter and embedding row exactly as
//   one step on the labelled rows alone (the clicked rows, no mask), when only buy's loss counts;
// - without a missing label, the graphs are the spec's own (no row-weight input).

import { describe, expect, it } from "vitest";
import { compileSpec } from "../../compiler/compile.js";
import { loadSpec } from "../../compiler/load/load.js";
import type { Spec } from "../../compiler/load/types.js";
import { rowWeightInput } from "../../compiler/artifact.js";
import { batches } from "../../runtime/data/batches.js";
import { assertTrainable, loadTrainingData, type Dataset } from "../../runtime/data/dataset.js";
import { partialLabelTasks } from "../../runtime/data/labels.js";
import { taskMetrics, predictDataset } from "../../runtime/evaluate.js";
import { auc } from "../../runtime/metrics.js";
import { openSession } from "../../runtime/session.js";
import { StepRunner } from "../../runtime/step.js";
import { initialState, train, type CompiledModel } from "../../runtime/train.js";
import { UserError } from "../../base/user-error.js";
import { tempDir, writeTemp } from "./helpers.js";

const SPEC = `fields {
  x numeric
  c categorical(dim: 4)
}
tasks {
  click binary(label: click)
  buy binary(label: buy)
}
model ctr_cvr {
  groups shared
  level 1 { experts: mlp[8] relu }
  towers { tower: mlp[4] relu }
  train { optimizer: sgd(lr: 0.5), batch: 64, epochs: 3, seed: 3 }
}
`;

/**
 * CTR/CVR-like rows from a fixed sequence: click = 1 when x + (c is "a" ? 0.5 : 0) + noise > 0.3;
 * buy only on clicked rows (1 when x > 0.6, with noise), an empty cell elsewhere; a last column w
 * of sample weights in {0, 0.5, 1, 2, 3} when `weights`.
 */
function ctrCvrCsv(rows: number, seed = 99, weights = false): string {
  let s = seed;
  const next = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const lines = [weights ? "x,c,click,buy,w" : "x,c,click,buy"];
  for (let i = 0; i < rows; i++) {
    const x = next() * 2 - 1;
    const c = "abcde"[Math.floor(next() * 5)]!;
    const click = x + (c === "a" ? 0.5 : 0) + 0.3 * (next() - 0.5) > 0.3 ? 1 : 0;
    const buy = click ? (x + 0.3 * (next() - 0.5) > 0.6 ? "1" : "0") : "";
    const w = weights ? `,${[0, 0.5, 1, 2, 3][Math.floor(next() * 5)]}` : "";
    lines.push(`${x.toFixed(4)},${c},${click},${buy}${w}`);
  }
  return lines.join("\n") + "\n";
}

function loadCtrCvr(text = SPEC): Spec {
  const r = loadSpec(writeTemp("ctr.mssm", text));
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.spec;
}

const compiledModel = (spec: Spec, partialLabels: string[]): CompiledModel => {
  const a = compileSpec(spec, { partialLabels });
  return { manifest: a.manifest, train: a.files["train.onnx"], eval: a.files["eval.onnx"] };
};

/** Column `index` of each data line (line 2 is the first row), parsed from the text: undefined when empty. */
function columnByLine(csv: string, index: number): Map<number, number | undefined> {
  const out = new Map<number, number | undefined>();
  csv.trim().split("\n").slice(1).forEach((line, i) => {
    const cell = line.split(",")[index]!;
    out.set(i + 2, cell === "" ? undefined : Number(cell));
  });
  return out;
}

/** The `buy` cell of each data line, undefined when empty. */
const buyByLine = (csv: string) => columnByLine(csv, 3);

describe("partial labels", () => {
  it("a task with missing labels takes row weights; the graphs of data without any are the spec's own", async () => {
    const spec = loadCtrCvr();
    const csv = writeTemp("ctr.csv", ctrCvrCsv(300));
    const data = await loadTrainingData(spec, csv);
    expect(partialLabelTasks(data.train.labels)).toEqual(["buy"]);
    const plain = compileSpec(spec);
    const masked = compileSpec(spec, { partialLabels: ["buy"] });
    expect(plain.manifest.graphs.train.inputs.some((i) => i.name.startsWith("weight/"))).toBe(false);
    expect(masked.manifest.graphs.train.inputs.filter((i) => i.name.startsWith("weight/")).map((i) => [i.name, i.shape, i.role])).toEqual([[rowWeightInput("buy"), ["batch"], "data"]]);
    // Only the training step changes: eval.onnx and everything exported from it have no mask.
    expect(Buffer.from(masked.files["eval.onnx"]).equals(Buffer.from(plain.files["eval.onnx"]))).toBe(true);
    expect(Buffer.from(compileSpec(spec, { partialLabels: [] }).files["train.onnx"]).equals(Buffer.from(plain.files["train.onnx"]))).toBe(true);
  });

  it("the masked loss of a batch is the mean over its labelled rows, computed by hand; a batch with none gives 0", async () => {
    await checkBatchLosses(false);
  });

  it("with sample weights (buy's sample_weight: w) it is the weighted mean over the labelled rows, computed by hand", async () => {
    await checkBatchLosses(true);
  });

  async function checkBatchLosses(weighted: boolean): Promise<void> {
    const spec = loadCtrCvr(weighted ? SPEC.replace("buy binary(label: buy)", "buy binary(label: buy, sample_weight: w)") : SPEC);
    const text = ctrCvrCsv(300, 99, weighted);
    const weightOf = columnByLine(text, 4);
    const data = await loadTrainingData(spec, writeTemp("ctr.csv", text));
    const model = compiledModel(spec, ["buy"]);
    const session = await openSession(model.train, { device: "cpu", threads: 1 });
    const state = initialState(model.manifest, data.preprocessing, spec.train.seed);
    // A step with lr 0 leaves the weights alone, so each batch's loss is read at the same point.
    const frozen = { ...model.manifest, spec: { ...spec, train: { ...spec.train, optimizer: { ...spec.train.optimizer, lr: 0 } } } };
    const runner = new StepRunner(frozen, session, 10);
    // The model has no gates, so eval.onnx predicts what the step computes its loss from.
    const evalSession = await openSession(model.eval, { device: "cpu", threads: 1 });
    const buy = buyByLine(text);
    let checked = 0;
    for (const batch of batches(spec, data.train, { batchSize: 64, shuffle: true, seed: 1 })) {
      const p = (await predictDataset(evalSession, model.manifest, { params: state.params, tables: state.store }, subset(data.train, batch.rows)))["buy"]!;
      const result = await runner.run(state, batch, 1);
      let sum = 0;
      let n = 0;
      batch.rows.forEach((r, k) => {
        const y = buy.get(data.train.lines[r]!);
        if (y === undefined) return;
        const w = weighted ? weightOf.get(data.train.lines[r]!)! : 1;
        sum -= w * (y === 1 ? Math.log(p[k]!) : Math.log(1 - p[k]!));
        n += w;
      });
      expect(n).toBeGreaterThan(0);
      expect(result.taskLoss["buy"]).toBeCloseTo(sum / n, 5);
      checked++;
    }
    expect(checked).toBe(5);

    // A batch of unclicked rows only: no buy label, loss 0, every output finite.
    const unclicked = Int32Array.from({ length: data.train.rows }, (_, r) => r).filter((r) => buy.get(data.train.lines[r]!) === undefined);
    const none = [...batches(spec, subset(data.train, unclicked.slice(0, 40)), { batchSize: 64, shuffle: false })][0]!;
    expect([...none.rowWeights["buy"]!].every((w) => w === 0)).toBe(true);
    const result = await runner.run(state, none, 1);
    expect(result.taskLoss["buy"]).toBe(0);
    expect(Number.isFinite(result.loss) && Number.isFinite(result.taskLoss["click"]!)).toBe(true);
    await session.release();
    await evalSession.release();
  }

  it("one SGD step with the mask equals one step on the labelled rows alone, parameters and embedding rows", async () => {
    // Only buy's loss counts (click's weight 0), so the step's gradient is buy's alone.
    const base = loadCtrCvr(SPEC.replace("click binary(label: click)", "click binary(label: click, weight: 0)"));
    const text = ctrCvrCsv(200);
    const data = await loadTrainingData(base, writeTemp("ctr.csv", text));
    const buy = buyByLine(text);
    const all = Int32Array.from({ length: data.train.rows }, (_, r) => r);
    const labelled = all.filter((r) => buy.get(data.train.lines[r]!) !== undefined);
    expect(labelled.length).toBeGreaterThan(20);
    expect(labelled.length).toBeLessThan(all.length / 2);

    const step = async (model: CompiledModel, rows: Int32Array) => {
      const session = await openSession(model.train, { device: "cpu", threads: 1 });
      const state = initialState(model.manifest, data.preprocessing, base.train.seed);
      const before = { params: new Map([...state.params].map(([k, v]) => [k, v.slice()])), table: state.store.valueTables().get("c")!.data.slice() };
      const rowsData = subset(data.train, rows);
      const batch = [...batches(base, rowsData, { batchSize: rows.length, shuffle: false })][0]!;
      await new StepRunner(model.manifest, session, 1).run(state, batch, 1);
      await session.release();
      return { before, params: state.params, table: state.store.valueTables().get("c")!.data };
    };
    const masked = await step(compiledModel(base, ["buy"]), all);
    const alone = await step(compiledModel(base, []), labelled);
    let moved = 0;
    for (const [name, value] of masked.params) {
      const other = alone.params.get(name)!;
      const start = masked.before.params.get(name)!;
      const scale = Math.max(1e-3, ...start.map((v, i) => Math.abs(v - value[i]!)));
      for (let i = 0; i < value.length; i++) expect(Math.abs(value[i]! - other[i]!) / scale, `${name}[${i}]`).toBeLessThan(1e-4);
      if (value.some((v, i) => v !== start[i])) moved++;
    }
    expect(moved).toBeGreaterThan(4);
    // Embedding rows: the clicked rows' values move alike; a value only unclicked rows use stays put.
    const deltaScale = Math.max(...masked.table.map((v, i) => Math.abs(v - masked.before.table[i]!)));
    expect(deltaScale).toBeGreaterThan(0);
    for (let i = 0; i < masked.table.length; i++) expect(Math.abs(masked.table[i]! - alone.table[i]!) / deltaScale).toBeLessThan(1e-4);
  });

  it("trains both tasks; buy's metrics count only its labelled validation rows", async () => {
    const spec = loadCtrCvr();
    const text = ctrCvrCsv(600);
    const loaded = await loadTrainingData(spec, writeTemp("ctr.csv", text), { validFraction: 0.25, seed: 3 });
    assertTrainable(spec, loaded);
    const valid = loaded.valid!;
    const model = compiledModel(spec, partialLabelTasks(loaded.train.labels));
    const lines: string[] = [];
    const result = await train(model, { train: loaded.train, valid, preprocessing: loaded.preprocessing }, { runDir: tempDir(), device: "cpu", threads: 1, log: (l) => lines.push(l) });
    expect(result.status).toBe("done");
    const last = result.history[result.history.length - 1]!;
    const buy = buyByLine(text);
    const labelledLines = [...valid.lines].filter((l) => buy.get(l) !== undefined);
    expect(last.valid!["buy"]!.labelled).toBe(labelledLines.length);
    expect(last.valid!["click"]!.labelled).toBe(valid.rows);
    expect(lines.some((l) => l.includes(`labelled ${labelledLines.length} of ${valid.rows}`))).toBe(true);
    expect(Number.isFinite(last.task_loss["buy"]!)).toBe(true);
    // The AUC is the one of the labelled rows alone, recomputed here.
    const session = await openSession(model.eval, { device: "cpu", threads: 1 });
    const p = (await predictDataset(session, model.manifest, { params: result.state.params, tables: result.state.store }, valid))["buy"]!;
    await session.release();
    const keep = [...valid.lines.keys()].filter((k) => buy.get(valid.lines[k]!) !== undefined);
    const ownAuc = auc(keep.map((k) => p[k]!), keep.map((k) => buy.get(valid.lines[k]!)!));
    expect((last.valid!["buy"] as { auc: number }).auc).toBeCloseTo(ownAuc, 12);
    expect((last.valid!["buy"] as { auc: number }).auc).toBeGreaterThan(0.7);
    expect(taskMetrics(spec, { buy: p, click: p }, valid)["buy"]!.labelled).toBe(labelledLines.length);
  });

  it("a task whose every training label is missing is one error naming the file and the task", async () => {
    const spec = loadCtrCvr();
    const text = ctrCvrCsv(50).replace(/,[01]$/gm, ",");
    const file = writeTemp("ctr.csv", text);
    const data = await loadTrainingData(spec, file);
    let error: unknown;
    try {
      assertTrainable(spec, data);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`${file}: task "buy" has no label in any of its 50 training rows (column "buy" is empty or "?" in every row); give the column values or leave the task out of the model (tasks ...).`);
  });
});

describe("sample weights", () => {
  const weightedSpec = () => loadCtrCvr(SPEC.replace("buy binary(label: buy)", "buy binary(label: buy, sample_weight: w)"));

  it("a task whose labelled rows all weigh 0 is one error naming the file, the task and the column; one positive weight is enough", async () => {
    const spec = weightedSpec();
    const lines = ctrCvrCsv(40, 99, true).trim().split("\n");
    const zero = [lines[0]!, ...lines.slice(1).map((l) => l.replace(/,[^,]*$/, ",0"))];
    const file = writeTemp("zero.csv", zero.join("\n") + "\n");
    const labelled = zero.slice(1).filter((l) => /,[01],0$/.test(l)).length;
    expect(labelled).toBeGreaterThan(0);
    const data0 = await loadTrainingData(spec, file);
    expect(() => assertTrainable(spec, data0)).toThrow(UserError);
    expect(() => assertTrainable(spec, data0)).toThrow(`${file}: task "buy" has sample weight 0 (column "w") in every one of its ${labelled} labelled training rows, so it would learn nothing; give some rows a positive weight or leave the task out of the model (tasks ...).`);
    // The same rows with one labelled row weighted 1 train.
    const one = zero.map((l, i) => (i === zero.findIndex((m, j) => j > 0 && /,[01],0$/.test(m)) ? l.replace(/,0$/, ",1") : l));
    const data1 = await loadTrainingData(spec, writeTemp("one.csv", one.join("\n") + "\n"));
    expect(() => assertTrainable(spec, data1)).not.toThrow();
  });

  it("a weight that is negative, not a number or empty is one error naming file, row and column", async () => {
    for (const cell of ["-1", "abc", "", "inf"]) {
      const text = ctrCvrCsv(20, 99, true).split("\n");
      text[5] = text[5]!.replace(/,[^,]*$/, `,${cell}`);
      const file = writeTemp("w.csv", text.join("\n"));
      const error = await loadTrainingData(weightedSpec(), file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toBe(`${file}:6:w: expected a sample weight (a number, 0 or more), found ${JSON.stringify(cell)}`);
    }
  });

  it("the model's sample_weight reaches every task without its own, in the canonical spec; the step takes row weights for them", () => {
    const spec = loadCtrCvr(SPEC.replace("model ctr_cvr {", "model ctr_cvr {\n  sample_weight: w").replace("click binary(label: click)", "click binary(label: click, sample_weight: v)"));
    expect(spec.tasks.map((t) => [t.name, t.sample_weight])).toEqual([["click", "v"], ["buy", "w"]]);
    const inputs = compileSpec(spec).manifest.graphs.train.inputs.filter((i) => i.name.startsWith("weight/")).map((i) => i.name);
    expect(inputs).toEqual([rowWeightInput("click"), rowWeightInput("buy")]);
  });

  it("check: a sample weight column that is a task's label is an error at the sample_weight option", () => {
    const r = loadSpec(writeTemp("bad.mssm", SPEC.replace("buy binary(label: buy)", "buy binary(label: buy, sample_weight: click)")));
    expect(r.spec).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["sample-weight-column", "The task 'buy' takes its sample weights from the column 'click', which is the label of the task 'click'; a weight column holds how much each row counts, not a label."],
    ]);
  });
});

/** The rows `rows` of a data set, as a data set of their own (in that order). */
function subset(d: Dataset, rows: Int32Array): Dataset {
  const fields: typeof d.fields = {};
  for (const [name, col] of Object.entries(d.fields)) {
    if (col.kind === "numeric") fields[name] = { kind: "numeric", values: Float32Array.from(rows, (r) => col.values[r]!) };
    else if (col.kind === "categorical") fields[name] = { kind: "categorical", ids: Int32Array.from(rows, (r) => col.ids[r]!) };
    else throw new Error("multi_hot is not used here");
  }
  const labels: typeof d.labels = {};
  for (const [task, y] of Object.entries(d.labels)) labels[task] = y instanceof Int32Array ? Int32Array.from(rows, (r) => y[r]!) : Float32Array.from(rows, (r) => y[r]!);
  return { file: d.file, rows: rows.length, lines: Int32Array.from(rows, (r) => d.lines[r]!), fields, labels };
}

