// Params sliced to the entries the smaller step reads (docs/design.md, "The training step"), a
// pass over cut-frozen.ts's forward. There a cut matmul reads its weight as constant-index
// Gathers of the flat masked weight, Reshape(Gather(flat(W ⊙ M), E), [r, c]) (its open rows and
// columns, the closed units' rows), and a cut layer reads its bias as Gathers of its open and
// closed units. A param P read only that way (directly or through one product with a mask M of
// its shape) and by the L2 term is replaced by one param per Gather, S_j = P[E_j] (shaped [r, c]
// when the Gather is reshaped so):
//
//   Gather(flat(P ⊙ M), E_j) = S_j ⊙ M[E_j],     ||P||² -> Σ_j ||S_j||²,
//
// so the step's gradient, optimizer and L2 work follow the entries it reads, and no whole-size
// product, Gather or ScatterND of the weight is left. M[E_j] is taken from the gates themselves
// when the mask only moves their elements (a cssm mask: z reshaped to a row per source, a row
// gathered per weight row): for an [r, c] slice of a weight with n columns whose mask entry
// (i, j) is gate row(i)·n + column(j), it is z's [rows, n] view taken on its columns, then
// gathered on its rows (the rows of a block read one row of gates).
//
// The entries of P outside every E_j are multiplied by an exact 0 on every step
// (closed-weights.ts); they leave the step, and the runtime carries them and their optimizer state
// unchanged (runtime/step.ts): the only difference from the full step is their own L2 decay,
// which never reaches the model's output.

import { foldNode } from "../export/fold.js";
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
 * M[E] shaped like the slice ([r, c], or [|E|]): from the gates when the mask only moves them and
 * its entries are separable (module comment), else gathered from the mask itself.
 */
function maskEntries(b: Builder, mask: Value, r: SliceRead, shape: readonly number[], name: string, g: Lookups, read: (v: Value) => Value): Value {
  const indices = (xs: ArrayLike<number>, tag: string) => b.constant(BigInt64Array.from(Array.from(xs), BigInt), "int64", [xs.length], `${name}/${tag}`);
  const gates = gateSource(mask, g);
  const n = mask.shape.at(-1) as number;
  if (gates && shape.length === 2 && sizeOf(gates.value.shape as number[]) % n === 0) {
    const [rows, columns] = shape as [number, number];
    const flat = Array.from(r.entries, (e) => gates.index[e]!);
    const row = Array.from({ length: rows }, (_v, i) => Math.floor(flat[i * columns]! / n));
    const column = Array.from({ length: columns }, (_v, j) => flat[j]! % n);
    if (flat.every((f, e) => f === row[Math.floor(e / columns)]! * n + column[e % columns]!)) {
      const z = sizeOf(gates.value.shape as number[]);
      const identity = (xs: number[], size: number) => xs.length === size && xs.every((x, i) => x === i);
      // z's [z / n, n] view on the slice's columns: a Gather of the flat gates (its backward one ScatterAdd).
      const flatGates = gates.value.shape.length === 1 ? read(gates.value) : b.reshape(read(gates.value), [z], `${name}/gates_flat`);
      const picked = identity(column, n)
        ? b.reshape(flatGates, [z / n, n], `${name}/gate_rows`)
        : b.reshape(b.gather(flatGates, indices(Array.from({ length: z / n }, (_v, k) => column.map((c) => k * n + c)).flat(), "gate_columns"), 0, `${name}/gate_columns`), [z / n, columns], `${name}/gate_rows`);
      // One row of gates for every weight row (one source): it broadcasts over the rows.
      if (z / n === 1) return picked;
      return identity(row, z / n) ? picked : b.gather(picked, indices(row, "gate_row_of"), 0, `${name}/mask`);
    }
  }
  const flatMask = b.reshape(read(mask), [sizeOf(mask.shape as number[])], `${name}/mask_flat`);
  const entries = b.gather(flatMask, indices(r.entries, "mask_entries"), 0, `${name}/mask_entries`);
  return shape.length === 1 ? entries : b.reshape(entries, shape, `${name}/mask`);
}

/** Ops that only move their data input's elements (a Gather's indices constant). */
const MOVES = new Set(["Identity", "Reshape", "Squeeze", "Unsqueeze", "Expand", "Gather", "Split"]);

/**
 * When `mask` only moves the elements of one value (the gates z: a cssm mask is z reshaped to a
 * row per source and gathered per weight row, or expanded), that value and, per element of the
 * mask, the flat index of the element it copies; undefined otherwise. Found by folding the ops
 * from that value to the mask on its element indices.
 */
function gateSource(mask: Value, g: Lookups): { value: Value; index: Int32Array } | undefined {
  const chain: Node[] = [];
  let v = mask;
  for (let n = g.producer.get(v); n && MOVES.has(n.op) && (n.op !== "Gather" || g.constants.get(n.inputs[1]!) instanceof BigInt64Array); n = g.producer.get(v)) {
    chain.unshift(n);
    v = n.inputs[0]!;
  }
  if (chain.length === 0 || !isStatic(v.shape) || sizeOf(v.shape as number[]) >= 2 ** 24) return undefined;
  const values = new Map<Value, Float32Array>([[v, Float32Array.from({ length: sizeOf(v.shape as number[]) }, (_x, i) => i)]]);
  for (const n of chain) {
    const input = values.get(n.inputs[0]!);
    const folded = input && foldNode(n, [{ data: input, shape: n.inputs[0]!.shape as number[] }], g.constants.get(n.inputs[1]!) as BigInt64Array | undefined);
    if (!folded) return undefined;
    folded.forEach((data, i) => values.set(n.outputs[i]!, data));
  }
  const index = values.get(mask);
  return index ? { value: v, index: Int32Array.from(index) } : undefined;
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
    const reshape = only?.length === 1 && only[0]!.op === "Reshape" && only[0]!.outputs[0]!.shape.length === 2 ? only[0] : undefined;
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
