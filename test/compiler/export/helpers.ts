// What the export tests share: feeding a hand-built graph its inputs and trained values, and
// comparing a pruned graph's outputs with the unpruned one's on the reference evaluator.

import { expect } from "vitest";
import type { Graph } from "../../../compiler/ir/graph.js";
import type { TensorData } from "../../../compiler/ir/tensor.js";
import { evaluate, refTensor, type RefTensor } from "../ir/reference.js";

/** The batch every test feeds. */
export const BATCH = 4;

/** Feeds: `inputs` by name, and every param of `graph` from `values`. */
export function feedsOf(graph: Graph, values: ReadonlyMap<string, TensorData>, inputs: Record<string, RefTensor>): Record<string, RefTensor> {
  const feeds: Record<string, RefTensor> = {};
  for (const v of graph.inputs) feeds[v.name] = inputs[v.name]!;
  for (const p of graph.params) feeds[p.value.name] = refTensor("float32", p.value.shape as number[], values.get(p.value.name)!);
  return feeds;
}

/** The outputs of `graph` (by name) on these inputs, with its params' values. */
export function outputsOf(graph: Graph, values: ReadonlyMap<string, TensorData>, inputs: Record<string, RefTensor>): Map<string, number[]> {
  const all = evaluate(graph, feedsOf(graph, values, inputs));
  return new Map(graph.outputs.map((o) => [o.name, all.get(o.name)!.data as number[]]));
}

/** The pruned graph's outputs equal the unpruned graph's (float32 rounding apart). */
export function expectSameOutputs(before: Graph, beforeValues: ReadonlyMap<string, TensorData>, after: Graph, afterValues: ReadonlyMap<string, TensorData>, inputs: Record<string, RefTensor>): void {
  const a = outputsOf(before, beforeValues, inputs);
  const b = outputsOf(after, afterValues, inputs);
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, x] of a) b.get(name)!.forEach((v, i) => expect(v).toBeCloseTo(x[i]!, 5));
}

/** A float32 [rows, cols] input of deterministic, varied values. */
export function matrix(rows: number, cols: number, seed: number): RefTensor {
  return { dtype: "float32", shape: [rows, cols], data: Array.from({ length: rows * cols }, (_v, i) => Math.fround(Math.sin(seed * 7.1 + i * 1.3) * 2)) };
}
