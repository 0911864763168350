// How much each consumer of a softmax-gated stage (MMoE, CGC, PLE) uses each source: the mean over
// data rows of its gate's weights g = softmax(q W + b) (docs/design.md, "The mathematics"). The
// weights are read from eval.onnx itself, made to output them (withFloatOutputs), so they are the
// numbers the model computes, preprocessing and all.

import type * as ort from "onnxruntime-node";
import type { Manifest, SoftmaxGateValue } from "../compiler/index.js";
import { invariant } from "../base/source/diagnostic.js";
import type { Dataset } from "./data/dataset.js";
import { EVAL_BATCH, predictDataset, type Weights } from "./evaluate.js";

/** One consumer's softmax gate: the mean weight it gives each source. */
export interface GateUsage {
  /** `level 1` or `towers`. */
  label: string;
  consumer: string;
  sources: string[];
  /** mean[s]: the mean of g_s over the rows; the means sum to 1. */
  mean: number[];
}

/** The mean weights of `gates` over every row of `data`; `session` runs an eval graph that outputs each gate's value. */
export async function gateUsage(session: ort.InferenceSession, manifest: Manifest, weights: Weights, data: Dataset, gates: readonly SoftmaxGateValue[]): Promise<GateUsage[]> {
  const sums = gates.map((g) => new Float64Array(g.sources.length));
  await predictDataset(session, manifest, weights, data, EVAL_BATCH, (outputs, size) => {
    gates.forEach((g, k) => {
      const values = outputs[g.value]?.data as Float32Array | undefined;
      const width = g.sources.length;
      invariant(values !== undefined && values.length === size * width, `the gate ${g.value} was not output as [${size}, ${width}]`);
      const sum = sums[k]!;
      for (let i = 0; i < values.length; i++) sum[i % width] = sum[i % width]! + values[i]!;
    });
  });
  return gates.map((g, k) => ({ label: g.label, consumer: g.consumer, sources: g.sources, mean: [...sums[k]!].map((s) => s / Math.max(1, data.rows)) }));
}
