// What the pruning passes (runtime/prune.ts, runtime/prune-units.ts) share: rebuilding a graph
// node by node, and reading the values of what is known before any input arrives.

import { Builder, type Graph, type Node, type Value } from "../compiler/ir/graph.js";
import { isStatic } from "../compiler/ir/ops.js";
import type { PrimitiveOpKind } from "../compiler/ir/shapes.js";
import type { TensorData } from "../compiler/ir/tensor.js";

/** A float32 tensor known at export time: a param with its trained value, or a constant. */
export interface Known {
  data: Float32Array;
  shape: readonly number[];
}

/** The value of `v` when it is a float32 param of `graph` (values in `values`, by name) or a float32 constant; else undefined. */
export function knownValue(graph: Graph, values: ReadonlyMap<string, TensorData>, v: Value): Known | undefined {
  if (v.dtype !== "float32" || !isStatic(v.shape)) return undefined;
  const fromParam = values.get(v.name);
  if (fromParam && graph.params.some((p) => p.value === v)) return { data: fromParam as Float32Array, shape: v.shape };
  const c = graph.constants.find((k) => k.value === v);
  return c ? { data: c.data as Float32Array, shape: v.shape } : undefined;
}

/** How `rebuild` treats each node, and which graph inputs it keeps. */
export interface RebuildOptions {
  /** Replaces a node (returning the values of its outputs), or returns undefined to copy it. */
  rewrite?: (node: Node, b: Builder, get: (v: Value) => Value) => Value[] | undefined;
  /** Nodes to keep (default all). */
  keep?: (node: Node) => boolean;
  /** Graph inputs to keep (default all). */
  keepInput?: (v: Value) => boolean;
}

/**
 * Rebuilds `graph` node by node. Params and constants are declared on first use, so unused ones
 * are dropped, and their entries leave `values` (param values by name).
 */
export function rebuild(graph: Graph, values: Map<string, TensorData>, o: RebuildOptions = {}): Graph {
  const b = new Builder(graph.name, graph.doc);
  const mapped = new Map<Value, Value>();
  for (const v of graph.inputs) if (o.keepInput?.(v) ?? true) mapped.set(v, b.input(v.name, v.dtype, v.shape));
  const params = new Map(graph.params.map((p) => [p.value, p]));
  const constants = new Map(graph.constants.map((c) => [c.value, c]));
  const get = (v: Value): Value => {
    const m = mapped.get(v);
    if (m) return m;
    const p = params.get(v);
    const c = constants.get(v)!;
    const out = p
      ? b.at(p.doc, () => b.param(v.name, p.value.shape as readonly number[], p.init, { group: p.group }))
      : b.constant(c.data, c.value.dtype, c.value.shape, c.value.name.split("#")[1]);
    mapped.set(v, out);
    return out;
  };
  for (const node of graph.nodes) {
    if (o.keep && !o.keep(node)) continue;
    b.at(node.doc, () => {
      const outs = o.rewrite?.(node, b, get) ?? b.node(node.op as PrimitiveOpKind, node.inputs.map(get), node.attrs as never, node.outputs.map((v) => v.name));
      node.outputs.forEach((v, i) => mapped.set(v, outs[i]!));
    });
  }
  for (const v of graph.outputs) b.output(get(v));
  const out = b.finish();
  const kept = new Set(out.params.map((p) => p.value.name));
  for (const name of [...values.keys()]) if (!kept.has(name)) values.delete(name);
  return out;
}

/** `base`, or `base_1`, `base_2`, ... : the first name not yet defined in `b`'s graph. */
export function freshName(b: Builder, base: string): string {
  let name = base;
  for (let i = 1; b.lookup(name); i++) name = `${base}_${i}`;
  return name;
}
