// Parameter initialisers: a description kept in the IR (and the manifest), turned into numbers
// only here, with a per-parameter seeded stream, so initial weights are reproducible byte for byte.

import { invariant } from "../../base/source/diagnostic.js";
import type { Graph } from "./graph.js";
import type { Init, Param } from "./graph-data.js";
import { sizeOf, type DType } from "./ops.js";
import { Random } from "../../base/random.js";

export type { Init } from "./graph-data.js";

/** The initialiser as written in the text form: `normal(mean=0, std=0.01)`. */
export function initText(init: Init): string {
  switch (init.kind) {
    case "zeros":
    case "glorot_uniform":
      return init.kind;
    case "constant":
      return `constant(${init.value})`;
    case "label_mean":
      return `label_mean(${init.task})`;
    case "normal":
      return `normal(mean=${init.mean}, std=${init.std})`;
    case "uniform":
      return `uniform(low=${init.low}, high=${init.high})`;
  }
}

/** The initial value of one parameter under a seed (independent of every other parameter). */
export function initialValue(param: Param, seed: number): Float32Array | Float64Array {
  return initialTensor({ name: param.value.name, shape: param.value.shape as readonly number[], dtype: param.value.dtype, init: param.init }, seed);
}

/**
 * The initial value of a tensor described by name, shape, dtype and initialiser (a manifest's
 * param); `labelMeans` by task gives `label_mean` initialisers their value (0 for a task not in it).
 */
export function initialTensor(param: { name: string; shape: readonly number[]; dtype: DType; init: Init }, seed: number, labelMeans?: ReadonlyMap<string, number>): Float32Array | Float64Array {
  const shape = param.shape;
  const n = sizeOf(shape);
  const out = param.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  const init = param.init;
  const rng = Random.derive(seed, param.name);
  switch (init.kind) {
    case "zeros":
      break;
    case "constant":
      out.fill(init.value);
      break;
    case "label_mean":
      out.fill(labelMeans?.get(init.task) ?? 0);
      break;
    case "normal":
      for (let i = 0; i < n; i++) out[i] = rng.normal(init.mean, init.std);
      break;
    case "uniform":
      for (let i = 0; i < n; i++) out[i] = rng.uniformIn(init.low, init.high);
      break;
    case "glorot_uniform": {
      invariant(shape.length >= 2, `glorot_uniform needs a weight of rank >= 2, ${param.name} has [${shape.join(",")}].`);
      const limit = Math.sqrt(6 / (shape[shape.length - 2]! + shape[shape.length - 1]!));
      for (let i = 0; i < n; i++) out[i] = rng.uniformIn(-limit, limit);
      break;
    }
  }
  return out;
}

/** Initial values of every parameter of a graph, by name. */
export function initialValues(graph: Graph, seed: number): Map<string, Float32Array | Float64Array> {
  return new Map(graph.params.map((p) => [p.value.name, initialValue(p, seed)]));
}
