// Field gates (select fields per group(form: l0)) in the export: a gate of exactly 0 takes its
// field out of the group's input, and a field no group reads leaves the model with its input;
// the pruned model scores as the unpruned one (onnxruntime, 1e-5).

import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { selectionGateGroup, logAlphaParam } from "../../../compiler/artifact.js";
import { compileSpec } from "../../../compiler/compile.js";
import { exportInferenceModel } from "../../../compiler/export/export-model.js";
import type { TrainedWeights } from "../../../compiler/export/inference-graph.js";
import { initialTensor } from "../../../compiler/ir/init.js";
import { loadSpec } from "../../../compiler/load/load.js";
import type { Spec } from "../../../compiler/load/types.js";

const LIB = `fields {
  age numeric
  job categorical(dim: 4)
  city categorical(dim: 4)
}
tasks {
  click binary(label: clicked)
  buy binary(label: bought)
}
`;

const MODEL = `import "lib.mssm"
model m {
  groups click, buy
  select fields per group(form: l0)
  level 1 { experts: mlp[6] relu }
  towers { tower: mlp[] }
}
`;

function spec(): Spec {
  const files = new Map([["/v/lib.mssm", LIB], ["/v/main.mssm", MODEL]]);
  const result = loadSpec("/v/main.mssm", (p) => files.get(p)!);
  expect(result.diagnostics).toEqual([]);
  return result.spec!;
}

/** Initial weights, with each group's field gates' log α set: 10 (open) or -10 (closed) per field. */
function weights(s: Spec, logAlpha: Record<string, number[]>): TrainedWeights {
  const manifest = compileSpec(s).manifest;
  const params = new Map(manifest.params.map((p) => [p.name, Float32Array.from(initialTensor(p, 3))]));
  for (const [group, values] of Object.entries(logAlpha)) params.set(logAlphaParam(selectionGateGroup(group)), Float32Array.from(values));
  const tables = new Map(s.fields.filter((f) => f.kind !== "numeric").map((f, i) => [f.name, { rows: 4, dim: f.dim, data: Float32Array.from({ length: 4 * f.dim }, (_v, k) => Math.sin(k + i)) }]));
  return { params, tables };
}

const PREPROCESSING = {
  fields: { age: { kind: "numeric", transform: "none", mean: 40, std: 10 }, job: { kind: "vocabulary", values: ["a", "b", "c"] }, city: { kind: "vocabulary", values: ["x", "y", "z"] } },
  missing: ["", "?"],
} as const;

/** Every output of an exported model on a few rows, flattened. */
async function scores(bytes: Uint8Array, inputs: readonly string[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes);
  const columns: Record<string, ort.Tensor> = {
    age: new ort.Tensor("float32", Float32Array.from([20, 35, 50, 71]), [4]),
    job: new ort.Tensor("string", ["a", "c", "?", "b"], [4]),
    city: new ort.Tensor("string", ["z", "x", "y", "w"], [4]),
  };
  const out = await session.run(Object.fromEntries(inputs.map((n) => [n, columns[n]!])));
  return session.outputNames.flatMap((n) => [...(out[n]!.data as Float32Array)]);
}

describe("export of field gates", () => {
  // Fields in order age, job, city: age closed for both groups, job closed for buy only.
  const s = spec();
  const w = weights(s, { click: [-10, 10, 10], buy: [-10, -10, 10] });

  it("cuts a closed field out of its group, and a field no group reads out of the model with its input", () => {
    const r = exportInferenceModel(s, w, PREPROCESSING);
    expect(r.pruned!.fields).toEqual(["age"]);
    expect(r.pruned!.inputs).toEqual(["age"]);
    expect(r.inputs.map((i) => i.name)).toEqual(["job", "city"]);
    expect(r.pruned!.selections).toEqual([
      { field: "age", group: "click" },
      { field: "age", group: "buy" },
      { field: "job", group: "buy" },
    ]);
    // Each level-1 expert reads both selections (dense, sources all): of 2 x (8 + 4 + 4) columns,
    // click's job and city (8) and buy's city (4) are left.
    const layer = (group: string) => r.graph.nodes.find((n) => n.op === "MatMul" && n.outputs[0]!.name.startsWith(`level1/${group}/expert0/dense0`))!;
    const full = exportInferenceModel(s, w, PREPROCESSING, { prune: false }).graph.nodes.find((n) => n.op === "MatMul" && n.outputs[0]!.name.startsWith("level1/buy/expert0/dense0"))!;
    expect(full.inputs[1]!.shape[0]).toBe(32);
    expect(layer("buy").inputs[1]!.shape[0]).toBe(12);
    expect(layer("click").inputs[1]!.shape[0]).toBe(12);
  });

  it("keeps every field while all gates are open", () => {
    const r = exportInferenceModel(s, weights(s, { click: [10, 10, 10], buy: [10, 10, 10] }), PREPROCESSING);
    expect(r.pruned!.fields).toEqual([]);
    expect(r.pruned!.selections).toEqual([]);
  });

  it("scores as the unpruned export within 1e-5", async () => {
    const pruned = exportInferenceModel(s, w, PREPROCESSING);
    const full = exportInferenceModel(s, w, PREPROCESSING, { prune: false });
    const a = await scores(full.bytes, full.inputs.map((i) => i.name));
    const b = await scores(pruned.bytes, pruned.inputs.map((i) => i.name));
    expect(b.length).toBe(a.length);
    b.forEach((v, i) => expect(Math.abs(v - a[i]!)).toBeLessThan(1e-5));
  });
});
