// Pruning of an exported graph (issue 5): what the folded L0 gates close is removed, keeping every
// prediction equal.
//
// 1. Fold: a node of Expand, Concat, Split, Reshape, (Un)Squeeze, Gather, Mul or Identity whose
//    inputs are all known (params with their trained values, constants) becomes params holding its
//    values; so a cssm layer's `W ⊙ mask(z)` becomes one gated weight, with the closed cells' and
//    blocks' entries exactly 0.
// 2. Cut blocks: in `x W` with x = Concat(sources) and W known, a source whose rows of W are all 0
//    contributes nothing; it leaves the Concat and its rows leave W.
//    Likewise a + x ⊙ 0 (a closed term of an l0_average sum) becomes a.
// 3. Cut units (runtime/prune-units.ts): a layer's output unit that is the same for every example
//    (its column of the gated weight is 0 in every block: act(b_k)) leaves the layer, its value
//    going into the biases of the layers that read it; so do units nothing reads, and the columns
//    of a field that FSCM never lets a group read.
// 4. Sweep: nodes, params, constants and graph inputs that no output needs any more go (an
//    expert that only fed closed blocks, a field no group reads and its raw input column).

import type { Builder, Graph, Node, NodeOf, Value } from "../compiler/ir/graph.js";
import { isStatic, sizeOf } from "../compiler/ir/ops.js";
import type { TensorData } from "../compiler/ir/tensor.js";
import { knownValue, rebuild, type Known } from "./prune-rebuild.js";
import { pruneUnits, type UnitPruning } from "./prune-units.js";

/** What pruning removed. */
export interface PruneReport {
  /** Initializer numbers (weights, tables) before and after. */
  params: { before: number; after: number };
  nodes: { before: number; after: number };
  /** Sources cut because closed gates zeroed them: a layer's input block, or a term of a gated sum. */
  blocks: number;
  /** Output units (columns of a learned weight) removed from layers: constant for every example, or read by nothing. */
  units: number;
  /** Graph inputs nothing reads any more, removed from the model (in input order). */
  inputs: string[];
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

/** Gather along `axis` of `data` [shape] by `indices` (any shape): out = shape[:axis] + indices.shape + shape[axis+1:]. */
function gatherRows(data: Float32Array, shape: readonly number[], indices: BigInt64Array, axis: number): Float32Array {
  const outer = sizeOf(shape.slice(0, axis));
  const n = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Float32Array(outer * indices.length * inner);
  for (let o = 0; o < outer; o++) {
    indices.forEach((i, j) => {
      const at = Number(i < 0n ? i + BigInt(n) : i);
      out.set(data.subarray((o * n + at) * inner, (o * n + at + 1) * inner), (o * indices.length + j) * inner);
    });
  }
  return out;
}

/**
 * The values of a foldable node's outputs from its known inputs (float32, or the int64 indices of
 * a Gather), or undefined when it is not folded.
 */
function fold(node: Node, known: readonly Known[], indices: BigInt64Array | undefined): Float32Array[] | undefined {
  if (!node.outputs.every((o) => isStatic(o.shape))) return undefined;
  const out = node.outputs[0]!.shape as readonly number[];
  switch (node.op) {
    case "Identity":
    case "Reshape":
    case "Squeeze":
    case "Unsqueeze":
      return [known[0]!.data];
    case "Expand":
      return [broadcast(known[0]!.data, known[0]!.shape, out)];
    case "Mul": {
      const [a, b] = known.map((k) => broadcast(k.data, k.shape, out));
      return [a!.map((v, i) => Math.fround(v * b![i]!))];
    }
    case "Gather":
      return indices ? [gatherRows(known[0]!.data, known[0]!.shape, indices, node.attrs.axis)] : undefined;
    case "Split": {
      const { axis } = node.attrs;
      // A constant to fold has a static shape, so its sizes are too.
      const sizes = node.attrs.sizes as readonly number[];
      const shape = known[0]!.shape;
      const outer = sizeOf(shape.slice(0, axis));
      const row = sizeOf(shape.slice(axis));
      const inner = sizeOf(shape.slice(axis + 1));
      let from = 0;
      return sizes.map((size) => {
        const part = new Float32Array(outer * size * inner);
        for (let o = 0; o < outer; o++) part.set(known[0]!.data.subarray(o * row + from * inner, o * row + (from + size) * inner), o * size * inner);
        from += size;
        return part;
      });
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
      return [result];
    }
    default:
      return undefined;
  }
}

/** Steps 1 and 2: folds what is known and cuts the blocks and gated-sum terms closed gates zero. */
function cutBlocks(graph: Graph, values: Map<string, TensorData>): { graph: Graph; blocks: number } {
  const known = (v: Value, b: Builder) => knownValue(b.graph, values, v);
  const concats = new Map<string, NodeOf<"Concat">>();
  // Terms x ⊙ 0 of a gated sum (l0_average with a closed gate), by output name.
  const zeros = new Set<string>();
  let blocks = 0;
  const rewrite = (node: Node, b: Builder, get: (v: Value) => Value): Value[] | undefined => {
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
    // A Gather's indices are int64 constants, not float32 values.
    const indices = node.op === "Gather" ? b.graph.constants.find((c) => c.value === inputs[1])?.data : undefined;
    const foldable = node.op === "Gather" ? all[0] !== undefined && indices instanceof BigInt64Array : all.every((k) => k !== undefined);
    const folded = foldable ? fold(node, all as Known[], indices as BigInt64Array | undefined) : undefined;
    if (folded) {
      // What folds from constants alone stays a constant: only what holds trained values counts as a param.
      const fromParams = inputs.some((v) => b.graph.params.some((p) => p.value === v));
      return node.outputs.map((o, i) => {
        if (!fromParams) return b.constant(folded[i]!, "float32", o.shape, o.name);
        values.set(o.name, folded[i]!);
        return b.param(o.name, o.shape as readonly number[], { kind: "zeros" }, { group: "folded" });
      });
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
  };
  return { graph: rebuild(graph, values, { rewrite }), blocks };
}

/** Step 4: keeps only the nodes, params, constants and graph inputs the outputs need. */
function sweep(graph: Graph, values: Map<string, TensorData>): Graph {
  const live = new Set<Value>(graph.outputs);
  const needed = new Set<Node>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i]!;
    if (!n.outputs.some((o) => live.has(o))) continue;
    needed.add(n);
    for (const v of n.inputs) live.add(v);
  }
  return rebuild(graph, values, { keep: (n) => needed.has(n), keepInput: (v) => live.has(v) });
}

/**
 * Removes what the folded gates close; `values` (param values by name) is updated in place.
 * `constantColumns` tells which columns of a value (by name) were found constant for every example.
 */
export function pruneGraph(graph: Graph, values: Map<string, TensorData>): { graph: Graph; report: PruneReport; constantColumns: UnitPruning["constantColumns"] } {
  const cut = cutBlocks(graph, values);
  const narrowed = pruneUnits(cut.graph, values);
  const swept = sweep(narrowed.graph, values);
  const inputs = new Set(swept.inputs.map((v) => v.name));
  return {
    graph: swept,
    constantColumns: narrowed.constantColumns,
    report: {
      params: { before: numbersOf(graph), after: numbersOf(swept) },
      nodes: { before: graph.nodes.length, after: swept.nodes.length },
      blocks: cut.blocks,
      units: narrowed.units,
      inputs: graph.inputs.filter((v) => !inputs.has(v.name)).map((v) => v.name),
    },
  };
}
