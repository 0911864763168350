import { writeFileSync } from "node:fs";
import type * as ort from "onnxruntime-node";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { predictionOutput } from "../../compiler/artifact.js";
import { compileSpec } from "../../compiler/compile.js";
import { packageRoot } from "../../base/package-root.js";
import { loadSpec } from "../../compiler/load/load.js";
import type { GateNoise } from "../../compiler/load/types.js";
import { batches, type EmbeddingLookup } from "../../runtime/data/batches.js";
import { openSession } from "../../runtime/session.js";
import { gateNoise, StepRunner } from "../../runtime/step.js";
import { initialState } from "../../runtime/train.js";
import { syntheticData } from "../train-step.js";

// For the PyTorch equivalence check: one zoo model's initial weights, one Adult-like
// batch, the gate noise of step 1 (what the runtime feeds train.onnx: gateNoise is a pure function
// of seed and step) and the losses and predictions mssmc's training step computes on them, as JSON for
// bench/torch/equivalence.py.
//
//   node dist/bench/torch/dump-step.js MODEL OUT.json [--batch N] [--noise per_example]

/**
 * Writes the weights, the batch, the gate noise and mssmc's losses and predictions of step 1 of
 * `model` (a zoo spec name), its gates drawing their noise as `noise` (gates.noise; default the spec's).
 */
export async function dumpStep(model: string, out: string, batchSize: number, noise?: GateNoise): Promise<number> {
  const loaded = loadSpec(join(packageRoot(), "specs", "zoo", `${model}.mssm`));
  const spec = { ...loaded.spec!, train: { ...loaded.spec!.train, batch: batchSize }, ...(noise ? { gates: { ...loaded.spec!.gates, noise } } : {}) };
  const artifact = compileSpec(spec);
  const { data, preprocessing } = syntheticData(spec, batchSize);
  const state = initialState(artifact.manifest, preprocessing, spec.train.seed);
  const params = Object.fromEntries([...state.params].map(([k, v]) => [k, Array.from(v)]));
  const tables = Object.fromEntries([...state.store.valueTables()].map(([k, t]) => [k, { rows: t.rows, dim: t.dim, data: Array.from(t.data) }]));
  const batch = batches(spec, data, { batchSize, shuffle: false }).next().value!;
  const ids = Object.fromEntries(Object.entries(batch.embeddings as Record<string, EmbeddingLookup>).map(([f, l]) => [f, Array.from(l.index, (i) => l.unique[Number(i)]!)]));
  // The noise StepRunner.run feeds at step 1, by gate group.
  const drawn = gateNoise(artifact.manifest, artifact.manifest.spec.train.seed, 1, undefined, batch.size);
  const noiseByGroup = Object.fromEntries(artifact.manifest.gate_groups.map((g) => [g.name, Array.from(drawn.get(g.noise)!)]));
  const session = await openSession(artifact.files["train.onnx"], { device: "cpu", threads: 1 });
  // StepRunner fetches no predictions; this session also fetches each task's from the same run,
  // so the per-example outputs (which the batch-mean loss barely shows at init) can be compared.
  const predictionNames = spec.tasks.map((t) => predictionOutput(t.name));
  const predictions: Record<string, number[]> = {};
  const recording = Object.create(session, {
    run: {
      value: async (feeds: ort.InferenceSession.FeedsType, fetches: string[]) => {
        const r = await session.run(feeds, [...fetches, ...predictionNames]);
        for (const t of spec.tasks) predictions[t.name] = Array.from(r[predictionOutput(t.name)]!.data as Float32Array);
        return r;
      },
    },
  }) as ort.InferenceSession;
  const result = await new StepRunner(artifact.manifest, recording, 1).run(state, batch, 1);
  await session.release();
  const fields = spec.fields.map((f) => ({ name: f.name, kind: f.kind, dim: f.dim }));
  const labels = Object.fromEntries(Object.entries(batch.labels).map(([k, v]) => [k, Array.from(v as Float32Array)]));
  writeFileSync(
    out,
    JSON.stringify({
      model,
      fields,
      l2: spec.regularize.l2,
      l0Weight: spec.regularize.l0,
      l0FieldsWeight: spec.regularize.l0_fields,
      gates: spec.gates,
      paramCount: artifact.manifest.summary.params,
      params,
      tables,
      ids,
      numeric: Array.from(batch.numeric),
      labels,
      noise: noiseByGroup,
      loss: result.loss,
      taskLoss: result.taskLoss,
      predictions,
      l0: result.l0,
    }),
  );
  return result.loss;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [model, out] = process.argv.slice(2);
  const i = process.argv.indexOf("--batch");
  const n = process.argv.indexOf("--noise");
  process.stdout.write(`${await dumpStep(model!, out!, i >= 0 ? Number(process.argv[i + 1]) : 256, n >= 0 ? (process.argv[n + 1] as GateNoise) : undefined)}\n`);
}
