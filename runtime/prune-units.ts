// Unit-level pruning (issue 5): removes the columns of [batch, n] values that no prediction depends
// on, and the units of layers that are the same for every example.
//
// In CSSM (DESIGN §3) a closed cell zeroes output column k of one block W_ij. When column k of a
// layer's folded gated weight is 0 in every block, unit k of that layer is act(b_k) for every
// example: it leaves the layer (W's column k and b_k), and each layer reading it folds the constant
// into its bias:
//   x W' + b'  with  x ⊆ columns read,  W' = W without row k,  b' = b + act(b_k) W[k, :].
// A unit nothing reads (its outgoing rows are 0 in every reader) leaves the same way. And FSCM:
// a categorical field's embedding is always one of its table's rows, so w = relu(tanh(g · e + b)) can be
// checked on every row; when it is 0 on all of them, the group's columns of that field are 0 for
// every example and leave the group's input (and the field, once no group reads it).
//
// Three passes over the graph that runtime/prune.ts has folded:
// 1. Facts, forward: each column of each float32 [batch, n] value is unknown, or takes one of a
//    few row vectors together with other columns (a segment: an embedding table's rows; one row:
//    constants), followed through lookups, elementwise ops, Concat, Slice and matmuls by known W.
// 2. Need, backward: which columns of each value some output depends on. A matmul by known W reads
//    column r of its input only where row r of W meets a needed output column, and not at all
//    when the column is a constant c_r whose contribution c_r W[r, :] is 0 or can go into the
//    bias added right after.
// 3. Rewrite, forward: a value keeps only its needed columns where its producer can drop the rest
//    (a matmul by known W drops W's columns; elementwise ops and Concat follow their inputs; a
//    Slice is re-indexed); any other node is copied whole and gets its inputs whole. A pattern
//    not recognized here is kept as it is, so predictions do not change.
//
// Exactness: x · 0 is taken as 0, true for the finite values an exported model computes (numeric
// inputs are clamped, tables and weights are finite). Constants are computed in float64 and rounded
// to float32 after each op, so a folded bias may differ from onnxruntime's own float32 arithmetic in
// its last bits; a sum that rounds to exactly 0 on one side and to ±1e-45 on the other would leave a
// w of that size, which moves no score measurably.

import type { Builder, Graph, Node, Value } from "../compiler/ir/graph.js";
import { invariant } from "../base/source/diagnostic.js";
import type { PrimitiveOpKind } from "../compiler/ir/shapes.js";
import type { TensorData } from "../compiler/ir/tensor.js";
import { freshName, knownValue, rebuild, type Known } from "./prune-rebuild.js";

/** The most rows a segment may hold (an embedding table's vocabulary); a longer one is forgotten. */
export const MAX_SEGMENT_ROWS = 4096;

/** Columns `cols` of a value take, for every example, the values of one of `rows` (one row: constants). */
interface Segment {
  cols: number[];
  /** rows[t][i]: the value of column cols[i] in row t. */
  rows: number[][];
}

/** What is known of the columns of one [batch, n] value. */
interface Facts {
  segments: Segment[];
  /** Per column: the index of its segment, or -1 when unknown. */
  seg: Int32Array;
  /** Per column: its position in its segment. */
  pos: Int32Array;
}

type Binary = "Add" | "Sub" | "Mul" | "Div";
const BINARY: Record<Binary, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

/** How a node treats the columns of its [batch, n] input(s). */
type Role =
  /** x W, W known [n, m]: output column k mixes the input columns r with W[r, k] ≠ 0. */
  | { kind: "matmul"; x: Value; w: Known; weight: Value }
  /** f(x) elementwise (f undefined when its value is not computed here, as for Erf). */
  | { kind: "unary"; x: Value; f?: (v: number) => number }
  /** x op k (or k op x when `at` is 0), k known: one number, or one per column. */
  | { kind: "affine"; op: Binary; x: Value; k: Known; operand: Value; at: 0 | 1 }
  /** a op b of two [batch, n] values. */
  | { kind: "zip"; op: Binary; a: Value; b: Value }
  /** Concat along axis 1. */
  | { kind: "concat"; parts: readonly Value[] }
  /** Columns start..start+n of x. */
  | { kind: "slice"; x: Value; start: number }
  /** Rows of a known table picked by 1-d indices (Gather axis 0): an embedding lookup. */
  | { kind: "rows"; table: Known }
  | { kind: "opaque" };

const OPAQUE: Role = { kind: "opaque" };

/** n of a float32 [batch, n] value, else undefined. */
function widthOf(v: Value): number | undefined {
  const n = v.shape[1];
  return v.dtype === "float32" && v.shape.length === 2 && typeof n === "number" ? n : undefined;
}

/** The elementwise function of a one-input op that keeps each column in place, {} when it is one but not computed here; undefined for other ops. */
function elementwise(node: Node): { f?: (v: number) => number } | undefined {
  switch (node.op) {
    case "Relu":
      return { f: (v) => (v > 0 ? v : 0) };
    case "LeakyRelu": {
      const a = node.attrs.alpha;
      return { f: (v) => (v >= 0 ? v : a * v) };
    }
    case "Elu": {
      const a = node.attrs.alpha;
      return { f: (v) => (v >= 0 ? v : a * (Math.exp(v) - 1)) };
    }
    case "Tanh":
      return { f: Math.tanh };
    case "Sigmoid":
      return { f: (v) => 1 / (1 + Math.exp(-v)) };
    case "Identity":
      return { f: (v) => v };
    case "Neg":
      return { f: (v) => -v };
    case "Abs":
      return { f: Math.abs };
    case "Exp":
      return { f: Math.exp };
    case "Clip": {
      const lo = node.attrs.min ?? -Infinity;
      const hi = node.attrs.max ?? Infinity;
      return { f: (v) => Math.min(hi, Math.max(lo, v)) };
    }
    case "Erf":
      return {};
    default:
      return undefined;
  }
}

/** The role of a node, given what is known before any input arrives. */
function roleOf(node: Node, known: (v: Value) => Known | undefined): Role {
  const out = node.outputs[0]!;
  const n = widthOf(out);
  if (node.outputs.length !== 1 || n === undefined) return OPAQUE;
  const sameShape = (v: Value) => widthOf(v) === n && v.shape[0] === out.shape[0];
  switch (node.op) {
    case "MatMul": {
      const [x, weight] = node.inputs as [Value, Value];
      const w = known(weight);
      return w && w.shape.length === 2 && widthOf(x) === w.shape[0] && x.shape[0] === out.shape[0] ? { kind: "matmul", x, w, weight } : OPAQUE;
    }
    case "Add":
    case "Sub":
    case "Mul":
    case "Div": {
      const [a, b] = node.inputs as [Value, Value];
      const [ka, kb] = [known(a), known(b)];
      if (ka && kb) return OPAQUE;
      const k = ka ?? kb;
      if (!k) return sameShape(a) && sameShape(b) ? { kind: "zip", op: node.op, a, b } : OPAQUE;
      const x = ka ? b : a;
      const perColumn = k.data.length === n && (k.shape.length === 1 || (k.shape.length === 2 && k.shape[0] === 1));
      return sameShape(x) && (k.data.length === 1 || perColumn) ? { kind: "affine", op: node.op, x, k, operand: ka ? a : b, at: ka ? 0 : 1 } : OPAQUE;
    }
    case "Concat":
      return node.attrs.axis === 1 && node.inputs.every((v) => widthOf(v) !== undefined && v.shape[0] === out.shape[0]) ? { kind: "concat", parts: node.inputs } : OPAQUE;
    case "Slice": {
      const x = node.inputs[0]!;
      const a = node.attrs;
      return widthOf(x) !== undefined && x.shape[0] === out.shape[0] && a.axes.length === 1 && a.axes[0] === 1 && a.steps[0] === 1 ? { kind: "slice", x, start: a.starts[0]! } : OPAQUE;
    }
    case "Gather": {
      const table = known(node.inputs[0]!);
      return node.attrs.axis === 0 && table?.shape.length === 2 && node.inputs[1]!.shape.length === 1 ? { kind: "rows", table } : OPAQUE;
    }
    default: {
      const e = elementwise(node);
      return e && node.inputs.length === 1 && sameShape(node.inputs[0]!) ? { kind: "unary", x: node.inputs[0]!, ...e } : OPAQUE;
    }
  }
}

/** Facts of an n-column value from segments: columns equal in every row become constants; oversized segments are dropped. */
function makeFacts(n: number, segments: readonly Segment[]): Facts {
  const out: Segment[] = [];
  for (const s of segments) {
    if (s.rows.length === 0 || s.rows.length > MAX_SEGMENT_ROWS) continue;
    const varying: number[] = [];
    s.cols.forEach((c, i) => {
      const v = s.rows[0]![i]!;
      if (s.rows.every((r) => r[i] === v)) out.push({ cols: [c], rows: [[v]] });
      else varying.push(i);
    });
    if (varying.length) out.push({ cols: varying.map((i) => s.cols[i]!), rows: s.rows.map((r) => varying.map((i) => r[i]!)) });
  }
  const seg = new Int32Array(n).fill(-1);
  const pos = new Int32Array(n);
  out.forEach((s, k) =>
    s.cols.forEach((c, i) => {
      seg[c] = k;
      pos[c] = i;
    }),
  );
  return { segments: out, seg, pos };
}

/** The constant value of column c, or undefined. */
function constantAt(f: Facts, c: number): number | undefined {
  const k = f.seg[c]!;
  if (k < 0) return undefined;
  const s = f.segments[k]!;
  return s.rows.length === 1 ? s.rows[0]![f.pos[c]!] : undefined;
}

/** Each segment's values through `f(column, value)`, rounded to float32. */
function mapFacts(n: number, x: Facts, f: (c: number, v: number) => number, extra: Segment[] = []): Facts {
  return makeFacts(n, [...x.segments.map((s) => ({ cols: s.cols, rows: s.rows.map((r) => r.map((v, i) => Math.fround(f(s.cols[i]!, v)))) })), ...extra]);
}

/** The facts of x W: column k is known when every r with W[r, k] ≠ 0 is a constant or in one common segment. */
function matmulFacts(x: Facts, w: Known): Facts {
  const [n, m] = w.shape as [number, number];
  const constants: Segment[] = [];
  // Output columns by the input segment they depend on: for each, the constant part and (position, weight) terms.
  const groups = new Map<number, { cols: number[]; base: number[]; terms: [number, number][][] }>();
  for (let k = 0; k < m; k++) {
    let segment = -1;
    let base = 0;
    let ok = true;
    const terms: [number, number][] = [];
    for (let r = 0; r < n && ok; r++) {
      const wv = w.data[r * m + k]!;
      if (wv === 0) continue;
      const s = x.seg[r]!;
      if (s < 0) ok = false;
      else if (x.segments[s]!.rows.length === 1) base += x.segments[s]!.rows[0]![x.pos[r]!]! * wv;
      else if (segment < 0 || segment === s) {
        segment = s;
        terms.push([x.pos[r]!, wv]);
      } else ok = false;
    }
    if (!ok) continue;
    if (segment < 0) {
      constants.push({ cols: [k], rows: [[Math.fround(base)]] });
      continue;
    }
    const g = groups.get(segment) ?? { cols: [], base: [], terms: [] };
    groups.set(segment, g);
    g.cols.push(k);
    g.base.push(base);
    g.terms.push(terms);
  }
  const segments = [...groups].map(([s, g]): Segment => ({
    cols: g.cols,
    rows: x.segments[s]!.rows.map((row) => g.terms.map((terms, j) => Math.fround(terms.reduce((a, [p, wv]) => a + row[p]! * wv, g.base[j]!)))),
  }));
  return makeFacts(m, [...constants, ...segments]);
}

/** 0, 1, ..., n - 1. */
const range = (n: number) => Array.from({ length: n }, (_v, i) => i);
const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
/** The indices where a mask is 1. */
const ones = (mask: Uint8Array) => range(mask.length).filter((i) => mask[i] === 1);

/** What a matmul reads of its input: columns `read`; `absorbed` columns are constants whose contribution goes into the bias (or is 0). */
interface MatMulPlan {
  read: Uint8Array;
  absorbed: Uint8Array;
}

/** What pruneUnits did and found. */
export interface UnitPruning {
  graph: Graph;
  /** Output units removed from matmuls by learned weights. */
  units: number;
  /** The columns of a [batch, n] value of the input graph (by name) that are the same for every example: their value, or undefined. */
  constantColumns: (name: string) => (number | undefined)[] | undefined;
}

/** Removes unneeded columns and constant units (see the header); `values` (param values by name) is updated in place. */
export function pruneUnits(graph: Graph, values: Map<string, TensorData>): UnitPruning {
  const paramValues = new Set(graph.params.map((p) => p.value));
  const paramGroup = new Map(graph.params.map((p) => [p.value, p.group]));
  const known = (v: Value) => knownValue(graph, values, v);
  const roles = new Map(graph.nodes.map((n) => [n, roleOf(n, known)]));
  const consumers = new Map<Value, Node[]>();
  for (const n of graph.nodes) for (const v of n.inputs) consumers.set(v, [...(consumers.get(v) ?? []), n]);
  const outputs = new Set(graph.outputs);

  // 1. Facts.
  const facts = new Map<Value, Facts>();
  const factsOf = (v: Value): Facts => facts.get(v) ?? makeFacts(widthOf(v) ?? 0, []);
  for (const node of graph.nodes) {
    const role = roles.get(node)!;
    const out = node.outputs[0]!;
    const n = widthOf(out)!;
    let f: Facts | undefined;
    switch (role.kind) {
      case "matmul":
        f = matmulFacts(factsOf(role.x), role.w);
        break;
      case "unary":
        f = role.f ? mapFacts(n, factsOf(role.x), (_c, v) => role.f!(v)) : undefined;
        break;
      case "affine": {
        const { k, at, op } = role;
        const kAt = (c: number) => k.data[k.data.length === 1 ? 0 : c]!;
        const x = factsOf(role.x);
        // x · 0 = 0 whatever x is.
        const zeros = op === "Mul" ? range(n).filter((c) => x.seg[c]! < 0 && kAt(c) === 0).map((c): Segment => ({ cols: [c], rows: [[0]] })) : [];
        f = mapFacts(n, x, (c, v) => (at === 0 ? BINARY[op](kAt(c), v) : BINARY[op](v, kAt(c))), zeros);
        break;
      }
      case "zip": {
        const [a, b] = [factsOf(role.a), factsOf(role.b)];
        const segments: Segment[] = [];
        for (let c = 0; c < n; c++) {
          const [ca, cb] = [constantAt(a, c), constantAt(b, c)];
          if (ca !== undefined && cb !== undefined) segments.push({ cols: [c], rows: [[Math.fround(BINARY[role.op](ca, cb))]] });
          else if (role.op === "Mul" && (ca === 0 || cb === 0)) segments.push({ cols: [c], rows: [[0]] });
        }
        f = makeFacts(n, segments);
        break;
      }
      case "concat": {
        let offset = 0;
        const segments: Segment[] = [];
        for (const p of role.parts) {
          const shift = offset;
          for (const s of factsOf(p).segments) segments.push({ cols: s.cols.map((c) => c + shift), rows: s.rows });
          offset += widthOf(p)!;
        }
        f = makeFacts(n, segments);
        break;
      }
      case "slice": {
        const x = factsOf(role.x);
        f = makeFacts(
          n,
          x.segments.map((s) => {
            const at = range(s.cols.length).filter((i) => s.cols[i]! >= role.start && s.cols[i]! < role.start + n);
            return { cols: at.map((i) => s.cols[i]! - role.start), rows: s.rows.map((r) => at.map((i) => r[i]!)) };
          }),
        );
        break;
      }
      case "rows": {
        const [rows, d] = role.table.shape as [number, number];
        const data = role.table.data;
        f = rows <= MAX_SEGMENT_ROWS ? makeFacts(d, [{ cols: range(d), rows: range(rows).map((r) => Array.from(data.subarray(r * d, (r + 1) * d))) }]) : undefined;
        break;
      }
      case "opaque":
        break;
    }
    if (f && f.segments.length) facts.set(out, f);
  }

  // 2. Need.
  const need = new Map<Value, Uint8Array>();
  const want = (v: Value, mask?: Uint8Array) => {
    const n = widthOf(v) ?? 1;
    const m = need.get(v) ?? new Uint8Array(n);
    need.set(v, m);
    if (!mask || widthOf(v) === undefined) m.fill(1);
    else mask.forEach((x, i) => (m[i]! |= x));
  };
  const needed = (v: Value) => need.get(v)?.includes(1) ?? false;
  // The matmul's output goes only into `+ b` with b known: a constant input's contribution can join b.
  const biasFollows = (node: Node): boolean => {
    const out = node.outputs[0]!;
    const readers = consumers.get(out) ?? [];
    const r = readers.length === 1 ? roles.get(readers[0]!) : undefined;
    return !outputs.has(out) && r?.kind === "affine" && r.op === "Add" && r.x === out;
  };
  const plans = new Map<Node, MatMulPlan>();
  const live = new Set<Node>();
  for (const v of graph.outputs) want(v);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.outputs.some(needed)) continue;
    live.add(node);
    const role = roles.get(node)!;
    const outNeed = need.get(node.outputs[0]!)!;
    switch (role.kind) {
      case "matmul": {
        const [n, m] = role.w.shape as [number, number];
        const x = factsOf(role.x);
        const bias = biasFollows(node);
        const read = new Uint8Array(n);
        const absorbed = new Uint8Array(n);
        for (let r = 0; r < n; r++) {
          let touches = false;
          for (let k = 0; k < m && !touches; k++) touches = outNeed[k] === 1 && role.w.data[r * m + k] !== 0;
          if (!touches) continue;
          const c = constantAt(x, r);
          if (c !== undefined && (c === 0 || bias)) absorbed[r] = 1;
          else read[r] = 1;
        }
        // A layer whose needed inputs are all constant (or unread) still needs an input for the batch
        // size: it keeps column 0, whose weights are 0 or absorbed.
        if (!read.includes(1)) read[0] = 1;
        plans.set(node, { read, absorbed });
        want(role.x, read);
        break;
      }
      case "unary":
      case "affine":
        want(role.x, outNeed);
        break;
      case "zip":
        want(role.a, outNeed);
        want(role.b, outNeed);
        break;
      case "concat": {
        let offset = 0;
        for (const p of role.parts) {
          const w = widthOf(p)!;
          want(p, outNeed.subarray(offset, offset + w));
          offset += w;
        }
        break;
      }
      case "slice": {
        // The slice itself is kept whole: it reads its whole range.
        const mask = new Uint8Array(widthOf(role.x)!);
        mask.fill(1, role.start, role.start + outNeed.length);
        want(role.x, mask);
        break;
      }
      case "rows":
      case "opaque":
        for (const v of node.inputs) want(v);
    }
  }

  // 3. Rewrite. present: the columns (of the original value) a rewritten value holds, in order.
  const present = new Map<Value, number[]>();
  const presentOf = (v: Value) => present.get(v) ?? range(widthOf(v) ?? 1);
  // Contributions of absorbed constants, waiting for the bias that follows a matmul.
  const pending = new Map<Value, Float64Array>();
  // The parts a rewritten Concat kept, with the (original) columns each holds.
  const concatParts = new Map<Value, { part: Value; cols: number[] }[]>();
  const narrowed = new Map<string, { value: Value; cols: number[] }>();
  let units = 0;

  /** A known operand replaced by `data`: a param stays a param (same group), a constant a constant. */
  const replaceKnown = (b: Builder, original: Value, data: Float32Array, shape: number[], tag: string): Value => {
    const group = paramGroup.get(original);
    if (group === undefined) return b.constant(data, "float32", shape, tag);
    const name = freshName(b, `${original.name}/pruned`);
    values.set(name, data);
    return b.param(name, shape, { kind: "zeros" }, { group });
  };

  /**
   * `v` with only the columns `wanted` (a subset of what it holds, in order): by taking fewer parts
   * of the Concat that made it, or (when `exact`) a Gather of columns; without `exact`, columns it
   * cannot shed stay. Returns the value and the columns it holds.
   */
  const narrowTo = (b: Builder, get: (v: Value) => Value, v: Value, wanted: number[], exact: boolean): { value: Value; cols: number[] } => {
    const holds = presentOf(v);
    if (sameList(holds, wanted)) return { value: get(v), cols: holds };
    const want = new Set(wanted);
    const parts = concatParts.get(v);
    const use = parts?.filter((p) => p.cols.some((c) => want.has(c))) ?? [];
    const cols = use.flatMap((p) => p.cols);
    const made = (cols: number[], make: () => Value) => {
      // One narrowed copy per value and set of columns, however many readers want it.
      const key = `${v.name}\u0000${cols.join(",")}`;
      const known = narrowed.get(key) ?? { value: make(), cols };
      narrowed.set(key, known);
      return known;
    };
    if (parts && use.length < parts.length && (!exact || sameList(cols, wanted))) {
      return made(cols, () => (use.length === 1 ? get(use[0]!.part) : b.concat(use.map((p) => get(p.part)), 1, freshName(b, `${v.name}/kept`))));
    }
    if (!exact) return { value: get(v), cols: holds };
    return made(wanted, () => {
      const name = freshName(b, `${v.name}/kept`);
      const at = new Map(holds.map((c, i) => [c, i]));
      const indices = b.constant(BigInt64Array.from(wanted, (c) => BigInt(at.get(c)!)), "int64", [wanted.length], `${name}/columns`);
      return b.gather(get(v), indices, 1, name);
    });
  };

  const noPending = (vs: readonly Value[]) => invariant(vs.every((v) => !pending.has(v)), `prune: a folded bias contribution has no bias to go into (${vs.map((v) => v.name).join(", ")})`);

  const rewrite = (node: Node, b: Builder, get: (v: Value) => Value): Value[] | undefined => {
    const role = roles.get(node)!;
    const out = node.outputs[0]!;
    const outNeed = need.get(out) ?? new Uint8Array(0);
    switch (role.kind) {
      case "matmul": {
        noPending([role.x]);
        const plan = plans.get(node)!;
        const [n, m] = role.w.shape as [number, number];
        const { value: x, cols } = narrowTo(b, get, role.x, presentOf(role.x).filter((r) => plan.read[r] === 1), false);
        const keep = ones(outNeed);
        const data = new Float32Array(cols.length * keep.length);
        let changed = cols.length !== n || keep.length !== m;
        cols.forEach((r, i) =>
          keep.forEach((k, j) => {
            const wv = role.w.data[r * m + k]!;
            if (plan.absorbed[r] === 1) changed ||= wv !== 0;
            else data[i * keep.length + j] = wv;
          }),
        );
        // Σ over absorbed constant inputs c_r W[r, k]: what the bias that follows takes in.
        const x0 = factsOf(role.x);
        const delta = new Float64Array(keep.length);
        for (let r = 0; r < n; r++) {
          if (plan.absorbed[r] !== 1) continue;
          const c = constantAt(x0, r)!;
          keep.forEach((k, j) => (delta[j]! += c * role.w.data[r * m + k]!));
        }
        present.set(out, keep);
        if (delta.some((d) => d !== 0)) pending.set(out, delta);
        if (paramValues.has(role.weight)) units += m - keep.length;
        if (!changed) return x === get(role.x) ? undefined : [b.matmul(x, get(role.weight), out.name)];
        return [b.matmul(x, replaceKnown(b, role.weight, data, [cols.length, keep.length], `${out.name}/weight`), out.name)];
      }
      case "unary": {
        noPending([role.x]);
        const { value: x, cols } = narrowTo(b, get, role.x, presentOf(role.x).filter((c) => outNeed[c] === 1), false);
        present.set(out, cols);
        return x === get(role.x) ? undefined : b.node(node.op as PrimitiveOpKind, [x], node.attrs as never, [out.name]);
      }
      case "affine": {
        const delta = pending.get(role.x);
        invariant(!delta || role.op === "Add", `prune: the bias contribution of ${role.x.name} reached a ${role.op}`);
        const { value: x, cols } = narrowTo(b, get, role.x, presentOf(role.x).filter((c) => outNeed[c] === 1), false);
        present.set(out, cols);
        if (cols.length === widthOf(role.x) && !delta) return undefined;
        const { k } = role;
        let operand = get(role.operand);
        if (k.data.length > 1 || delta) {
          // One number per column kept; after a matmul, plus the contributions of the constants it no longer reads.
          const data = Float32Array.from(cols, (c, j) => Math.fround(k.data[k.data.length === 1 ? 0 : c]! + (delta ? delta[j]! : 0)));
          operand = replaceKnown(b, role.operand, data, k.shape.length === 2 ? [1, cols.length] : [cols.length], `${out.name}/operand`);
        }
        return b.node(role.op, role.at === 0 ? [operand, x] : [x, operand], {}, [out.name]);
      }
      case "zip": {
        noPending([role.a, role.b]);
        const inB = new Set(presentOf(role.b));
        const cols = presentOf(role.a).filter((c) => inB.has(c));
        present.set(out, cols);
        const a = narrowTo(b, get, role.a, cols, true).value;
        const c = narrowTo(b, get, role.b, cols, true).value;
        return b.node(role.op, [a, c], {}, [out.name]);
      }
      case "concat": {
        noPending(role.parts);
        const kept: { part: Value; cols: number[] }[] = [];
        let offset = 0;
        for (const p of role.parts) {
          const shift = offset;
          if (needed(p)) kept.push({ part: p, cols: presentOf(p).map((c) => c + shift) });
          offset += widthOf(p)!;
        }
        invariant(kept.length > 0, `prune: Concat ${out.name} is needed but none of its parts is`);
        present.set(out, kept.flatMap((p) => p.cols));
        concatParts.set(out, kept);
        if (kept.length === role.parts.length) return undefined;
        return kept.length === 1 ? [get(kept[0]!.part)] : [b.concat(kept.map((p) => get(p.part)), 1, out.name)];
      }
      case "slice": {
        noPending([role.x]);
        const holds = presentOf(role.x);
        if (holds.length === widthOf(role.x)) return undefined;
        const n = widthOf(out)!;
        const start = holds.indexOf(role.start);
        invariant(start >= 0 && holds[start + n - 1] === role.start + n - 1, `prune: Slice ${out.name} lost part of its range`);
        return b.node("Slice", [get(role.x)], { axes: [1], starts: [start], ends: [start + n], steps: [1] }, [out.name]);
      }
      case "rows":
      case "opaque":
        noPending(node.inputs);
        for (const v of node.inputs) invariant(presentOf(v).length === (widthOf(v) ?? 1), `prune: ${node.op} ${out.name} needs all of ${v.name}`);
        return undefined;
    }
  };

  const result = rebuild(graph, values, { keep: (n) => live.has(n), keepInput: needed, rewrite });
  const byName = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o.name, o] as const)));
  const constantColumns = (name: string) => {
    const v = byName.get(name);
    const n = v && widthOf(v);
    return n === undefined ? undefined : range(n).map((c) => constantAt(factsOf(v!), c));
  };
  return { graph: result, units, constantColumns };
}
