// Run by device-webgpu.test.ts in a process of its own: the Vulkan loader's library path must be
// set before a process starts. For each artifact folder given, runs eval.onnx and, for the
// folders named in MSSMC_TRAIN (comma-separated), train.onnx (one step) on the CPU and on WebGPU with the same seeded inputs and prints, per graph and output,
// the difference: {"model", "graph", "outputs": {name: {normRel, maxRel}}} one JSON line each.
//   normRel = |a - b|_2 / |a|_2 over the whole tensor;  maxRel = max_i |a_i - b_i| / max(|a_i|, 1e-6)

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import * as ort from "onnxruntime-node";

const BATCH = 16;
const TABLE_ROWS = 7;

/** Seeded inputs for a graph, from the manifest: indices in range, labels 0/1, noise in (0, 1), states at their init, small params. */
function feeds(manifest, graph) {
  let seed = 1;
  const uniform = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out = {};
  for (const t of manifest.graphs[graph].inputs) {
    const shape = t.shape.map((d) => (typeof d === "number" ? d : d === "batch" ? BATCH : TABLE_ROWS));
    const n = shape.reduce((a, b) => a * b, 1);
    if (t.dtype === "int64") {
      out[t.name] = new ort.Tensor("int64", BigInt64Array.from({ length: n }, () => BigInt(Math.floor(uniform() * TABLE_ROWS))), shape);
      continue;
    }
    const draw =
      t.name.startsWith("label/") ? () => (uniform() < 0.5 ? 0 : 1)
      : t.name.startsWith("noise/") ? () => 0.01 + 0.98 * uniform()
      : t.init !== undefined ? () => t.init
      : t.role === "step" ? () => 1
      : t.role === "lr" ? () => 0.01
      : () => (uniform() - 0.5) * 0.2;
    out[t.name] = new ort.Tensor("float32", Float32Array.from({ length: n }, draw), shape);
  }
  return out;
}

async function run(bytes, inputs, device) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: device === "cpu" ? ["cpu"] : [device, "cpu"], intraOpNumThreads: 1, logSeverityLevel: 3 });
  const results = await session.run(inputs);
  await session.release();
  return results;
}

const trained = new Set((process.env["MSSMC_TRAIN"] ?? "").split(","));
// The device compared with the CPU: webgpu, or cuda (scripts/gpu-check.sh on a machine with a GPU).
const device = process.env["MSSMC_PARITY_DEVICE"] ?? "webgpu";
for (const dir of process.argv.slice(2)) {
  const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, "utf8"));
  for (const graph of trained.has(basename(dir)) ? ["eval", "train"] : ["eval"]) {
    const bytes = readFileSync(`${dir}/${graph}.onnx`);
    const inputs = feeds(manifest, graph);
    const [cpu, gpu] = [await run(bytes, inputs, "cpu"), await run(bytes, inputs, device)];
    const outputs = {};
    for (const [name, tensor] of Object.entries(cpu)) {
      const a = tensor.data, b = gpu[name].data;
      let diff = 0, norm = 0, maxRel = 0;
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(a[i] - b[i]);
        diff += d * d;
        norm += a[i] * a[i];
        maxRel = Math.max(maxRel, d / Math.max(Math.abs(a[i]), 1e-6));
      }
      outputs[name] = { normRel: Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30), maxRel };
    }
    process.stdout.write(JSON.stringify({ model: basename(dir), graph, outputs }) + "\n");
  }
}
