// Shared by the lowering tests: specs from text or the zoo, random feeds for a lowered graph,
// and its params' initial values as feeds.

import { join } from "node:path";
import { expect } from "vitest";
import type { Graph, Value } from "../../../compiler/ir/graph.js";
import { initialValues } from "../../../compiler/ir/init.js";
import { Random } from "../../../base/random.js";
import { sourceLocator } from "../../../compiler/lower/locate.js";
import type { Locate } from "../../../compiler/lower/context.js";
import { packageRoot } from "../../../base/package-root.js";
import { loadSpec } from "../../../compiler/load/load.js";
import type { Spec } from "../../../compiler/load/types.js";
import { refTensor, type RefTensor } from "../ir/reference.js";

/** A checked spec, its locator, and the codes of its warnings. */
export interface Loaded {
  spec: Spec;
  locate: Locate;
  warnings: string[];
}

/** Loads a spec written in the test as the file `name`; fails on any error. */
export function specFromText(text: string, name = "test.mssm"): Loaded {
  const r = loadSpec(name, (p) => {
    if (p !== name) throw new Error(`no file ${p}`);
    return text;
  });
  expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code}: ${d.message}`)).toEqual([]);
  return { spec: r.spec!, locate: sourceLocator(r.map, r.files), warnings: r.diagnostics.map((d) => d.code) };
}

/** The zoo specs that hold a model, sorted. */
export const ZOO = [
  "cgc.mssm",
  "cross-stitch.mssm",
  "mmoe.mssm",
  "mssm-a.mssm",
  "mssm-b.mssm",
  "mssm.mssm",
  "ple.mssm",
  "shared-bottom.mssm",
  "single-task.mssm",
  "snr-aver.mssm",
  "snr-trans.mssm",
];

/** Loads a zoo spec; fails on any error. */
export function zooSpec(file: string): Loaded {
  const r = loadSpec(join(packageRoot(), "specs", "zoo", file));
  expect(r.spec, `${file}: ${r.diagnostics.map((d) => d.message).join("; ")}`).toBeDefined();
  return { spec: r.spec!, locate: sourceLocator(r.map, r.files), warnings: r.diagnostics.map((d) => d.code) };
}

/** Sizes of the symbolic dimensions in the feeds. */
export const DIMS = { batch: 4, rows: 5, len: 3 };

function resolve(v: Value): number[] {
  return v.shape.map((d) => (typeof d === "number" ? d : d === "batch" ? DIMS.batch : d.startsWith("rows_") ? DIMS.rows : DIMS.len));
}

/**
 * Random values for every input of a lowered graph: embedding rows ~ N(0, 0.5), indices in
 * range, pooling weights of 1/len, standardized numerics, labels of the right kind (one-hot for
 * multiclass, 0/1 for binary), noise in (0, 1).
 */
export function randomFeeds(graph: Graph, spec: Spec, seed = 1): Record<string, RefTensor> {
  const rng = Random.derive(seed, graph.name);
  const feeds: Record<string, RefTensor> = {};
  for (const v of graph.inputs) {
    const shape = resolve(v);
    const n = shape.reduce((a, d) => a * d, 1);
    const draw = (f: (i: number) => number) => Array.from({ length: n }, (_x, i) => f(i));
    let data: number[];
    if (v.name.endsWith("/index")) data = draw(() => Math.floor(rng.uniform() * DIMS.rows));
    else if (v.name.endsWith("/weight")) data = draw(() => 1 / DIMS.len);
    else if (v.name.startsWith("noise/")) data = draw(() => Math.fround(rng.uniformIn(0.01, 0.99)));
    // A task's row weights: the first row's label missing (0), the others weighted in [0.5, 2].
    else if (v.name.startsWith("weight/")) data = draw((i) => (i === 0 ? 0 : Math.fround(rng.uniformIn(0.5, 2))));
    else if (v.name.startsWith("label/")) {
      const task = spec.tasks.find((t) => `label/${t.name}` === v.name)!;
      if (task.kind === "multiclass") {
        const picks = Array.from({ length: shape[0]! }, () => Math.floor(rng.uniform() * task.classes));
        data = draw((i) => (picks[Math.floor(i / task.classes)] === i % task.classes ? 1 : 0));
      } else if (task.kind === "binary") data = draw(() => (rng.uniform() < 0.5 ? 1 : 0));
      else data = draw(() => Math.fround(rng.normal()));
    } else data = draw(() => Math.fround(rng.normal(0, v.name.startsWith("emb/") ? 0.5 : 1)));
    feeds[v.name] = { dtype: v.dtype, shape, data };
  }
  return feeds;
}

/** The params' initial values under `seed`, as feeds (for the reference evaluator). */
export function paramFeeds(graph: Graph, seed: number, overrides: Record<string, number[]> = {}): Record<string, RefTensor> {
  const feeds: Record<string, RefTensor> = {};
  for (const [name, data] of initialValues(graph, seed)) {
    const p = graph.params.find((q) => q.value.name === name)!;
    feeds[name] = refTensor("float32", p.value.shape as number[], overrides[name] ?? data);
  }
  return feeds;
}
