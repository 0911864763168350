// Params sliced to the entries the smaller step reads (docs/design.md, "The training step"), a
// pass over cut-frozen.ts's forward. There a cut matmul reads its weight as constant-index
// Gathers of the flat masked weight, Reshape(Gather(flat(W ⊙ M), E), [r, c]) (its open rows and
// columns, the closed units' rows), and a cut layer reads its bias as Gathers of its open and
// closed units. A param P read only that way (directly or through one product with a mask M of
// its shape) and by the L2 term is replaced by one param per Gather, S_j = P[E_j] (shaped as the
// Reshape that reads the Gather, [r, c] or [S, r, c], if one does):
//
//   Gather(flat(P ⊙ M), E_j) = S_j ⊙ M[E_j],     ||P||² -> Σ_j ||S_j||²,
//
// so the step's gradient, optimizer and L2 work follow the entries it reads, and no whole-size
// product, Gather or ScatterND of the weight is left. M[E_j] is read from the gates themselves,
// never from a mask of the weight's size: M is a product (a folded weight's `folded_mask`: its cell
// gates times the field gates of each copy's rows) of factors that only move the elements of gate
// values (reshaped, gathered per weight row, expanded, concatenated), and each factor's entries are
// gathered from the values they come from (joined when several), shaped like the slice with 1 on
// every axis along which they do not vary: a [r, 1] column of field gates, a [1, c] row of cell
// gates, [S, r, 1] and [S, 1, c] for a folded weight's copies, which cut-frozen.ts reads as one
// [S, r, c] block. A cssm weight's gates, varying along both axes (a gate row per source block, a
// gate column per unit), are two Gathers of the gates' [sources, units] view, its columns then its
// rows, so that the backward scatters whole rows into the gates.
//
// The entries of P outside every E_j are multiplied by an exact 0 on every step
// (closed-weights.ts); they leave the step, and the runtime carries them and their optimizer state
// unchanged (runtime/step.ts): the only difference from the full step is their own L2 decay,
// which never reaches the model's output.

import { int64Of } from "../../base/int64.js";
import { broadcast, foldNode } from "../export/fold.js";
import { copyNode, declareOnUse } from "../ir/copy.js";
import { removeDeadNodes } from "../ir/cse.js";
import { Builder, type Graph, type Node, type Value } from "../ir/graph.js";
import { isStatic, sizeOf } from "../ir/ops.js";

/** A sliced param: the step's param `name` holds the entries `entries` (row-major flat indices) of the model's param `of`. */
export interface ParamSlice {
  readonly name: string;
  readonly of: string;
  readonly entries: Int32Array;
}

/** One Gather of a sliceable param: its entries, the mask the param is multiplied by (if any), and the Reshape to [r, c] that reads it (if any). */
interface SliceRead {
  readonly gather: Node;
  readonly entries: Int32Array;
  readonly mask: Value | undefined;
  readonly reshape: Node | undefined;
}

/** How a sliceable param is read: its Gathers, the nodes that go, its L2 sum. */
interface Reads {
  readonly gathers: SliceRead[];
  readonly skipped: Node[];
  readonly l2: Node | undefined;
}

/** The graph's lookups the pass needs. */
interface Lookups {
  readonly readers: ReadonlyMap<Value, Node[]>;
  readonly producer: ReadonlyMap<Value, Node>;
  readonly constants: ReadonlyMap<Value, unknown>;
  readonly outputs: ReadonlySet<Value>;
}

/** The forward with every sliceable param replaced by its slices (module comment), and the slices in param order. */
export function sliceParams(forward: Graph): { graph: Graph; slices: ParamSlice[] } {
  // Nodes no output needs (a folded weight's sum, once every matmul reading it was cut) read nothing.
  const nodes = removeDeadNodes(forward.nodes, forward.outputs);
  const readers = new Map<Value, Node[]>();
  const producer = new Map<Value, Node>();
  for (const n of nodes) {
    for (const v of new Set(n.inputs)) readers.set(v, [...(readers.get(v) ?? []), n]);
    for (const o of n.outputs) producer.set(o, n);
  }
  const g: Lookups = { readers, producer, constants: new Map(forward.constants.map((c) => [c.value, c.data])), outputs: new Set(forward.outputs) };
  const readsOf = new Map<Value, Reads>();
  for (const p of forward.params) {
    const reads = p.group === "dense" ? sliceableReads(p.value, g) : undefined;
    if (reads) readsOf.set(p.value, reads);
  }

  const b = new Builder(forward.name, forward.doc);
  const map = new Map<Value, Value>();
  for (const v of forward.inputs) map.set(v, b.input(v.name, v.dtype, v.shape));
  const slices: ParamSlice[] = [];
  const sliceOf = new Map<Node, { param: Value; read: SliceRead }>();
  const l2Terms = new Map<Node, Value[]>();
  for (const p of forward.params) {
    const reads = readsOf.get(p.value);
    if (!reads) continue;
    const names = new Set<string>();
    const values = reads.gathers.map((read) => {
      const tag = read.gather.outputs[0]!.name.split("/").filter((s) => s !== "entries").at(-1)!;
      let name = `${p.value.name}/${tag}`;
      for (let k = 2; names.has(name); k++) name = `${p.value.name}/${tag}${k}`;
      names.add(name);
      const shape = read.reshape ? (read.reshape.outputs[0]!.shape as number[]) : [read.entries.length];
      const s = b.at(p.doc, () => b.param(name, shape, p.init, { group: p.group }));
      slices.push({ name, of: p.value.name, entries: read.entries });
      sliceOf.set(read.reshape ?? read.gather, { param: s, read });
      return s;
    });
    if (reads.l2) l2Terms.set(reads.l2, values);
  }
  const read = declareOnUse(b, forward, map);
  const skipped = new Set([...readsOf.values()].flatMap((r) => [...r.skipped, ...r.gathers.flatMap((x) => (x.reshape ? [x.gather] : []))]));
  for (const node of nodes) {
    if (skipped.has(node)) continue;
    const slice = sliceOf.get(node);
    const terms = l2Terms.get(node);
    const name = node.outputs[0]!.name;
    if (slice) {
      const { param: s, read: r } = slice;
      const mask = r.mask && b.at(node.doc, () => maskEntries(b, r.mask!, r, s.shape as number[], name, g, read));
      map.set(node.outputs[0]!, mask ? b.at(node.doc, () => b.mul(s, mask, name)) : s);
    } else if (terms) {
      // ||P||² = Σ_j ||S_j||² (the carried entries' squares leave the loss: they are constant here).
      const sums = b.at(node.doc, () => terms.map((t) => b.reduceSum(b.mul(t, t, `l2/${t.name}/squares`), t.shape.map((_d, i) => i), false, terms.length === 1 ? name : `l2/${t.name}`)));
      map.set(node.outputs[0]!, sums.slice(1).reduce((a, t, i) => b.at(node.doc, () => b.add(a, t, i === sums.length - 2 ? name : `${name}/partial${i}`)), sums[0]!));
    } else copyNode(b, forward, node, map, read);
  }
  for (const o of forward.outputs) b.output(read(o));
  return { graph: b.finish(), slices };
}

/**
 * M[E] shaped like the slice ([r, c], or [|E|]), as a product of small gathers (module comment):
 * each factor of M (M itself, or the operands of the products that make it) is read from the
 * values its elements are moved from (the gates; joined when they are several), shaped like the
 * slice with 1 on the axes along which it does not vary; when a factor cannot be followed to such
 * values, M's entries are gathered from M itself.
 */
function maskEntries(b: Builder, mask: Value, r: SliceRead, shape: readonly number[], name: string, g: Lookups, read: (v: Value) => Value): Value {
  const indices = (xs: ArrayLike<number>, tag: string) => b.constant(int64Of(xs), "int64", [xs.length], `${name}/${tag}`);
  const factors = maskFactors(mask, g)?.map((f) => factorEntries(f, r.entries, shape));
  if (factors) {
    const parts = factors.map((f, k) => {
      const tag = factors.length === 1 ? "gates" : `gates${k}`;
      const [only] = f.sources;
      const size = f.sources.reduce((a, v) => a + sizeOf(v.shape as number[]), 0);
      if (f.separable) {
        // The source's [size / n, n] view: its columns, then a row of them per slice row.
        const { row, column, n } = f.separable;
        const view = b.reshape(read(only!), [size / n, n], `${name}/${tag}/rows`);
        const picked = column.every((c, j) => c === j) && column.length === n ? view : b.gather(view, indices(column, `${tag}_columns`), 1, `${name}/${tag}/columns`);
        return b.gather(picked, indices(row, `${tag}_row_of`), 0, `${name}/${tag}/entries`);
      }
      const whole = f.index.length === size && f.index.every((x, i) => x === i);
      if (whole && f.sources.length === 1 && only!.shape.join() === f.shape.join()) return read(only!);
      const flatOf = (v: Value, i: number) => (v.shape.length === 1 ? read(v) : b.reshape(read(v), [sizeOf(v.shape as number[])], `${name}/${tag}/flat${f.sources.length === 1 ? "" : i}`));
      const flat = f.sources.length === 1 ? flatOf(only!, 0) : b.concat(f.sources.map(flatOf), 0, `${name}/${tag}/joined`);
      if (whole) return b.reshape(flat, f.shape, `${name}/${tag}`);
      // Indices shaped like the factor: the Gather's output takes their shape.
      return b.gather(flat, b.constant(int64Of(f.index), "int64", f.shape, `${name}/${tag}_entries`), 0, `${name}/${tag}/entries`);
    });
    return parts.slice(1).reduce((m, f, k) => b.mul(m, f, k === parts.length - 2 ? `${name}/mask` : `${name}/mask${k}`), parts[0]!);
  }
  const flatMask = b.reshape(read(mask), [sizeOf(mask.shape as number[])], `${name}/mask_flat`);
  const entries = b.gather(flatMask, indices(r.entries, "mask_entries"), 0, `${name}/mask_entries`);
  return shape.length === 1 ? entries : b.reshape(entries, shape, `${name}/mask`);
}

/** Ops that only move their data input's elements (a Gather's indices constant), Concat included. */
const MOVES = new Set(["Identity", "Reshape", "Squeeze", "Unsqueeze", "Expand", "Gather", "Split", "Concat"]);

/**
 * A factor of a mask: the values its elements are moved from, numbered one after another (each
 * with the number of its first element), and per element of the mask (the factor broadcast to
 * it) the number of the source element it copies.
 */
interface MaskFactor {
  readonly spans: readonly { value: Value; offset: number; size: number }[];
  readonly index: Float32Array;
}

/**
 * The factors of `mask`: the operands of the products (Mul) that make it, down to values made by
 * moves alone (MOVES) from other values (the gates), each with, per mask element, the source
 * element it copies; undefined when some factor cannot be followed (a shape not static, too
 * many elements to number exactly in float32).
 */
function maskFactors(mask: Value, g: Lookups): MaskFactor[] | undefined {
  if (!isStatic(mask.shape)) return undefined;
  const product = g.producer.get(mask);
  const factors = product?.op === "Mul" ? product.inputs.map((v) => maskFactors(v, g)) : [movedElements(mask, g)];
  if (!factors.every((f) => f !== undefined)) return undefined;
  // Each operand broadcast to the product's shape (numpy rules compose, so to the mask's).
  return (factors as (MaskFactor[] | MaskFactor)[]).flatMap((f, k) => {
    const from = product?.op === "Mul" ? product.inputs[k]!.shape : mask.shape;
    return (Array.isArray(f) ? f : [f]).map((x) => ({ ...x, index: from.join() === mask.shape.join() ? x.index : broadcast(x.index, from as number[], mask.shape as number[]) }));
  });
}

/**
 * The values `v`'s elements are moved from (MOVES), numbered one after another, and per element
 * of v the number of the element it copies: found by folding the moves on the element numbers.
 */
function movedElements(v: Value, g: Lookups): MaskFactor | undefined {
  const nodes: Node[] = [];
  const leaves: Value[] = [];
  const seen = new Set<Value>();
  const visit = (x: Value): boolean => {
    if (seen.has(x)) return true;
    seen.add(x);
    if (!isStatic(x.shape)) return false;
    const n = g.producer.get(x);
    if (!n || !MOVES.has(n.op) || (n.op === "Gather" && !(g.constants.get(n.inputs[1]!) instanceof BigInt64Array))) {
      leaves.push(x);
      return true;
    }
    if (!(n.op === "Concat" ? n.inputs : [n.inputs[0]!]).every(visit)) return false;
    if (!nodes.includes(n)) nodes.push(n);
    return true;
  };
  if (!visit(v)) return undefined;
  const values = new Map<Value, Float32Array>();
  const spans: { value: Value; offset: number; size: number }[] = [];
  let offset = 0;
  for (const leaf of leaves) {
    const size = sizeOf(leaf.shape as number[]);
    values.set(leaf, Float32Array.from({ length: size }, (_x, i) => offset + i));
    spans.push({ value: leaf, offset, size });
    offset += size;
  }
  if (offset >= 2 ** 24) return undefined;
  for (const n of nodes) {
    const known = n.inputs.map((x) => (values.has(x) ? { data: values.get(x)!, shape: x.shape as number[] } : undefined));
    const folded = foldNode(n, known as { data: Float32Array; shape: number[] }[], g.constants.get(n.inputs[1]!) as BigInt64Array | undefined);
    if (!folded) return undefined;
    folded.forEach((data, i) => values.set(n.outputs[i]!, data));
  }
  const index = values.get(v);
  return index && { spans, index };
}

/** A factor's entries for a slice (factorEntries). */
interface FactorEntries {
  readonly sources: Value[];
  readonly index: number[];
  readonly shape: number[];
  /** When the entries are rows and columns of the one source's [size / n, n] view. */
  readonly separable?: { row: number[]; column: number[]; n: number };
}

/**
 * A factor's entries for a slice of `shape` reading mask entries `entries`: the sources they come
 * from (in the order of their numbering), the flat indices read from those sources' flat values
 * joined, and the shape they take: the slice's, with 1 on every axis along which they do not vary
 * (a [r, 1] column of field gates, a [1, c] row of cell gates; [S, r, 1] and [S, 1, c] for a folded
 * weight's S copies, whose field gates are S groups').
 */
function factorEntries(f: MaskFactor, entries: Int32Array, shape: readonly number[]): FactorEntries {
  const numbers = Array.from(entries, (e) => f.index[e]!);
  const spans = f.spans.filter((s) => numbers.some((x) => x >= s.offset && x < s.offset + s.size));
  // Renumbered within the touched sources joined.
  const starts = new Map(spans.map((s, i) => [s, spans.slice(0, i).reduce((a, t) => a + t.size, 0)]));
  const local = numbers.map((x) => {
    const s = spans.find((t) => x >= t.offset && x < t.offset + t.size)!;
    return x - s.offset + starts.get(s)!;
  });
  const stride = shape.map((_d, axis) => sizeOf(shape.slice(axis + 1) as number[]));
  const coordinate = (p: number, axis: number) => Math.floor(p / stride[axis]!) % shape[axis]!;
  // Along an axis the entries do not vary when each equals the one at coordinate 0 on that axis.
  const varies = shape.map((_d, axis) => local.some((x, p) => x !== local[p - coordinate(p, axis) * stride[axis]!]));
  const reduced = shape.map((d, axis) => (varies[axis] ? d : 1));
  const index = local.filter((_x, p) => shape.every((_d, axis) => varies[axis] || coordinate(p, axis) === 0));
  const sources = spans.map((s) => s.value);
  // Varying along both axes of a [r, c] slice as a row of the one source's [size / n, n] view
  // per slice row and a column of it per slice column (a cssm mask: a gate row per source block,
  // a gate column per unit; n the narrowest width that splits the entries so): two Gathers,
  // columns of the small view first, so that the backward scatters whole rows.
  if (shape.length === 2 && varies[0] && varies[1] && sources.length === 1) {
    const [rows, columns] = shape as [number, number];
    const size = sizeOf(sources[0]!.shape as number[]);
    for (let n = 2; n < size; n++) {
      if (size % n !== 0) continue;
      const row = Array.from({ length: rows }, (_x, i) => Math.floor(local[i * columns]! / n));
      const column = Array.from({ length: columns }, (_x, j) => local[j]! - row[0]! * n);
      if (column.every((c) => c >= 0 && c < n) && local.every((x, p) => x === row[Math.floor(p / columns)]! * n + column[p % columns]!)) return { sources, index, shape: reduced, separable: { row, column, n } };
    }
  }
  return { sources, index, shape: reduced };
}

/**
 * How `p` is read, when every read is a constant-index Gather (of p itself when p is a vector,
 * else of its flat Reshape, directly or through one product p ⊙ M) with disjoint entries, plus at
 * most its L2 square summed whole; undefined otherwise.
 */
function sliceableReads(p: Value, g: Lookups): Reads | undefined {
  const size = sizeOf(p.shape as number[]);
  const gathers: SliceRead[] = [];
  const skipped: Node[] = [];
  let l2: Node | undefined;
  const readersOf = (v: Value) => (g.outputs.has(v) ? undefined : (g.readers.get(v) ?? []));
  // A constant-index Gather along axis 0 of `v` (a [size] vector), and the Reshape to 2-D that alone reads it, if so.
  const gatherOf = (n: Node, v: Value, mask: Value | undefined): boolean => {
    const indices = g.constants.get(n.inputs[1]!);
    if (n.op !== "Gather" || n.inputs[0] !== v || n.attrs.axis !== 0 || !(indices instanceof BigInt64Array) || n.inputs[1]!.shape.length !== 1) return false;
    const only = readersOf(n.outputs[0]!);
    const reshape = only?.length === 1 && only[0]!.op === "Reshape" && only[0]!.outputs[0]!.shape.length >= 2 ? only[0] : undefined;
    gathers.push({ gather: n, entries: Int32Array.from(indices, Number), mask, reshape });
    return true;
  };
  // A flat read of p or p ⊙ M: Reshape(v, [size]) whose readers are all such Gathers.
  const flatRead = (r: Node, mask: Value | undefined): boolean => {
    if (r.op !== "Reshape" || r.attrs.shape.length !== 1 || r.attrs.shape[0] !== size) return false;
    skipped.push(r);
    const rs = readersOf(r.outputs[0]!);
    return rs !== undefined && rs.length > 0 && rs.every((x) => gatherOf(x, r.outputs[0]!, mask));
  };
  for (const n of readersOf(p) ?? [undefined]) {
    if (n === undefined) return undefined;
    if (n.op === "Mul" && n.inputs[0] === p && n.inputs[1] === p) {
      // ||p||²: the square, summed over every axis.
      const sum = readersOf(n.outputs[0]!);
      const r = sum?.length === 1 ? sum[0]! : undefined;
      if (l2 || r?.op !== "ReduceSum" || r.attrs.keepdims || r.attrs.axes.length !== p.shape.length) return undefined;
      skipped.push(n);
      l2 = r;
    } else if (n.op === "Mul" && p.shape.length > 1) {
      const mask = n.inputs[0] === p ? n.inputs[1]! : n.inputs[0]!;
      const rs = readersOf(n.outputs[0]!);
      if (mask.shape.join() !== p.shape.join() || !rs?.length || !rs.every((r) => flatRead(r, mask))) return undefined;
      skipped.push(n);
    } else if (!(p.shape.length > 1 ? flatRead(n, undefined) : gatherOf(n, p, undefined))) return undefined;
  }
  if (gathers.length === 0) return undefined;
  const seen = new Uint8Array(size);
  for (const { entries } of gathers) {
    for (const e of entries) {
      if (e < 0 || e >= size || seen[e]) return undefined;
      seen[e] = 1;
    }
  }
  return { gathers, skipped, l2 };
}
