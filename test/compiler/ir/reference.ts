// A plain TypeScript reference evaluator of IR graphs, written for clarity, not speed: every op
// computed in float64 on flat row-major arrays. Tests compare onnxruntime's results against it;
// autodiff tests can use it for finite differences without ORT.

import { instantiate, type Graph, type Node } from "../../../compiler/ir/graph.js";
import { type DType, type Dim } from "../../../compiler/ir/ops.js";
import type { TensorData } from "../../../compiler/ir/tensor.js";
import { murmur3_32 } from "../../../runtime/data/vocab.js";

/** A tensor for the reference evaluator: numbers for numeric and bool (0/1) types, or strings. */
export interface RefTensor {
  dtype: DType;
  shape: number[];
  data: (number | string)[];
}

/** A RefTensor from typed-array contents. */
export function refTensor(dtype: DType, shape: readonly number[], data: TensorData | readonly (number | string)[]): RefTensor {
  return { dtype, shape: [...shape], data: Array.from(data as ArrayLike<number | bigint | string>, (v) => (typeof v === "bigint" ? Number(v) : v)) };
}

const size = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

function unravel(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = index % shape[i]!;
    index = Math.floor(index / shape[i]!);
  }
  return out;
}

function broadcastShape(shapes: readonly number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_v, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

/** Flat index into `shape` of the element a broadcast output index reads. */
function broadcastIndex(outIndex: readonly number[], shape: readonly number[]): number {
  const st = strides(shape);
  const off = outIndex.length - shape.length;
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat += (shape[i] === 1 ? 0 : outIndex[i + off]!) * st[i]!;
  return flat;
}

function elementwise(inputs: RefTensor[], dtype: DType, f: (...xs: number[]) => number): RefTensor {
  const shape = broadcastShape(inputs.map((t) => t.shape));
  const data = Array.from({ length: size(shape) }, (_v, i) => {
    const idx = unravel(i, shape);
    return f(...inputs.map((t) => t.data[broadcastIndex(idx, t.shape)] as number));
  });
  return { dtype, shape, data };
}

/** erf by its Maclaurin series / continued fraction, accurate to ~1e-15 (Math has no erf). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf x = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc x = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz-free backward evaluation)
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

const round32 = (dtype: DType) => (v: number) => (dtype === "float32" ? Math.fround(v) : v);

function reduce(x: RefTensor, axes: readonly number[], keepdims: boolean, init: number, step: (acc: number, v: number) => number, finish: (acc: number, n: number) => number): RefTensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const acc = new Array<number>(size(kept)).fill(init);
  const n = size(axes.map((a) => x.shape[a]!));
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, k) => (axes.includes(k) ? 0 : v));
    const o = idx.reduce((f, v, k) => f * kept[k]! + v, 0);
    acc[o] = step(acc[o]!, x.data[i] as number);
  }
  const shape = keepdims ? kept : x.shape.filter((_d, i) => !axes.includes(i));
  return { dtype: x.dtype, shape, data: acc.map((a) => finish(a, n)) };
}

function softmax(x: RefTensor, axis: number, log: boolean): RefTensor {
  const out = [...x.data] as number[];
  const st = strides(x.shape)[axis]!;
  const dim = x.shape[axis]!;
  for (let i = 0; i < x.data.length; i++) {
    if (unravel(i, x.shape)[axis] !== 0) continue;
    const row = Array.from({ length: dim }, (_v, j) => x.data[i + j * st] as number);
    const m = Math.max(...row);
    const z = row.reduce((a, v) => a + Math.exp(v - m), 0);
    row.forEach((v, j) => (out[i + j * st] = log ? v - m - Math.log(z) : Math.exp(v - m) / z));
  }
  return { ...x, data: out };
}

function matmul(a: RefTensor, b: RefTensor): RefTensor {
  const as = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const [m, k, n] = [as[as.length - 2]!, as[as.length - 1]!, bs[bs.length - 1]!];
  const batch = broadcastShape([as.slice(0, -2), bs.slice(0, -2)]);
  const data: number[] = [];
  for (let bi = 0; bi < size(batch); bi++) {
    const bidx = unravel(bi, batch);
    const aBase = broadcastIndex(bidx, as.slice(0, -2)) * m * k;
    const bBase = broadcastIndex(bidx, bs.slice(0, -2)) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += (a.data[aBase + i * k + t] as number) * (b.data[bBase + t * n + j] as number);
        data.push(s);
      }
  }
  const shape = [...batch, ...(a.shape.length > 1 ? [m] : []), ...(b.shape.length > 1 ? [n] : [])];
  return { dtype: a.dtype, shape, data };
}

function gatherIndices(x: RefTensor, outShape: number[], pick: (outIdx: number[]) => number[]): RefTensor {
  const st = strides(x.shape);
  const data = Array.from({ length: size(outShape) }, (_v, i) => x.data[pick(unravel(i, outShape)).reduce((f, v, k) => f + v * st[k]!, 0)]!);
  return { dtype: x.dtype, shape: outShape, data };
}

function resolve(shape: readonly Dim[], like: RefTensor[], symbolSizes: Map<string, number>): number[] {
  return shape.map((d) => (typeof d === "number" ? d : symbolSizes.get(d)!));
}

function cast(v: number | string, from: DType, to: DType): number | string {
  if (to === "string") return String(v);
  const n = typeof v === "string" ? Number(v) : v;
  if (to === "bool") return n !== 0 ? 1 : 0;
  if (to === "int64") return Math.trunc(n);
  if (to === "float32") return Math.fround(n);
  return from === "string" ? n : n;
}

function apply(graph: Graph, node: Node, ins: RefTensor[], symbols: Map<string, number>): RefTensor[] {
  const x = ins[0]!;
  const r = round32(node.outputs[0]!.dtype);
  const un = (f: (v: number) => number) => [elementwise([x], x.dtype, (v) => r(f(v)))];
  const bin = (f: (a: number, b: number) => number, dtype = x.dtype) => [elementwise(ins, dtype, (a, b) => (dtype === "bool" ? f(a, b) : r(f(a, b))))];
  switch (node.op) {
    case "Neg": return un((v) => -v);
    case "Exp": return un(Math.exp);
    case "Log": return un(Math.log);
    case "Sqrt": return un(Math.sqrt);
    case "Abs": return un(Math.abs);
    case "Relu": return un((v) => Math.max(v, 0));
    case "LeakyRelu": { const a = Math.fround(node.attrs.alpha); return un((v) => (v >= 0 ? v : a * v)); }
    case "Elu": { const a = Math.fround(node.attrs.alpha); return un((v) => (v >= 0 ? v : a * (Math.exp(v) - 1))); }
    case "Sigmoid": return un((v) => 1 / (1 + Math.exp(-v)));
    case "Tanh": return un(Math.tanh);
    case "Erf": return un(erf);
    case "Pow": return un((v) => Math.pow(v, node.attrs.exponent));
    case "Clip": {
      const lo = node.attrs.min ?? -Infinity;
      const hi = node.attrs.max ?? Infinity;
      return un((v) => Math.min(Math.max(v, lo), hi));
    }
    case "Identity": return [{ ...x }];
    case "Cast": return [{ dtype: node.attrs.to, shape: x.shape, data: x.data.map((v) => cast(v, x.dtype, node.attrs.to)) }];
    case "Add": return bin((a, b) => a + b);
    case "Sub": return bin((a, b) => a - b);
    case "Mul": return bin((a, b) => a * b);
    case "Div": return bin((a, b) => (x.dtype === "int64" ? Math.trunc(a / b) : a / b));
    case "Max": return bin(Math.max);
    case "Min": return bin(Math.min);
    case "Greater": return bin((a, b) => (a > b ? 1 : 0), "bool");
    case "Less": return bin((a, b) => (a < b ? 1 : 0), "bool");
    case "Equal": return bin((a, b) => (a === b ? 1 : 0), "bool");
    case "Where": return [elementwise(ins, ins[1]!.dtype, (c, a, b) => (c ? a! : b!))];
    case "MatMul": { const m = matmul(ins[0]!, ins[1]!); return [{ ...m, data: m.data.map((v) => r(v as number)) }]; }
    case "ReduceSum": return [reduce(x, node.attrs.axes, node.attrs.keepdims, 0, (a, v) => a + v, (a) => r(a))];
    case "ReduceMean": return [reduce(x, node.attrs.axes, node.attrs.keepdims, 0, (a, v) => a + v, (a, n) => r(a / n))];
    case "ReduceMax": return [reduce(x, node.attrs.axes, node.attrs.keepdims, -Infinity, Math.max, (a) => a)];
    case "Softmax": return [softmax(x, node.attrs.axis, false)];
    case "LogSoftmax": return [softmax(x, node.attrs.axis, true)];
    case "Concat": {
      const axis = node.attrs.axis;
      const shape = x.shape.map((d, i) => (i === axis ? ins.reduce((a, t) => a + t.shape[axis]!, 0) : d));
      const data = Array.from({ length: size(shape) }, (_v, i) => {
        const idx = unravel(i, shape);
        let k = idx[axis]!;
        let t = 0;
        while (k >= ins[t]!.shape[axis]!) k -= ins[t++]!.shape[axis]!;
        const src = ins[t]!;
        idx[axis] = k;
        return src.data[idx.reduce((f, v, j) => f * src.shape[j]! + v, 0)]!;
      });
      return [{ dtype: x.dtype, shape, data }];
    }
    case "Slice": {
      const { axes, starts, ends, steps } = node.attrs;
      const shape = x.shape.map((d, i) => {
        const k = axes.indexOf(i);
        return k < 0 ? d : Math.ceil((ends[k]! - starts[k]!) / steps[k]!);
      });
      return [gatherIndices(x, shape, (idx) => idx.map((v, i) => { const k = axes.indexOf(i); return k < 0 ? v : starts[k]! + v * steps[k]!; }))];
    }
    case "Split": {
      let offset = 0;
      return (node.attrs.sizes as number[]).map((s) => {
        const shape = x.shape.map((d, i) => (i === node.attrs.axis ? s : d));
        const start = offset;
        offset += s;
        return gatherIndices(x, shape, (idx) => idx.map((v, i) => (i === node.attrs.axis ? v + start : v)));
      });
    }
    case "Reshape": return [{ ...x, shape: resolve(node.attrs.shape, ins, symbols) }];
    case "Transpose": {
      const perm = node.attrs.perm;
      const shape = perm.map((p) => x.shape[p]!);
      return [gatherIndices(x, shape, (idx) => { const src = new Array<number>(idx.length); perm.forEach((p, i) => (src[p] = idx[i]!)); return src; })];
    }
    case "Unsqueeze":
    case "Squeeze":
      return [{ ...x, shape: node.outputs[0]!.shape.map((d) => (typeof d === "number" ? d : symbols.get(d)!)) }];
    case "Expand": {
      const shape = broadcastShape([x.shape, resolve(node.attrs.shape, ins, symbols)]);
      return [gatherIndices(x, shape, (idx) => { const off = idx.length - x.shape.length; return x.shape.map((d, i) => (d === 1 ? 0 : idx[i + off]!)); })];
    }
    case "Gather": {
      const [data, indices] = ins as [RefTensor, RefTensor];
      const axis = node.attrs.axis;
      const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
      return [gatherIndices(data, shape, (idx) => {
        const ii = idx.slice(axis, axis + indices.shape.length);
        let k = indices.data[ii.reduce((f, v, j) => f * indices.shape[j]! + v, 0)] as number;
        if (k < 0) k += data.shape[axis]!;
        return [...idx.slice(0, axis), k, ...idx.slice(axis + indices.shape.length)];
      })];
    }
    case "ScatterAdd": {
      const [data, indices, updates] = ins as [RefTensor, RefTensor, RefTensor];
      const out = { ...data, data: [...data.data] };
      const row = size(data.shape.slice(1));
      indices.data.forEach((k, p) => {
        for (let j = 0; j < row; j++) out.data[(k as number) * row + j] = r((out.data[(k as number) * row + j] as number) + (updates.data[p * row + j] as number));
      });
      return [out];
    }
    case "LabelEncoder": {
      const ids = new Map(node.attrs.keys.map((k, i) => [k, node.attrs.values[i]!]));
      return [{ dtype: "int64", shape: x.shape, data: x.data.map((v) => ids.get(v as string) ?? node.attrs.defaultValue) }];
    }
    case "StringHash":
      return [{ dtype: "int64", shape: x.shape, data: x.data.map((v) => murmur3_32(v as string) % node.attrs.buckets) }];
    case "Call": {
      const fn = graph.functions.find((f) => f.name === node.attrs.function)!;
      const body = instantiate(fn, node.inputs);
      const feeds = Object.fromEntries(body.inputs.map((v, i) => [v.name, ins[i]!]));
      const values = evaluate(body, feeds);
      return body.outputs.map((o) => values.get(o.name)!);
    }
  }
}

/** Every value of a graph for these input (and param) tensors, by name. */
export function evaluate(graph: Graph, feeds: Record<string, RefTensor>): Map<string, RefTensor> {
  const values = new Map<string, RefTensor>();
  const symbols = new Map<string, number>();
  for (const v of [...graph.inputs, ...graph.params.map((p) => p.value)]) {
    const t = feeds[v.name];
    if (!t) throw new Error(`evaluate: no value for ${v.name}`);
    v.shape.forEach((d, i) => typeof d === "string" && symbols.set(d, t.shape[i]!));
    values.set(v.name, t);
  }
  for (const c of graph.constants) values.set(c.value.name, refTensor(c.value.dtype, c.value.shape as number[], c.data));
  for (const node of graph.nodes) {
    const outs = apply(graph, node, node.inputs.map((v) => values.get(v.name)!), symbols);
    node.outputs.forEach((o, i) => values.set(o.name, { ...outs[i]!, dtype: o.dtype }));
  }
  return values;
}
