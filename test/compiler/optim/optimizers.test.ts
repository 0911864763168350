// Each optimizer's update, emitted and run in onnxruntime, against its formula computed here in
// plain TypeScript on known numbers: one step, and two for the stateful ones (bias correction,
// state carried over by feeding the outputs back).

import { describe, expect, it } from "vitest";
import { Builder } from "../../../compiler/ir/graph.js";
import type { Shape } from "../../../compiler/ir/ops.js";
import { emitModel } from "../../../compiler/onnx/emit.js";
import { OPTIMIZERS } from "../../../compiler/optim/index.js";
import type { OptimizerRule } from "../../../compiler/optim/optimizer.js";
import { rowOptimizer } from "../../../compiler/optim/rows.js";
import { InvariantError } from "../../../base/source/diagnostic.js";
import { normalizeOptimizer } from "../../../compiler/load/normalize.js";
import type { Optimizer } from "../../../compiler/load/types.js";
import { runModel } from "../onnx/ort.js";

type Dtype = "float32" | "float64";

/** A tensor and its state, as flat numbers. */
interface Tensors {
  param: number[];
  state: number[][];
}

/** One update in ORT: param p with gradient g and its state, at learning rate lr and step t. */
async function runStep(rule: OptimizerRule, o: Optimizer, dtype: Dtype, shape: Shape, run: number[], x: Tensors, g: number[], lr: number, t: number): Promise<Tensors> {
  const b = new Builder("step");
  const p = b.input("p", dtype, shape);
  const grad = b.input("g", dtype, shape);
  const specs = rule.state(o);
  const state = specs.map((s) => b.input(`p/${s.name}`, dtype, shape));
  const update = rule.begin(b, o, { lr: b.input("lr", dtype, []), step: b.input("step", dtype, []) });
  const next = update({ param: p, grad, state }, { param: "p/next", state: specs.map((s) => `p/${s.name}/next`) });
  for (const v of [next.param, ...next.state]) b.output(v);
  const tensor = (data: number[]) => ({ dtype, shape: run, data });
  const scalar = (v: number) => ({ dtype, shape: [], data: [v] });
  const feeds = { p: tensor(x.param), g: tensor(g), lr: scalar(lr), step: scalar(t), ...Object.fromEntries(specs.map((s, i) => [`p/${s.name}`, tensor(x.state[i]!)])) };
  const out = await runModel(emitModel(b.finish()), feeds);
  return { param: out["p/next"]!.data as number[], state: specs.map((s) => out[`p/${s.name}/next`]!.data as number[]) };
}

const dense = (rule: OptimizerRule, o: Optimizer, x: Tensors, g: number[], lr: number, t: number, dtype: Dtype = "float64") =>
  runStep(rule, o, dtype, [x.param.length], [x.param.length], x, g, lr, t);

function expectClose(actual: Tensors, expected: Tensors, tolerance: number): void {
  const pairs = [[actual.param, expected.param], ...actual.state.map((s, i) => [s, expected.state[i]!])] as [number[], number[]][];
  expect(actual.state).toHaveLength(expected.state.length);
  for (const [a, e] of pairs) {
    expect(a).toHaveLength(e.length);
    e.forEach((v, i) => expect(Math.abs(a[i]! - v), `element ${i}: ${a[i]} vs ${v}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(v))));
  }
}

// The formulas, element by element (see compiler/optim/<kind>.ts).
function adamRef(o: Optimizer, x: Tensors, g: number[], lr: number, t: number, decoupled = 0): Tensors {
  const { beta1, beta2, eps } = o as Required<Optimizer>;
  const m = x.state[0]!.map((m0, i) => beta1 * m0 + (1 - beta1) * g[i]!);
  const v = x.state[1]!.map((v0, i) => beta2 * v0 + (1 - beta2) * g[i]! ** 2);
  const param = x.param.map((p, i) => p * (1 - lr * decoupled) - (lr / (1 - beta1 ** t)) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - beta2 ** t) + eps)));
  return { param, state: [m, v] };
}

function sgdRef(o: Optimizer, x: Tensors, g: number[], lr: number): Tensors {
  const { momentum, nesterov, weight_decay } = o as Required<Optimizer>;
  const gd = g.map((gi, i) => gi + weight_decay * x.param[i]!);
  if (momentum === 0) return { param: x.param.map((p, i) => p - lr * gd[i]!), state: [] };
  const buffer = x.state[0]!.map((b0, i) => momentum * b0 + gd[i]!);
  const d = nesterov ? gd.map((gi, i) => gi + momentum * buffer[i]!) : buffer;
  return { param: x.param.map((p, i) => p - lr * d[i]!), state: [buffer] };
}

function adagradRef(o: Optimizer, x: Tensors, g: number[], lr: number): Tensors {
  const { eps, weight_decay } = o as Required<Optimizer>;
  const gd = g.map((gi, i) => gi + weight_decay * x.param[i]!);
  const sum = x.state[0]!.map((s0, i) => s0 + gd[i]! ** 2);
  return { param: x.param.map((p, i) => p - (lr * gd[i]!) / (Math.sqrt(sum[i]!) + eps)), state: [sum] };
}

const P = [0.5, -1.25, 2, 0.1];
const G1 = [0.1, -0.2, 0.3, -0.05];
const G2 = [-0.3, -0.1, 0.2, 0.4];
const zerosLike = (o: Optimizer) => OPTIMIZERS[o.kind].state(o).map((s) => P.map(() => s.init));

describe("dense optimizers match their formulas", () => {
  it("state: Adam and AdamW keep two moments, SGD a buffer only with momentum, Adagrad a sum from its initial value", () => {
    const describe = (o: Optimizer) => OPTIMIZERS[o.kind].state(normalizeOptimizer(o)).map((s) => `${s.name}=${s.init}`).join(" ");
    expect(describe({ kind: "adam", lr: 1e-3 })).toBe("adam_m=0 adam_v=0");
    expect(describe({ kind: "adamw", lr: 1e-3 })).toBe("adam_m=0 adam_v=0");
    expect(describe({ kind: "sgd", lr: 0.1 })).toBe("");
    expect(describe({ kind: "sgd", lr: 0.1, momentum: 0.9 })).toBe("momentum=0");
    expect(describe({ kind: "adagrad", lr: 0.1, initial_accumulator: 0.1 })).toBe("adagrad_sum=0.1");
  });

  it("Adam: the first step moves each weight by lr against its gradient's sign; two steps carry m and v", async () => {
    const o = normalizeOptimizer({ kind: "adam", lr: 0.01 });
    const x0 = { param: P, state: zerosLike(o) };
    const x1 = await dense(OPTIMIZERS.adam, o, x0, G1, 0.01, 1);
    // m̂ = g and v̂ = g² after one step, so p' = p − lr·g/(|g| + ε) ≈ p − lr·sign(g).
    expect(x1.param.map((v) => Number(v.toFixed(6)))).toEqual([0.49, -1.24, 1.99, 0.11]);
    expectClose(x1, adamRef(o, x0, G1, 0.01, 1), 1e-14);
    const x2 = await dense(OPTIMIZERS.adam, o, x1, G2, 0.01, 2);
    expectClose(x2, adamRef(o, adamRef(o, x0, G1, 0.01, 1), G2, 0.01, 2), 1e-14);
  });

  it("Adam with other betas and eps, in float32 (relative tolerance 1e-6)", async () => {
    const o = normalizeOptimizer({ kind: "adam", lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-3 });
    const x0 = { param: P.map(Math.fround), state: zerosLike(o) };
    const x1 = await dense(OPTIMIZERS.adam, o, x0, G1.map(Math.fround), 0.05, 1, "float32");
    const x2 = await dense(OPTIMIZERS.adam, o, x1, G2.map(Math.fround), 0.05, 2, "float32");
    expectClose(x2, adamRef(o, adamRef(o, x0, G1, 0.05, 1), G2, 0.05, 2), 1e-6);
  });

  it("AdamW: Adam plus decay of the weights by lr·λ, decoupled from the moments", async () => {
    const o = normalizeOptimizer({ kind: "adamw", lr: 0.01, weight_decay: 0.1 });
    const x0 = { param: P, state: zerosLike(o) };
    const x1 = await dense(OPTIMIZERS.adamw, o, x0, G1, 0.01, 1);
    expectClose(x1, adamRef(o, x0, G1, 0.01, 1, 0.1), 1e-14);
    const x2 = await dense(OPTIMIZERS.adamw, o, x1, G2, 0.01, 2);
    expectClose(x2, adamRef(o, adamRef(o, x0, G1, 0.01, 1, 0.1), G2, 0.01, 2, 0.1), 1e-14);
    expect(x1.state).toEqual(adamRef(normalizeOptimizer({ kind: "adam", lr: 0.01 }), x0, G1, 0.01, 1).state);
  });

  it("SGD without momentum: p − lr·g, no state", async () => {
    const o = normalizeOptimizer({ kind: "sgd", lr: 0.1 });
    const x1 = await dense(OPTIMIZERS.sgd, o, { param: P, state: [] }, G1, 0.1, 1);
    expect(x1.param.map((v) => Number(v.toFixed(12)))).toEqual([0.49, -1.23, 1.97, 0.105]);
    expect(x1.state).toEqual([]);
  });

  for (const nesterov of [false, true]) {
    it(`SGD with momentum${nesterov ? ", Nesterov" : ""} and weight decay, two steps`, async () => {
      const o = normalizeOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9, nesterov, weight_decay: 0.01 });
      const x0 = { param: P, state: zerosLike(o) };
      const x1 = await dense(OPTIMIZERS.sgd, o, x0, G1, 0.1, 1);
      expectClose(x1, sgdRef(o, x0, G1, 0.1), 1e-15);
      const x2 = await dense(OPTIMIZERS.sgd, o, x1, G2, 0.1, 2);
      expectClose(x2, sgdRef(o, sgdRef(o, x0, G1, 0.1), G2, 0.1), 1e-15);
    });
  }

  it("Adagrad with an initial accumulator and weight decay, two steps", async () => {
    const o = normalizeOptimizer({ kind: "adagrad", lr: 0.1, initial_accumulator: 0.1, weight_decay: 0.01 });
    const x0 = { param: P, state: zerosLike(o) };
    expect(x0.state).toEqual([[0.1, 0.1, 0.1, 0.1]]);
    const x1 = await dense(OPTIMIZERS.adagrad, o, x0, G1, 0.1, 1);
    expectClose(x1, adagradRef(o, x0, G1, 0.1), 1e-15);
    const x2 = await dense(OPTIMIZERS.adagrad, o, x1, G2, 0.1, 2);
    expectClose(x2, adagradRef(o, adagradRef(o, x0, G1, 0.1), G2, 0.1), 1e-15);
  });
});

describe("row-wise optimizers for embedding rows", () => {
  const dim = 2;
  const rowsOf = (table: number[], ids: number[]) => ids.flatMap((id) => table.slice(id * dim, (id + 1) * dim));
  const scatter = (table: number[], ids: number[], rows: number[]) => {
    const out = [...table];
    ids.forEach((id, k) => out.splice(id * dim, dim, ...rows.slice(k * dim, (k + 1) * dim)));
    return out;
  };

  it("lazy Adam updates only the rows a batch gathered, bias-corrected with the global step", async () => {
    const o = normalizeOptimizer({ kind: "adam", lr: 0.01 });
    // A 5-row table whose moments are non-zero from earlier steps; this batch (step 3) touches rows 3 and 1.
    const table = [0.5, -0.25, 1, 0.75, -1.5, 0.2, 0.3, -0.6, 0.9, 1.1];
    const m = table.map((_v, i) => 0.01 * (i + 1));
    const v = table.map((_v, i) => 0.001 * (i + 1));
    const ids = [3, 1];
    const g = [0.2, -0.1, -0.4, 0.3];
    const gathered = { param: rowsOf(table, ids), state: [rowsOf(m, ids), rowsOf(v, ids)] };
    const next = await runStep(rowOptimizer(o), o, "float64", ["rows_item", dim], [ids.length, dim], gathered, g, 0.01, 3);
    expectClose(next, adamRef(o, gathered, g, 0.01, 3), 1e-14);

    const [table2, m2, v2] = [scatter(table, ids, next.param), scatter(m, ids, next.state[0]!), scatter(v, ids, next.state[1]!)];
    for (const untouched of [0, 2, 4]) {
      const at = (t: number[]) => t.slice(untouched * dim, (untouched + 1) * dim);
      expect([at(table2), at(m2), at(v2)]).toEqual([at(table), at(m), at(v)]);
    }
    // Dense Adam over the whole table would have moved the untouched rows (their m is not 0).
    const denseNext = adamRef(o, { param: table, state: [m, v] }, scatter(table.map(() => 0), ids, g), 0.01, 3);
    expect(denseNext.param.slice(0, dim)).not.toEqual(table.slice(0, dim));
  });

  it("Adagrad and SGD have row-wise forms; AdamW has none", async () => {
    expect(rowOptimizer(normalizeOptimizer({ kind: "adagrad", lr: 0.1 }))).toBe(OPTIMIZERS.adagrad);
    expect(rowOptimizer(normalizeOptimizer({ kind: "sgd", lr: 0.1 }))).toBe(OPTIMIZERS.sgd);
    expect(() => rowOptimizer(normalizeOptimizer({ kind: "adamw", lr: 0.1 }))).toThrow(
      new InvariantError("Embedding rows cannot be updated with adamw; the checker allows adam, adagrad or sgd."),
    );
  });
});
