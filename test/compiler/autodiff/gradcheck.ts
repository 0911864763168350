// Gradient checking through onnxruntime: the analytic gradient (forward + backward graph, emitted
// and run in ORT) against central finite differences (f(x+h) - f(x-h)) / (2h) of the forward
// graph, also run in ORT. The error of one input is max|analytic - numeric| / max|numeric|
// (relative to the gradient's scale, so single near-zero entries do not dominate).

import type { InferenceSession } from "onnxruntime-node";
import { grad } from "../../../compiler/autodiff/grad.js";
import { Builder, type Graph, type Value } from "../../../compiler/ir/graph.js";
import { isFloat, type DType } from "../../../compiler/ir/ops.js";
import { Random } from "../../../base/random.js";
import { emitModel } from "../../../compiler/onnx/emit.js";
import type { RefTensor } from "../ir/reference.js";
import { fromOrt, loadModel, toOrt } from "../onnx/ort.js";

/** The run-time size of every symbolic dimension in these tests. */
export const RUN_SIZE = 3;

/** An ORT session that takes and returns RefTensors. */
export interface Model {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, RefTensor>): Promise<Record<string, RefTensor>>;
  release(): Promise<void>;
}

/** Opens a model in a single-threaded CPU session. */
export async function openModel(bytes: Uint8Array): Promise<Model> {
  const session: InferenceSession = await loadModel(bytes);
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    run: async (feeds) => {
      const results = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])));
      return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, fromOrt(v)]));
    },
    release: () => session.release(),
  };
}

/** Random floats in ±[0.5, 2] (or [0.5, 2]), redrawn while within `margin` of a kink. */
export function randomFloats(rng: Random, n: number, options: { positive?: boolean; kinks?: readonly number[]; dtype?: DType } = {}): number[] {
  const out: number[] = [];
  while (out.length < n) {
    const m = rng.uniformIn(0.5, 2);
    const v = options.positive || rng.uniform() < 0.5 ? m : -m;
    if ((options.kinks ?? []).some((k) => Math.abs(v - k) < 0.1)) continue;
    out.push(options.dtype === "float32" ? Math.fround(v) : v);
  }
  return out;
}

/** Feeds for every input of a graph: custom ones, else random floats / bools with symbolic dims at RUN_SIZE. */
export function randomFeeds(
  inputs: readonly Value[],
  rng: Random,
  custom: Record<string, RefTensor> = {},
  options: { positive?: boolean; kinks?: readonly number[] } = {},
): Record<string, RefTensor> {
  const feeds: Record<string, RefTensor> = {};
  for (const v of inputs) {
    const given = custom[v.name];
    if (given) {
      feeds[v.name] = { ...given, dtype: v.dtype };
      continue;
    }
    const shape = v.shape.map((d) => (typeof d === "number" ? d : RUN_SIZE));
    const n = shape.reduce((a, d) => a * d, 1);
    const data = v.dtype === "bool" ? Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0)) : randomFloats(rng, n, { ...options, dtype: v.dtype });
    feeds[v.name] = { dtype: v.dtype, shape, data };
  }
  return feeds;
}

/** out = sum_k sum(outs_k * weight_k): a scalar loss that reads every element of every output with its own weight. */
export function weightedSum(b: Builder, outs: readonly Value[]): Value {
  const terms = outs.map((o, k) => {
    const weighted = b.mul(o, b.input(`weight${k}`, o.dtype, o.shape));
    return o.shape.length === 0 ? weighted : b.reduceSum(weighted, o.shape.map((_d, i) => i), false);
  });
  return b.output(terms.reduce((sum, t) => b.add(sum, t)), "loss");
}

/** The gradient graph: the forward graph plus one output per gradient. */
export function withGradientOutputs(forward: Graph, loss: Value, wrt: readonly Value[]): { graph: Graph; names: string[] } {
  const { graph, gradients } = grad(forward, loss, wrt);
  const b = Builder.extend(graph);
  for (const g of gradients) b.output(g);
  return { graph: b.finish(), names: gradients.map((g) => g.name) };
}

/** Max error per differentiated input, by name. */
export type GradErrors = Record<string, number>;

/**
 * d loss / d feeds[name] by central differences of a model with a scalar output "loss", step h
 * scaled by max(1, |x|): 1e-6, or 1e-2 when the input or the loss is float32 (float32 inputs use
 * the step actually representable).
 */
export async function numericGradient(model: Model, feeds: Record<string, RefTensor>, name: string, lossDtype: DType): Promise<number[]> {
  const x = feeds[name]!;
  const coarse = x.dtype === "float32" || lossDtype === "float32";
  const round = (t: number) => (x.dtype === "float32" ? Math.fround(t) : t);
  const at = async (i: number, t: number) => {
    const data = [...x.data];
    data[i] = t;
    const out = await model.run({ ...feeds, [name]: { ...x, data } });
    return out["loss"]!.data[0] as number;
  };
  const numeric: number[] = [];
  for (let i = 0; i < x.data.length; i++) {
    const x0 = x.data[i] as number;
    const h = (coarse ? 1e-2 : 1e-6) * Math.max(1, Math.abs(x0));
    const [up, down] = [round(x0 + h), round(x0 - h)];
    numeric.push(((await at(i, up)) - (await at(i, down))) / (up - down));
  }
  return numeric;
}

/** max|analytic - numeric| / max|numeric|: the error relative to the gradient's scale. */
export function relativeError(analytic: RefTensor, numeric: readonly number[]): number {
  if (analytic.data.length !== numeric.length) return Infinity;
  const scale = Math.max(...numeric.map(Math.abs), 1e-12);
  return Math.max(0, ...numeric.map((n, i) => Math.abs((analytic.data[i] as number) - n))) / scale;
}

/** Checks d loss / d v for every v in `wrt` (inputs of `forward`): analytic from ORT against central differences from ORT. */
export async function checkGradients(forward: Graph, wrt: readonly Value[], feeds: Record<string, RefTensor>): Promise<GradErrors> {
  const loss = forward.outputs.find((o) => o.name === "loss")!;
  const { graph, names } = withGradientOutputs(forward, loss, wrt);
  const backward = await openModel(emitModel(graph));
  const model = await openModel(emitModel(forward));
  try {
    const analytic = await backward.run(feeds);
    const errors: GradErrors = {};
    for (const [k, v] of wrt.entries()) errors[v.name] = relativeError(analytic[names[k]!]!, await numericGradient(model, feeds, v.name, loss.dtype));
    return errors;
  } finally {
    await backward.release();
    await model.release();
  }
}

/** The float inputs of a graph except the loss weights. */
export function floatInputs(graph: Graph): Value[] {
  return graph.inputs.filter((v) => isFloat(v.dtype) && !/^weight\d+$/.test(v.name));
}
