// Issue 3: "training on a tiny synthetic problem drives the loss down through repeated train.onnx
// runs". Zoo architectures (Shared-Bottom, MMoE, MSSM) at small widths on three numeric fields
// and one categorical, two binary tasks whose labels are simple functions of the inputs. The
// compiled artifact is driven only through its manifest, as the runtime drives it: data,
// gathered embedding rows, params and optimizer state in; every `/next` fed back on the next step.
// Observed (last 10 steps / first 10): Shared-Bottom 18%, MMoE 4%, MSSM 29%; with every rate at
// 0, 100%. The bound, 50%, leaves room for the noise of other seeds.

import { describe, expect, it } from "vitest";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { compileSpec, type Artifact } from "../../compiler/compile.js";
import type { Param } from "../../compiler/ir/graph.js";
import { initialValue, initialValues } from "../../compiler/ir/init.js";
import { Random } from "../../base/random.js";
import { specFromText } from "./lower/helpers.js";

const FIELDS_AND_TASKS = `
fields {
  x1 numeric
  x2 numeric
  x3 numeric
  item categorical(dim: 4, vocabulary: ["a", "b", "c", "d", "e", "f"])
}
tasks {
  sum_positive binary(label: y1)
  item_high binary(label: y2)
}
`;

const TRAIN = "train { optimizer: adam(lr: 1e-2), gate_optimizer: adam(lr: 3e-2), embedding_optimizer: adam(lr: 1e-2), batch: 64, seed: 5 }";

/** Model bodies shaped like the zoo's, narrower. */
const MODELS: Record<string, string> = {
  "shared-bottom": `groups shared
  level 1 { experts: mlp[32, 16] relu }
  towers { tower: mlp[8] relu }
  regularize { l2: 1e-5 }`,
  mmoe: `groups shared
  level 1 { experts: 4 x mlp[16] relu }
  towers { tower: mlp[8] relu, connect: softmax_gate }`,
  mssm: `groups sum_positive, item_high, shared
  select fields per group
  level 1 { experts: mlp[16] relu, connect: cssm }
  level 2 {
    experts { sum_positive: mlp[8] relu, item_high: mlp[8] relu }
    connect: cssm
  }
  towers { tower: mlp[8] relu }
  regularize { l0: 1e-4, l2: 1e-5 }
  gates { init_drop: 0.3 }`,
};

const ROWS = 6;
const DIM = 4;
const ITEM_EFFECT = [-1.5, -1, -0.5, 0.5, 1, 1.5];

/** N examples: standardized x, an item id; y1 = [x1 + x2 − x3 > 0], y2 = [effect(item) + 0.5 x3 > 0]. */
function dataset(n: number, rng: Random) {
  return Array.from({ length: n }, () => {
    const x = [rng.normal(), rng.normal(), rng.normal()];
    const item = Math.floor(rng.uniform() * ROWS);
    return { x, item, y1: x[0]! + x[1]! - x[2]! > 0 ? 1 : 0, y2: ITEM_EFFECT[item]! + 0.5 * x[2]! > 0 ? 1 : 0 };
  });
}

/** Runs `steps` training steps through train.onnx and returns each step's total loss. */
async function train(artifact: Artifact, steps: number, batch: number): Promise<number[]> {
  const m = artifact.manifest;
  const rng = Random.derive(m.spec.train.seed, "synthetic data");
  const data = dataset(512, rng);
  const session = await InferenceSession.create(artifact.files["train.onnx"], { executionProviders: ["cpu"], intraOpNumThreads: 1 });
  const inputs = m.graphs.train.inputs;
  const f32 = (shape: readonly number[], values: ArrayLike<number>) => new Tensor("float32", Float32Array.from(values), [...shape]);

  // The runtime's side: params and their state by name; the embedding table and its state, full size.
  const values = new Map<string, Float32Array>();
  for (const [name, v] of initialValues(artifact.train, m.spec.train.seed)) values.set(name, Float32Array.from(v));
  // A packed param input holds its params end to end, drawn as the model's params are.
  const byName = new Map(m.params.map((p) => [p.name, p]));
  for (const t of inputs.filter((t) => t.role === "param" && t.members)) {
    const draw = (name: string) => {
      const p = byName.get(name)!;
      return [...initialValue({ value: { name, dtype: p.dtype, shape: p.shape }, init: p.init, group: p.group, doc: p.doc } as unknown as Param, m.spec.train.seed)];
    };
    values.set(t.name, Float32Array.from(t.members!.flatMap((mm) => draw(mm.name))));
  }
  const table = new Map<string, Float32Array>([["emb/item/rows", Float32Array.from({ length: ROWS * DIM }, () => rng.normal(0, 0.1))]]);
  for (const t of inputs.filter((t) => t.role === "state")) {
    // A packed state input holds several params' state end to end.
    if (t.members) {
      values.set(t.name, new Float32Array(t.shape[0] as number).fill(t.init!));
      continue;
    }
    const of = values.get(t.of!) ?? table.get(t.of!)!;
    (values.has(t.of!) ? values : table).set(t.name, new Float32Array(of.length).fill(t.init!));
  }

  const losses: number[] = [];
  for (let step = 1; step <= steps; step++) {
    const picked = Array.from({ length: batch }, (_v, k) => data[((step - 1) * batch + k) % data.length]!);
    const ids = [...new Set(picked.map((e) => e.item))].sort((a, b) => a - b);
    const gather = (full: Float32Array) => ids.flatMap((id) => [...full.subarray(id * DIM, (id + 1) * DIM)]);
    const feeds: Record<string, Tensor> = {};
    for (const t of inputs) {
      const shape = t.shape.map((d) => (d === "batch" ? batch : typeof d === "number" ? d : ids.length));
      if (t.name === "emb/item/index") feeds[t.name] = new Tensor("int64", BigInt64Array.from(picked, (e) => BigInt(ids.indexOf(e.item))), [batch]);
      else if (t.name === "numeric") feeds[t.name] = f32(shape, picked.flatMap((e) => e.x));
      else if (t.name === "label/sum_positive") feeds[t.name] = f32(shape, picked.map((e) => e.y1));
      else if (t.name === "label/item_high") feeds[t.name] = f32(shape, picked.map((e) => e.y2));
      else if (t.name.startsWith("noise/")) feeds[t.name] = f32(shape, Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.uniformIn(1e-6, 1 - 1e-6)));
      else if (t.role === "step") feeds[t.name] = f32([], [step]);
      else if (t.role === "lr") feeds[t.name] = f32([], [m.spec.train[t.group === "dense" ? "optimizer" : t.group === "gate" ? "gate_optimizer" : "embedding_optimizer"].lr]);
      else if (table.has(t.name)) feeds[t.name] = f32(shape, gather(table.get(t.name)!));
      else if (values.has(t.name)) feeds[t.name] = f32(shape, values.get(t.name)!);
      else throw new Error(`no feed for ${t.role} input ${t.name}`);
    }
    const out = await session.run(feeds);
    losses.push((out["loss"]!.data as Float32Array)[0]!);
    for (const o of m.graphs.train.outputs.filter((o) => o.role === "next")) {
      const next = out[o.name]!.data as Float32Array;
      const full = table.get(o.of!);
      if (full) ids.forEach((id, k) => full.set(next.subarray(k * DIM, (k + 1) * DIM), id * DIM));
      else values.set(o.of!, Float32Array.from(next));
    }
  }
  await session.release();
  return losses;
}

const mean = (xs: readonly number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;

describe("training a zoo architecture on a tiny synthetic problem through train.onnx", () => {
  for (const [name, body] of Object.entries(MODELS)) {
    it(`${name}: the mean loss of the last 10 of 100 steps is under half of the first 10`, async () => {
      const { spec } = specFromText(`${FIELDS_AND_TASKS}\nmodel tiny_${name.replace("-", "_")} {\n  ${body}\n  ${TRAIN}\n}\n`);
      const losses = await train(compileSpec(spec), 100, spec.train.batch);
      const [first, last] = [mean(losses.slice(0, 10)), mean(losses.slice(-10))];
      console.log(`${name}: mean loss of steps 1-10 ${first.toFixed(4)}, of steps 91-100 ${last.toFixed(4)} (${((100 * last) / first).toFixed(0)}%)`);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(last).toBeLessThan(first * 0.5);
    });
  }
});
