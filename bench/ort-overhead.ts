import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-node";
import { Builder, type Graph } from "../compiler/ir/graph.js";
import { emitModel } from "../compiler/onnx/emit.js";
import { wholeNumber } from "./args.js";

// Two floors under a training step, measured in onnxruntime-node itself (behind the MSSM step's throughput):
//
// 1. What a run costs per input and per output: a graph of many small inputs and outputs against
//    one of few large ones, the same number of floats in both (each output is Neg of an input, so
//    the arithmetic is the same too). The difference over the difference in tensor count is the
//    cost of one more input or output: binding, checking and copying it in the Node binding.
// 2. The GEMMs of the zoo MSSM's step alone: for each level, the merged experts' forward
//    x W, d input dY Wᵀ and d weight xᵀ dY at MSSM's shapes (batch 1024; level 1 [312, 192], level 2
//    [192, 64]), outputs included. No step with these matmuls can be faster than this.
//
//   node dist/bench/ort-overhead.js [--runs N] [--warmup N]

/** A graph of `inputs` float32 [size] inputs whose first `outputs` are negated into outputs. */
function ioGraph(inputs: number, outputs: number, size: number): Graph {
  const b = new Builder(`io_${inputs}x${outputs}`);
  const xs = Array.from({ length: inputs }, (_v, i) => b.input(`x${i}`, "float32", [size]));
  for (let o = 0; o < outputs; o++) b.output(b.neg(xs[o % inputs]!, `y${o}`));
  return b.finish();
}

/** MSSM's six training GEMMs: per level, y = x W, dx = dY Wᵀ, dW = xᵀ dY. */
function gemmGraph(batch: number): Graph {
  const b = new Builder("mssm_gemms");
  for (const [level, k, n] of [
    [1, 312, 192],
    [2, 192, 64],
  ] as const) {
    const x = b.input(`x${level}`, "float32", [batch, k]);
    const w = b.input(`w${level}`, "float32", [k, n]);
    const dy = b.input(`dy${level}`, "float32", [batch, n]);
    b.output(b.matmul(x, w, `y${level}`));
    b.output(b.matmul(dy, b.transpose(w, [1, 0]), `dx${level}`));
    b.output(b.matmul(b.transpose(x, [1, 0]), dy, `dw${level}`));
  }
  return b.finish();
}

/** Random feeds for every input of `graph`. */
function feedsOf(graph: Graph): Record<string, ort.Tensor> {
  return Object.fromEntries(
    graph.inputs.map((v) => {
      const shape = v.shape as number[];
      const data = Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_x, i) => Math.sin(i) * 0.5);
      return [v.name, new ort.Tensor("float32", data, shape)];
    }),
  );
}

/** Median and 10th percentile of `runs` timed runs (ms), new input tensors each run as the runtime makes them. */
async function time(graph: Graph, threads: number, runs: number, warmup: number): Promise<{ median: number; p10: number }> {
  const session = await ort.InferenceSession.create(emitModel(graph), { intraOpNumThreads: threads, graphOptimizationLevel: "all", logSeverityLevel: 3 });
  const base = feedsOf(graph);
  const feeds = () => Object.fromEntries(Object.entries(base).map(([k, t]) => [k, new ort.Tensor("float32", t.data as Float32Array, t.dims as number[])]));
  for (let i = 0; i < warmup; i++) await session.run(feeds());
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const f = feeds();
    const s = performance.now();
    await session.run(f);
    ms.push(performance.now() - s);
  }
  await session.release();
  ms.sort((a, c) => a - c);
  return { median: ms[Math.floor((ms.length - 1) / 2)]!, p10: ms[Math.floor((ms.length - 1) * 0.1)]! };
}

/** One row of the table. */
export interface OverheadRow {
  graph: string;
  threads: number;
  median: number;
  p10: number;
}

/** Runs both measurements on 1 and 2 threads. */
export async function measureOverhead(options: { runs: number; warmup: number; batch?: number }): Promise<{ rows: OverheadRow[]; perTensorUs: number[] }> {
  const many = { graph: ioGraph(250, 150, 500), label: "250 inputs + 150 outputs of 500 floats" };
  const few = { graph: ioGraph(4, 2, 37_500), label: "4 inputs + 2 outputs of 37,500 floats" };
  const gemms = { graph: gemmGraph(options.batch ?? 1024), label: `MSSM's 6 step GEMMs, batch ${options.batch ?? 1024}` };
  const rows: OverheadRow[] = [];
  const perTensorUs: number[] = [];
  for (const threads of [1, 2]) {
    const a = await time(many.graph, threads, options.runs, options.warmup);
    const c = await time(few.graph, threads, options.runs, options.warmup);
    const g = await time(gemms.graph, threads, options.runs, options.warmup);
    rows.push({ graph: many.label, threads, ...a }, { graph: few.label, threads, ...c }, { graph: gemms.label, threads, ...g });
    perTensorUs.push(((a.median - c.median) * 1000) / (400 - 6));
  }
  return { rows, perTensorUs };
}

/** The table and the per-tensor cost, as printed. */
export function formatOverhead(result: { rows: OverheadRow[]; perTensorUs: number[] }): string[] {
  const lines = [`| graph | threads | median ms | p10 ms |`, `|---|--:|--:|--:|`];
  for (const r of result.rows) lines.push(`| ${r.graph} | ${r.threads} | ${r.median.toFixed(3)} | ${r.p10.toFixed(3)} |`);
  lines.push("", ...result.perTensorUs.map((us, i) => `one more input or output: ${us.toFixed(2)} µs a run (${i + 1} thread(s); the first two rows' difference over 394 tensors)`));
  return lines;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runs = wholeNumber(argv, "runs", 300, 1);
  const warmup = wholeNumber(argv, "warmup", 30);
  console.log(`onnxruntime-node run overheads; median of ${runs} runs after ${warmup}; node ${process.version}\n`);
  console.log(formatOverhead(await measureOverhead({ runs, warmup })).join("\n"));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
