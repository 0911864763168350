// buildTrainStep on a tiny model with one embedding table, a gated hidden layer and a regression
// loss: its interface, its gradients against finite differences of "loss" (both in onnxruntime),
// and a short training run in ORT that feeds every `/next` output back and drives the loss down.

import { describe, expect, it } from "vitest";
import { Builder, type Graph } from "../../compiler/ir/graph.js";
import { gateConstantValues, HARD_CONCRETE_DEFAULTS, HardConcreteSample } from "../../compiler/ir/hard-concrete.js";
import { initialValues } from "../../compiler/ir/init.js";
import { BATCH } from "../../compiler/ir/ops.js";
import { Random } from "../../base/random.js";
import { emitModel } from "../../compiler/onnx/emit.js";
import { normalizeOptimizer } from "../../compiler/load/normalize.js";
import { buildTrainStep, type TrainStep, type TrainStepOptions } from "../../compiler/train-step.js";
import { numericGradient, openModel, relativeError } from "./autodiff/gradcheck.js";
import type { RefTensor } from "./ir/reference.js";
import { runModel } from "./onnx/ort.js";

const DIM = 3;
const HIDDEN = 4;

/** pred = tanh([emb, x] W1 + b1) ⊙ z W2 + b2 with hard-concrete gates z; loss = mean((pred − label)²). */
function tinyModel(dtype: "float32" | "float64"): Graph {
  const b = new Builder("tiny");
  const rows = b.input("emb/item/rows", dtype, ["rows_item", DIM]);
  const index = b.input("emb/item/index", "int64", [BATCH]);
  const x = b.input("x", dtype, [BATCH, 2]);
  const label = b.input("label", dtype, [BATCH]);
  const u = b.input("noise/hidden", dtype, [BATCH, HIDDEN]);
  const w1 = b.param("hidden/weight", [DIM + 2, HIDDEN], { kind: "glorot_uniform" }, { dtype });
  const b1 = b.param("hidden/bias", [HIDDEN], { kind: "zeros" }, { dtype });
  const logAlpha = b.param("hidden/log_alpha", [HIDDEN], { kind: "normal", mean: 2, std: 0.01 }, { dtype, group: "gate" });
  const w2 = b.param("out/weight", [HIDDEN, 1], { kind: "glorot_uniform" }, { dtype });
  const b2 = b.param("out/bias", [1], { kind: "zeros" }, { dtype });
  const input = b.concat([b.gather(rows, index, 0, "emb/item/gathered"), x], 1, "input");
  const hidden = b.tanh(b.add(b.matmul(input, w1), b1), "hidden/out");
  const c = gateConstantValues(b, dtype, HARD_CONCRETE_DEFAULTS);
  const [z] = b.call(HardConcreteSample, [logAlpha, u, c.beta, c.gamma, c.zeta], ["hidden/gate"]);
  const pred = b.reshape(b.add(b.matmul(b.mul(hidden, z!), w2), b2), [BATCH], "prediction");
  b.output(b.reduceMean(b.pow(b.sub(pred, label), 2), [0], false, "loss"));
  b.output(pred);
  return b.finish();
}

const TRAIN: TrainStepOptions["train"] = {
  optimizer: normalizeOptimizer({ kind: "adam", lr: 0.05 }),
  gate_optimizer: normalizeOptimizer({ kind: "sgd", lr: 0.05, momentum: 0.5 }),
  embedding_optimizer: normalizeOptimizer({ kind: "adagrad", lr: 0.2, initial_accumulator: 0.1 }),
};

const describeTensor = (t: TrainStep["inputs"][number]) =>
  [t.role, t.name, `${t.dtype}[${t.shape.join(",")}]`, t.group ?? "", t.of ? `of=${t.of}` : "", t.init !== undefined ? `init=${t.init}` : "", t.members ? `members=${t.members.map((m) => `${m.name}:${m.size}`).join(",")}` : ""]
    .filter(Boolean)
    .join(" ");

describe("buildTrainStep", () => {
  it("describes every input and output, in the order the emitted model has them", async () => {
    const step = buildTrainStep(tinyModel("float32"), { train: TRAIN });
    expect(step.inputs.map(describeTensor)).toEqual([
      "rows emb/item/rows float32[rows_item,3] embedding",
      "data emb/item/index int64[batch]",
      "data x float32[batch,2]",
      "data label float32[batch]",
      "data noise/hidden float32[batch,4]",
      "step step float32[]",
      "lr lr/dense float32[] dense",
      "lr lr/gate float32[] gate",
      "lr lr/embedding float32[] embedding",
      "param optim/dense/params float32[29] dense members=hidden/weight:20,hidden/bias:4,out/weight:4,out/bias:1",
      "state optim/dense/adam_m float32[29] dense init=0 members=hidden/weight/adam_m:20,hidden/bias/adam_m:4,out/weight/adam_m:4,out/bias/adam_m:1",
      "state optim/dense/adam_v float32[29] dense init=0 members=hidden/weight/adam_v:20,hidden/bias/adam_v:4,out/weight/adam_v:4,out/bias/adam_v:1",
      "state hidden/log_alpha/momentum float32[4] gate of=hidden/log_alpha init=0",
      "state emb/item/rows/adagrad_sum float32[rows_item,3] embedding of=emb/item/rows init=0.1",
      "param hidden/log_alpha float32[4] gate",
    ]);
    expect(step.outputs.map(describeTensor)).toEqual([
      "output loss float32[]",
      "output prediction float32[batch]",
      "next hidden/log_alpha/next float32[4] gate of=hidden/log_alpha",
      "next hidden/log_alpha/momentum/next float32[4] gate of=hidden/log_alpha/momentum",
      "next emb/item/rows/next float32[rows_item,3] embedding of=emb/item/rows",
      "next emb/item/rows/adagrad_sum/next float32[rows_item,3] embedding of=emb/item/rows/adagrad_sum",
      "next optim/dense/params/next float32[29] dense of=optim/dense/params members=hidden/weight:20,hidden/bias:4,out/weight:4,out/bias:1",
      "next optim/dense/adam_m/next float32[29] dense of=optim/dense/adam_m members=hidden/weight/adam_m:20,hidden/bias/adam_m:4,out/weight/adam_m:4,out/bias/adam_m:1",
      "next optim/dense/adam_v/next float32[29] dense of=optim/dense/adam_v members=hidden/weight/adam_v:20,hidden/bias/adam_v:4,out/weight/adam_v:4,out/bias/adam_v:1",
    ]);
    const model = await openModel(emitModel(step.graph, { params: "inputs" }));
    expect(model.inputNames).toEqual(step.inputs.map((t) => t.name));
    expect(model.outputNames).toEqual(step.outputs.map((t) => t.name));
    await model.release();
    expect(step.saved).toEqual(["emb/item/index", "noise/hidden", "hidden/weight", "hidden/log_alpha", "out/weight", "input", "hidden/out", "hidden/gate", "mul", "sub"]);
  });

  it("a model without embedding rows and with SGD still takes step and every learning rate", async () => {
    const b = new Builder("linear");
    const x = b.input("x", "float32", [BATCH, 2]);
    const w = b.param("w", [2, 1], { kind: "constant", value: 0.5 });
    b.output(b.reduceSum(b.matmul(x, w), [0, 1], false, "loss"));
    const sgd = normalizeOptimizer({ kind: "sgd", lr: 0.1 });
    const step = buildTrainStep(b.finish(), { train: { optimizer: sgd, gate_optimizer: sgd, embedding_optimizer: sgd } });
    expect(step.inputs.map((t) => `${t.role} ${t.name}`)).toEqual(["data x", "step step", "lr lr/dense", "lr lr/gate", "lr lr/embedding", "param w"]);
    const scalar = (v: number): RefTensor => ({ dtype: "float32", shape: [], data: [v] });
    const out = await runModel(emitModel(step.graph, { params: "inputs" }), {
      x: { dtype: "float32", shape: [2, 2], data: [1, 2, 3, 4] },
      step: scalar(1),
      "lr/dense": scalar(0.1),
      "lr/gate": scalar(0),
      "lr/embedding": scalar(0),
      w: { dtype: "float32", shape: [2, 1], data: [0.5, 0.5] },
    });
    // d loss / d w = column sums of x = [4, 6]; w' = w - 0.1 [4, 6].
    expect(out["w/next"]!.data.map((v) => Number((v as number).toFixed(6)))).toEqual([0.1, -0.1]);
  });

  it("its gradients match central differences of loss (float64, in onnxruntime)", async () => {
    const forward = tinyModel("float64");
    const step = buildTrainStep(forward, { train: TRAIN, gradients: true });
    const rng = Random.derive(11, "train-step gradients");
    const floats = (shape: number[], lo = -1, hi = 1): RefTensor => ({ dtype: "float64", shape, data: Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.uniformIn(lo, hi)) });
    const feeds: Record<string, RefTensor> = {
      "emb/item/rows": floats([3, DIM]),
      "emb/item/index": { dtype: "int64", shape: [5], data: [2, 0, 2, 1, 0] },
      x: floats([5, 2]),
      label: floats([5]),
      "noise/hidden": floats([5, HIDDEN], 0.05, 0.95),
    };
    for (const [name, data] of initialValues(forward, 3)) feeds[name] = { dtype: "float64", shape: [...forward.params.find((p) => p.value.name === name)!.value.shape] as number[], data: [...data] };
    const full = { ...feeds, step: { dtype: "float64" as const, shape: [], data: [1] } } as Record<string, RefTensor>;
    for (const t of step.inputs) {
      if (t.role === "lr") full[t.name] = { dtype: "float64", shape: [], data: [0.01] };
      // Dense and gate state is flat; embedding row state is shaped like the rows.
      if (t.role === "param" && t.members) full[t.name] = { dtype: "float64", shape: t.shape as number[], data: t.members.flatMap((m) => feeds[m.name]!.data as number[]) };
      if (t.role === "state" && t.members) full[t.name] = { dtype: "float64", shape: t.shape as number[], data: Array.from({ length: t.shape[0] as number }, () => t.init!) };
      else if (t.role === "state") full[t.name] = { ...feeds[t.of!]!, ...(t.group === "embedding" ? {} : { shape: t.shape as number[] }), data: feeds[t.of!]!.data.map(() => t.init!) };
    }
    const stepModel = await openModel(emitModel(step.graph, { params: "inputs" }));
    const forwardModel = await openModel(emitModel(forward, { params: "inputs" }));
    try {
      const out = await stepModel.run(full);
      const gradients = step.outputs.filter((o) => o.role === "gradient");
      expect(gradients.map((g) => g.name)).toEqual(["grad/hidden/weight", "grad/hidden/bias", "grad/hidden/log_alpha", "grad/out/weight", "grad/out/bias", "grad/emb/item/rows"]);
      for (const g of gradients) {
        const numeric = await numericGradient(forwardModel, feeds, g.of!, "float64");
        expect(numeric.some((n) => n !== 0), g.of).toBe(true);
        expect(relativeError(out[g.name]!, numeric), g.of).toBeLessThan(1e-6);
      }
    } finally {
      await stepModel.release();
      await forwardModel.release();
    }
  });

  it("repeated steps in onnxruntime drive the loss down; rows no batch gathers stay as they were", async () => {
    const forward = tinyModel("float32");
    const step = buildTrainStep(forward, { train: TRAIN });
    const model = await openModel(emitModel(step.graph, { params: "inputs" }));
    const rng = Random.derive(12, "train-step data");
    // y = 0.8 x0 − 0.5 x1 + bias[item]; items 0..6 appear, item 7 never does.
    const itemBias = [-1, -0.5, 0, 0.5, 1, 1.5, -1.5];
    const n = 64;
    const items = Array.from({ length: n }, (_v, i) => i % itemBias.length);
    const xs = Array.from({ length: n }, () => [rng.uniformIn(-1, 1), rng.uniformIn(-1, 1)]);
    const ys = xs.map(([a, c], i) => 0.8 * a! - 0.5 * c! + itemBias[items[i]!]!);

    // The runtime's side: the full table and its state, dense params and their state.
    const table = Array.from({ length: 8 * DIM }, () => rng.normal(0, 0.1));
    const initialTable = [...table];
    const tableSum = table.map(() => 0.1);
    const values = new Map<string, number[]>();
    for (const [name, data] of initialValues(forward, 5)) values.set(name, [...data]);
    for (const t of step.inputs) {
      // A packed param input holds its params end to end; they are fed only that way.
      if (t.role === "param" && t.members) {
        values.set(t.name, t.members.flatMap((m) => values.get(m.name)!));
        for (const m of t.members) values.delete(m.name);
      }
      if (t.role === "state" && t.members) values.set(t.name, Array.from({ length: t.shape[0] as number }, () => t.init!));
      else if (t.role === "state" && t.group !== "embedding") values.set(t.name, values.get(t.of!)!.map(() => t.init!));
    }
    const shapeOf = (name: string) => step.inputs.find((t) => t.name === name)!.shape as number[];

    const losses: number[] = [];
    const batch = 16;
    for (let t = 1; t <= 48; t++) {
      const picked = Array.from({ length: batch }, (_v, k) => ((t - 1) * batch + k) % n);
      const ids = [...new Set(picked.map((i) => items[i]!))];
      const gather = (src: number[]) => ids.flatMap((id) => src.slice(id * DIM, (id + 1) * DIM));
      const f32 = (shape: number[], data: number[]): RefTensor => ({ dtype: "float32", shape, data });
      const feeds: Record<string, RefTensor> = {
        "emb/item/rows": f32([ids.length, DIM], gather(table)),
        "emb/item/rows/adagrad_sum": f32([ids.length, DIM], gather(tableSum)),
        "emb/item/index": { dtype: "int64", shape: [batch], data: picked.map((i) => ids.indexOf(items[i]!)) },
        x: f32([batch, 2], picked.flatMap((i) => xs[i]!)),
        label: f32([batch], picked.map((i) => ys[i]!)),
        "noise/hidden": f32([batch, HIDDEN], Array.from({ length: batch * HIDDEN }, () => rng.uniformIn(1e-6, 1 - 1e-6))),
        step: f32([], [t]),
        "lr/dense": f32([], [TRAIN.optimizer.lr]),
        "lr/gate": f32([], [TRAIN.gate_optimizer.lr]),
        "lr/embedding": f32([], [TRAIN.embedding_optimizer.lr]),
      };
      for (const [name, data] of values) feeds[name] = f32(shapeOf(name), data);
      const out = await model.run(feeds);
      losses.push(out["loss"]!.data[0] as number);
      for (const o of step.outputs.filter((o) => o.role === "next")) {
        const next = out[o.name]!.data as number[];
        if (o.of === "emb/item/rows" || o.of === "emb/item/rows/adagrad_sum") {
          const target = o.of === "emb/item/rows" ? table : tableSum;
          ids.forEach((id, k) => target.splice(id * DIM, DIM, ...next.slice(k * DIM, (k + 1) * DIM)));
        } else values.set(o.of!, next);
      }
    }
    await model.release();
    const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
    const [first, last] = [mean(losses.slice(0, 4)), mean(losses.slice(-4))];
    console.log(`train step: mean loss of the first 4 steps ${first.toFixed(4)}, of the last 4 ${last.toFixed(4)}`);
    expect(last).toBeLessThan(first / 5);
    expect(table.slice(7 * DIM)).toEqual(initialTable.slice(7 * DIM));
    expect(tableSum.slice(7 * DIM)).toEqual([0.1, 0.1, 0.1]);
    expect(table.slice(0, DIM)).not.toEqual(initialTable.slice(0, DIM));
  });
});
