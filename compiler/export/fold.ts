// Folding a node whose inputs are all known before any input arrives (trained params, constants)
// into the values of its outputs: Expand, Concat, Split, Reshape, (Un)Squeeze, Gather, Mul,
// ReduceSum and Identity, the ops between a layer's weight and its folded gates (`W ⊙ mask(z)`). Products are
// rounded to float32 as onnxruntime computes them.

import type { Node } from "../ir/graph.js";
import { isStatic, sizeOf } from "../ir/ops.js";
import type { Known } from "./known.js";

/** Row-major strides of a static shape. */
function strides(shape: readonly number[]): number[] {
  const s = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** `data` of `shape` broadcast (numpy rules) to `target`: a run of the last axis at a time, copied or filled. */
export function broadcast(data: Float32Array, shape: readonly number[], target: readonly number[]): Float32Array {
  const out = new Float32Array(sizeOf(target));
  if (out.length === 0) return out;
  const rank = target.length;
  const pad = rank - shape.length;
  const from = strides(shape);
  // The source step along each target axis: 0 where the source is broadcast along it.
  const step = target.map((_d, k) => (k < pad || shape[k - pad] === 1 ? 0 : from[k - pad]!));
  const inner = rank === 0 ? 1 : target[rank - 1]!;
  const innerStep = rank === 0 ? 0 : step[rank - 1]!;
  const at = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o += inner) {
    if (innerStep === 1) out.set(data.subarray(src, src + inner), o);
    else if (innerStep === 0) out.fill(data[src]!, o, o + inner);
    else for (let j = 0; j < inner; j++) out[o + j] = data[src + j * innerStep]!;
    // The next run: count up the outer axes, last first.
    for (let d = rank - 2; d >= 0; d--) {
      src += step[d]!;
      if (++at[d]! < target[d]!) break;
      src -= step[d]! * target[d]!;
      at[d] = 0;
    }
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
export function foldNode(node: Node, known: readonly Known[], indices: BigInt64Array | undefined): Float32Array[] | undefined {
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
      // An operand already of the output's shape is read as it is; a Float32Array rounds each product.
      const [a, b] = known.map((k) => (k.shape.join() === out.join() ? k.data : broadcast(k.data, k.shape, out)));
      const product = new Float32Array(a!.length);
      for (let i = 0; i < product.length; i++) product[i] = a![i]! * b![i]!;
      return [product];
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
    case "ReduceSum": {
      // Summed in float64, rounded once: onnxruntime may round along the way, so this is exact for
      // what it folds here, the 0/1 zero patterns of a training graph's weights (closed-weights.ts),
      // whose sums are 0 exactly where every term is.
      const shape = known[0]!.shape;
      const axes = new Set((node.attrs.axes as readonly number[]).map((a) => (a < 0 ? a + shape.length : a)));
      const kept = strides(shape.map((d, i) => (axes.has(i) ? 1 : d)));
      // The output position's step along each input axis: 0 along a summed one.
      const step = shape.map((_d, k) => (axes.has(k) ? 0 : kept[k]!));
      const sums = new Float64Array(sizeOf(out));
      const data = known[0]!.data;
      const at = new Array<number>(shape.length).fill(0);
      let to = 0;
      for (let i = 0; i < data.length; i++) {
        sums[to]! += data[i]!;
        // The next input position: count up the axes, last first.
        for (let d = shape.length - 1; d >= 0; d--) {
          to += step[d]!;
          if (++at[d]! < shape[d]!) break;
          to -= step[d]! * shape[d]!;
          at[d] = 0;
        }
      }
      return [Float32Array.from(sums)];
    }
    default:
      return undefined;
  }
}
