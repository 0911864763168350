// Pruning of an exported graph (issue 5): what the folded L0 gates close is removed, keeping every
// prediction equal.
//
// 1. Fold: a node of Expand, Concat, Mul or Identity whose inputs are all known (params with their
//    trained values, constants) becomes a param holding its value; so a cssm layer's
//    `W ⊙ mask(z)` becomes one gated weight, with the closed cells' and blocks' entries exactly 0.
// 2. Cut blocks: in `x W` with x = Concat(sources) and W known, a source whose rows of W are all 0
//    contributes nothing; it leaves the Concat and its rows leave W.
//    Likewise a + x ⊙ 0 (a closed term of an l0_average sum) becomes a.
// 3. Sweep: nodes, params and constants that no output needs any more go (an expert that only fed
//    closed blocks, a field-selected input nothing reads).

import { Builder, type Graph, type Node, type NodeOf, type Value } from "../compiler/ir/graph.js";
import { isStatic, sizeOf } from "../compiler/ir/ops.js";
import type { PrimitiveOpKind } from "../compiler/ir/shapes.js";
import type { TensorData } from "../compiler/ir/tensor.js";

/** What pruning removed. */
export interface PruneReport {
  /** Initializer numbers (weights, tables) before and after. */
  params: { before: number; after: number };
  nodes: { before: number; after: number };
  /** Sources cut because closed gates zeroed them: a layer's input block, or a term of a gated sum. */
  blocks: number;
}

const numbersOf = (g: Graph) => g.params.reduce((a, p) => a + sizeOf(p.value.shape as readonly number[]), 0);

/** Row-major strides of a static shape. */
function strides(shape: readonly number[]): number[] {
  const s = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** `data` of `shape` broadcast (numpy rules) to `target`. */
function broadcast(data: Float32Array, shape: readonly number[], target: readonly number[]): Float32Array {
  const out = new Float32Array(sizeOf(target));
  const pad = target.length - shape.length;
  const from = strides(shape);
  const to = strides(target);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let d = 0; d < target.length; d++) {
      const k = Math.floor(i / to[d]!) % target[d]!;
      if (d >= pad && shape[d - pad] !== 1) src += k * from[d - pad]!;
    }
    out[i] = data[src]!;
  }
  return out;
}

/** The value of a foldable node from known float32 inputs, or undefined when it is not folded. */
function fold(node: Node, known: readonly { data: Float32Array; shape: readonly number[] }[]): Float32Array | undefined {
  const out = node.outputs[0]!.shape;
  if (node.outputs.length !== 1 || !isStatic(out)) return undefined;
  switch (node.op) {
    case "Identity":
      return known[0]!.data;
    case "Expand":
      return broadcast(known[0]!.data, known[0]!.shape, out);
    case "Mul": {
      const [a, b] = known.map((k) => broadcast(k.data, k.shape, out));
      return a!.map((v, i) => Math.fround(v * b![i]!));
    }
    case "Concat": {
      const axis = node.attrs.axis;
      const result = new Float32Array(sizeOf(out));
      const outer = sizeOf(out.slice(0, axis));
      const rowOut = sizeOf(out.slice(axis));
      let offset = 0;
      for (const k of known) {
        const row = sizeOf(k.shape.slice(axis));
        for (let o = 0; o < outer; o++) result.set(k.data.subarray(o * row, (o + 1) * row), o * rowOut + offset);
        offset += row;
      }
      return result;
    }
    default:
      return undefined;
  }
}

/** Rebuilds `graph` node by node; `rewrite` may replace a node (returning its outputs) or return undefined to copy it. Unused params and constants are dropped. */
function rebuild(
  graph: Graph,
  values: Map<string, TensorData>,
  rewrite: (node: Node, b: Builder, get: (v: Value) => Value) => Value[] | undefined,
  keep: (node: Node) => boolean = () => true,
): Graph {
  const b = new Builder(graph.name, graph.doc);
  const mapped = new Map<Value, Value>();
  for (const v of graph.inputs) mapped.set(v, b.input(v.name, v.dtype, v.shape));
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
    if (!keep(node)) continue;
    b.at(node.doc, () => {
      const outs = rewrite(node, b, get) ?? b.node(node.op as PrimitiveOpKind, node.inputs.map(get), node.attrs as never, node.outputs.map((o) => o.name));
      node.outputs.forEach((o, i) => mapped.set(o, outs[i]!));
    });
  }
  for (const v of graph.outputs) b.output(get(v));
  const out = b.finish();
  for (const name of [...values.keys()]) if (!out.params.some((p) => p.value.name === name)) values.delete(name);
  return out;
}

/** Removes what the folded gates close; `values` (param values by name) is updated in place. */
export function pruneGraph(graph: Graph, values: Map<string, TensorData>): { graph: Graph; report: PruneReport } {
  const known = (v: Value, b: Builder): { data: Float32Array; shape: readonly number[] } | undefined => {
    if (v.dtype !== "float32" || !isStatic(v.shape)) return undefined;
    const fromParam = values.get(v.name);
    if (fromParam && b.graph.params.some((p) => p.value === v)) return { data: fromParam as Float32Array, shape: v.shape };
    const c = b.graph.constants.find((k) => k.value === v);
    return c ? { data: c.data as Float32Array, shape: v.shape } : undefined;
  };
  const concats = new Map<string, NodeOf<"Concat">>();
  // Terms x ⊙ 0 of a gated sum (l0_average with a closed gate), by output name.
  const zeros = new Set<string>();
  let blocks = 0;
  const rewritten = rebuild(graph, values, (node, b, get) => {
    const inputs = node.inputs.map(get);
    if (node.op === "Concat") concats.set(node.outputs[0]!.name, node as NodeOf<"Concat">);
    const all = inputs.map((v) => known(v, b));
    const sameShape = (v: Value) => v.shape.join(",") === node.outputs[0]!.shape.join(",");
    if (node.op === "Mul" && all.some((k) => k !== undefined && k.data.every((x) => x === 0)) && all.some((k) => k === undefined)) {
      zeros.add(node.outputs[0]!.name);
    }
    // a + x ⊙ 0 = a: the closed term, and whatever only fed it, goes.
    const zeroAt = node.op === "Add" ? node.inputs.findIndex((v) => zeros.has(v.name)) : -1;
    if (zeroAt >= 0 && sameShape(node.inputs[1 - zeroAt]!)) {
      blocks++;
      return [b.identity(inputs[1 - zeroAt]!, node.outputs[0]!.name)];
    }
    if (all.every((k) => k !== undefined)) {
      const data = fold(node, all as { data: Float32Array; shape: readonly number[] }[]);
      if (data) {
        const name = node.outputs[0]!.name;
        values.set(name, data);
        return [b.param(name, node.outputs[0]!.shape as readonly number[], { kind: "zeros" }, { group: "folded" })];
      }
    }
    // x W with x = Concat(sources, axis 1) of 2-d values and W [in, out] known: cut closed blocks.
    const w = inputs[1] && known(inputs[1], b);
    const concat = node.op === "MatMul" ? concats.get(node.inputs[0]!.name) : undefined;
    if (!w || !concat || w.shape.length !== 2 || concat.attrs.axis !== 1 || concat.inputs.some((s) => s.shape.length !== 2)) return undefined;
    const [rows, cols] = w.shape as [number, number];
    const kept: { source: Value; from: number; width: number }[] = [];
    let from = 0;
    for (const s of concat.inputs) {
      const width = s.shape[1] as number;
      const block = w.data.subarray(from * cols, (from + width) * cols);
      if (block.some((x) => x !== 0)) kept.push({ source: s, from, width });
      from += width;
    }
    if (from !== rows || kept.length === concat.inputs.length || kept.length === 0) return undefined;
    blocks += concat.inputs.length - kept.length;
    const name = node.outputs[0]!.name;
    const x = kept.length === 1 ? get(kept[0]!.source) : b.concat(kept.map((k) => get(k.source)), 1, `${name}/kept_inputs`);
    const width = kept.reduce((a, k) => a + k.width, 0);
    const data = new Float32Array(width * cols);
    let at = 0;
    for (const k of kept) {
      data.set(w.data.subarray(k.from * cols, (k.from + k.width) * cols), at * cols);
      at += k.width;
    }
    values.set(`${name}/kept_weight`, data);
    return [b.matmul(x, b.param(`${name}/kept_weight`, [width, cols], { kind: "zeros" }, { group: "folded" }), name)];
  });

  // Sweep: keep the nodes the outputs need.
  const live = new Set<Value>(rewritten.outputs);
  const needed = new Set<Node>();
  for (let i = rewritten.nodes.length - 1; i >= 0; i--) {
    const n = rewritten.nodes[i]!;
    if (!n.outputs.some((o) => live.has(o))) continue;
    needed.add(n);
    for (const v of n.inputs) live.add(v);
  }
  const swept = rebuild(rewritten, values, () => undefined, (n) => needed.has(n));
  return {
    graph: swept,
    report: { params: { before: numbersOf(graph), after: numbersOf(swept) }, nodes: { before: graph.nodes.length, after: swept.nodes.length }, blocks },
  };
}
