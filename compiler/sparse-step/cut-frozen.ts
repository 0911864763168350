// The smaller training step's forward (docs/design.md, "The training step"): a train-mode forward
// with the matmuls cut to what frozen gates leave open. The params stay whole (the step's inputs,
// optimizer and L0 term are the full step's); only the batch-sized products shrink:
//
// - blocks: an input block of a matmul `x W̃` (a part of the Concat x reads) whose rows of W̃ are 0
//   on every step (closed-weights.ts) leaves the product: x_R W̃[R, :];
// - units: a layer `h = act(x W̃ + b)` whose column k of W̃ is 0 on every step outputs act(b_k) for
//   every example. When every reader of h is a matmul (or a Concat only matmuls read), the layer
//   computes its other columns C only, h_C = act(x W̃[:, C] + b_C), and each reading matmul adds
//   the batch-independent term act(b_D) V[D, :] (a [1, |D|] x [|D|, n] product) for the closed
//   columns D of the weight V it reads them with, to the bias its product is added to (or to the
//   product when there is none). So b_D and V[D, :] are trained exactly as in the full step.
//
// - fields: a field selection `s = x ⊙ m` (m a [w] mask of field gates, the same for every example)
//   whose column j has m_j exactly 0 on every step (a frozen field gate) is 0 there for every
//   example: when only matmuls read s (directly or through Concats), s is computed on its other
//   columns only, x[:, J] ⊙ m[J], and each reading matmul drops the rows of the closed columns.
//
// Every gradient is the full step's: what is cut is multiplied by an exact 0 there (the weights'
// masked entries still get their L2 gradient, from the L2 term on the whole param). A matmul whose
// every input block would go, or a layer whose every column is closed, is left whole.

import { int64Of } from "../../base/int64.js";
import type { Known } from "../export/known.js";
import { copyNode, declareLeaves } from "../ir/copy.js";
import { Builder, type Graph, type Node, type Value } from "../ir/graph.js";
import { isStatic } from "../ir/ops.js";
import { type FrozenNoise, zeroPatterns, zeroRowsAndColumns } from "./closed-weights.js";

/** Element-wise activations a cut layer may end in: act(b) is its closed units' value. */
const ACTIVATIONS = new Set(["Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Identity"]);

/**
 * A value computed on some of its columns: those (`open`), and the others' values, the same for
 * every example: act(b_D) for a layer's closed units (`closed`), none for a field selection's
 * closed fields, which are 0.
 */
interface CutUnits {
  readonly open: Value;
  readonly openColumns: readonly number[];
  readonly closedColumns: readonly number[];
  readonly closed: Value | undefined;
}

/** A layer `act(x W̃ + b)` found in the graph. */
interface Layer {
  readonly matmul: Node;
  readonly add: Node;
  readonly act: Node | undefined;
  readonly closedColumns: readonly number[];
}

/** What the pass cut: per cut matmul, the rows and columns of its weight [k, n] it keeps. */
export interface CutReport {
  readonly matmuls: { name: string; shape: [number, number]; rows: number[]; columns: number[] }[];
}

/** The sum over S copies that makes a folded weight, ReduceSum(Reshape(X [S·k, n], [S, k, n]), [0]): X and S. */
function foldedWeight(w: Value, producer: ReadonlyMap<Value, Node>): { x: Value; copies: number } | undefined {
  const sum = producer.get(w);
  if (sum?.op !== "ReduceSum" || sum.attrs.keepdims || sum.attrs.axes.length !== 1 || sum.attrs.axes[0] !== 0) return undefined;
  const reshape = producer.get(sum.inputs[0]!);
  const shape = reshape?.outputs[0]!.shape;
  if (reshape?.op !== "Reshape" || shape?.length !== 3 || !isStatic(shape)) return undefined;
  return { x: reshape.inputs[0]!, copies: shape[0] as number };
}

/** The forward with every matmul cut to the rows and columns frozen gates leave open (module comment). */
export function cutFrozen(forward: Graph, frozen: FrozenNoise): { graph: Graph; report: CutReport } {
  const patterns = zeroPatterns(forward, frozen);
  const producer = new Map<Value, Node>();
  const readers = new Map<Value, Node[]>();
  for (const n of forward.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const v of n.inputs) readers.set(v, [...(readers.get(v) ?? []), n]);
  }
  const outputs = new Set(forward.outputs);
  const params = new Set(forward.params.map((p) => p.value));
  const isMatMul = (n: Node) => n.op === "MatMul" && n.inputs[0]!.shape.length === 2 && n.inputs[1]!.shape.length === 2 && isStatic(n.inputs[1]!.shape) && n.inputs[0] !== n.inputs[1];
  const onlyReader = (v: Value): Node | undefined => {
    const r = readers.get(v) ?? [];
    return r.length === 1 && !outputs.has(v) ? r[0] : undefined;
  };
  const lastAxisConcat = (n: Node) => n.op === "Concat" && n.outputs[0]!.shape.length === 2 && (n.attrs.axis === 1 || n.attrs.axis === -1) && n.inputs.every((v) => isStatic([v.shape[1]!]));
  // h's readers can take its open columns plus a constant term: matmuls reading it as x, or Concats only such matmuls read.
  const readableCut = (h: Value) =>
    !outputs.has(h) &&
    (readers.get(h) ?? []).every((r) => (isMatMul(r) && r.inputs[0] === h) || (lastAxisConcat(r) && !outputs.has(r.outputs[0]!) && (readers.get(r.outputs[0]!) ?? []).every((m) => isMatMul(m) && m.inputs[0] === r.outputs[0])));

  const layers = new Map<Node, Layer>();
  for (const m of forward.nodes) {
    if (!isMatMul(m)) continue;
    const pattern = patterns.get(m.inputs[1]!);
    if (!pattern) continue;
    const closedColumns = zeroRowsAndColumns(pattern).columns.flatMap((z, c) => (z ? [c] : []));
    const n = m.inputs[1]!.shape[1] as number;
    if (closedColumns.length === 0 || closedColumns.length === n) continue;
    const add = onlyReader(m.outputs[0]!);
    const bias = add?.op === "Add" && add.inputs[0] === m.outputs[0] ? add.inputs[1]! : undefined;
    if (!add || !bias || !params.has(bias) || bias.shape.length !== 1 || bias.shape[0] !== n) continue;
    const next = onlyReader(add.outputs[0]!);
    const act = next && ACTIVATIONS.has(next.op) ? next : undefined;
    if (!readableCut((act ?? add).outputs[0]!)) continue;
    layers.set(m, { matmul: m, add, act, closedColumns });
  }
  const selections = closedSelections(forward, patterns, readableCut);
  const skipped = new Set<Node>([...[...layers.values()].flatMap((l) => (l.act ? [l.add, l.act] : [l.add])), ...selections.keys()]);
  const cutValues = new Set([...[...layers.values()].map((l) => (l.act ?? l.add).outputs[0]!), ...[...selections.keys()].map((n) => n.outputs[0]!)]);
  for (const n of forward.nodes) if (n.op === "Concat" && n.inputs.some((v) => cutValues.has(v))) skipped.add(n);

  const b = new Builder(forward.name, forward.doc);
  const map = declareLeaves(b, forward);
  const cuts = new Map<Value, CutUnits>();
  const report: CutReport = { matmuls: [] };
  for (const node of forward.nodes) {
    const selection = selections.get(node);
    if (selection) b.at(node.doc, () => cutSelection(b, node, selection, producer, map, cuts));
    if (skipped.has(node)) continue;
    if (!isMatMul(node)) {
      copyNode(b, forward, node, map);
      continue;
    }
    // The Add of a bias param that alone reads the product (a layer that is not cut).
    const add = onlyReader(node.outputs[0]!);
    const bias = add?.op === "Add" && add.inputs[0] === node.outputs[0] ? add.inputs[1]! : undefined;
    const biasAdd = { add: bias && params.has(bias) && bias.shape.length === 1 ? add : undefined, skip: (n: Node) => skipped.add(n) };
    const done = b.at(node.doc, () => cutMatMul(b, node, producer, patterns, layers.get(node), biasAdd, map, cuts, report));
    if (!done) copyNode(b, forward, node, map);
  }
  for (const o of forward.outputs) b.output(map.get(o)!);
  return { graph: b.finish(), report };
}

/** A field selection found in the graph: `s = x ⊙ m`, with the index of m among its inputs and the columns m leaves open. */
interface Selection {
  readonly mask: number;
  readonly openColumns: readonly number[];
}

/** The field selections `x ⊙ m` (m static, [w]) with some but not all columns closed, that only matmuls read (`readable`). */
function closedSelections(forward: Graph, patterns: ReadonlyMap<Value, Known>, readable: (v: Value) => boolean): Map<Node, Selection> {
  const out = new Map<Node, Selection>();
  for (const n of forward.nodes) {
    if (n.op !== "Mul" || n.outputs[0]!.shape.length !== 2) continue;
    const mask = n.inputs.findIndex((v) => v.shape.length === 1 && patterns.has(v));
    const x = n.inputs[1 - mask];
    if (mask < 0 || !x || patterns.has(x) || x.shape.length !== 2 || x.shape[1] !== n.inputs[mask]!.shape[0]) continue;
    const pattern = patterns.get(n.inputs[mask]!)!;
    const openColumns = [...pattern.data.keys()].filter((c) => pattern.data[c] !== 0);
    if (openColumns.length === 0 || openColumns.length === pattern.data.length || !readable(n.outputs[0]!)) continue;
    out.set(n, { mask, openColumns });
  }
  return out;
}

/**
 * s's open columns, x[:, J] ⊙ m[J]; its closed columns are 0 and leave every matmul reading s.
 * When x is a Concat whose open blocks are whole (a field's columns), x[:, J] joins those blocks
 * (its backward splits); otherwise it is a Gather along the columns, whose backward scatters.
 */
function cutSelection(b: Builder, n: Node, selection: Selection, producer: ReadonlyMap<Value, Node>, map: Map<Value, Value>, cuts: Map<Value, CutUnits>): void {
  const name = n.outputs[0]!.name;
  const input = n.inputs[1 - selection.mask]!;
  const columns = b.constant(int64Of(selection.openColumns), "int64", [selection.openColumns.length], `${name}/open_columns`);
  const m = b.gather(map.get(n.inputs[selection.mask]!)!, columns, 0, `${name}/open_mask`);
  const open = new Set(selection.openColumns);
  const concat = producer.get(input);
  let at = 0;
  const blocks = concat?.op === "Concat" && (concat.attrs.axis === 1 || concat.attrs.axis === -1) && concat.inputs.every((v) => isStatic([v.shape[1]!])) ? concat.inputs.map((v) => ({ v, from: at, to: (at += v.shape[1] as number) })) : [];
  const whole = blocks.length > 0 && blocks.every(({ from, to }) => Array.from({ length: to - from }, (_v, i) => open.has(from + i)).every((o, _i, all) => o === all[0]));
  const openBlocks = blocks.filter(({ from }) => open.has(from)).map(({ v }) => map.get(v)!);
  const x = whole ? (openBlocks.length === 1 ? openBlocks[0]! : b.concat(openBlocks, 1, `${name}/open_input`)) : b.gather(map.get(input)!, columns, 1, `${name}/open_input`);
  cuts.set(n.outputs[0]!, { open: b.mul(x, m, `${name}/open`), openColumns: selection.openColumns, closedColumns: [], closed: undefined });
}

/** An input block of a matmul: its value, where its rows of the weight start, and its width. */
interface Part {
  readonly value: Value;
  readonly offset: number;
  readonly width: number;
}

/** Builds a cut matmul (and its layer's open units, if it is a cut layer); false when nothing of it is cut. */
function cutMatMul(
  b: Builder,
  m: Node,
  producer: ReadonlyMap<Value, Node>,
  patterns: ReadonlyMap<Value, Known>,
  layer: Layer | undefined,
  biasAdd: { add: Node | undefined; skip: (n: Node) => void },
  map: Map<Value, Value>,
  cuts: Map<Value, CutUnits>,
  report: CutReport,
): boolean {
  const [x, w] = m.inputs as [Value, Value];
  const [k, n] = w.shape as [number, number];
  const concat = producer.get(x);
  const values = concat?.op === "Concat" && concat.outputs[0]!.shape.length === 2 && (concat.attrs.axis === 1 || concat.attrs.axis === -1) ? concat.inputs : [x];
  if (!values.every((v) => isStatic([v.shape[1]!]))) return false;
  let at = 0;
  const parts: Part[] = values.map((value) => ({ value, offset: at, width: ((at += value.shape[1] as number), value.shape[1] as number) }));
  const pattern = patterns.get(w);
  const zeroRows = pattern ? zeroRowsAndColumns(pattern).rows : undefined;
  const closedPart = (p: Part) => zeroRows !== undefined && zeroRows.slice(p.offset, p.offset + p.width).every((z) => z);
  const kept = parts.every(closedPart) ? parts : parts.filter((p) => !closedPart(p));
  if (kept.length === parts.length && !kept.some((p) => cuts.has(p.value)) && !layer) return false;

  const range = (from: number, count: number) => Array.from({ length: count }, (_v, i) => from + i);
  const rows = kept.flatMap((p) => cuts.get(p.value)?.openColumns.map((c) => p.offset + c) ?? range(p.offset, p.width));
  const constantRows = kept.flatMap((p) => cuts.get(p.value)?.closedColumns.map((c) => p.offset + c) ?? []);
  const closed = new Set(layer?.closedColumns ?? []);
  const columns = range(0, n).filter((c) => !closed.has(c));
  const name = m.outputs[0]!.name;
  // Constants are named by tag and shape: the matmul's name keeps equal-sized index lists apart.
  const indices = (xs: ArrayLike<number>, tag: string) => b.constant(int64Of(xs), "int64", [xs.length], `${name}/${tag}`);
  // W̃[rs, C] as one Gather of the flat weight: its backward is one ScatterAdd along axis 0 (a
  // Gather along the columns moves them to the front and back around it).
  // A weight folded from S field-selected copies (compiler/lower/connections/folded-copies.ts), W̃ =
  // ReduceSum(Reshape(X, [S, k, n]), [0]) with X [S·k, n], is read as Σ_s X[s·k + rs, C]: one Gather
  // of the flat X taking every copy's entries, shaped [S, |rs|, |C|] and summed over the copies, so
  // that slice-params.ts slices the param inside X as one [S, |rs|, |C|] block.
  const folded = foldedWeight(w, producer);
  const weightRows = (rs: readonly number[], tag: string) => {
    if (rs.length === k && columns.length === n) return map.get(w)!;
    const copies = folded ? folded.copies : 1;
    const flat = b.reshape(map.get(folded ? folded.x : w)!, [copies * k * n], `${name}/${tag}/flat`);
    const entries = new Int32Array(copies * rs.length * columns.length);
    let e = 0;
    for (let s = 0; s < copies; s++) for (const r of rs) for (const c of columns) entries[e++] = (s * k + r) * n + c;
    const picked = b.gather(flat, indices(entries, `${tag}_entries`), 0, `${name}/${tag}/entries`);
    if (!folded) return b.reshape(picked, [rs.length, columns.length], `${name}/${tag}/weight`);
    return b.reduceSum(b.reshape(picked, [copies, rs.length, columns.length], `${name}/${tag}/per_copy`), [0], false, `${name}/${tag}/weight`);
  };
  const xs = kept.map((p) => cuts.get(p.value)?.open ?? map.get(p.value)!);
  const y = b.matmul(xs.length === 1 ? xs[0]! : b.concat(xs, 1, `${name}/open_input`), weightRows(rows, "open"), `${name}/open`);
  // act(b_D) V[D, :], the same for every example (the closed units of the layers x reads): a [1, n]
  // row added to the bias the product is added to (the layer's, or the one Add of a bias param that
  // alone reads the product), else to the product.
  let constant: Value | undefined;
  if (constantRows.length > 0) {
    const closedValues = kept.flatMap((p) => cuts.get(p.value)?.closed ?? []);
    const c = closedValues.length === 1 ? closedValues[0]! : b.concat(closedValues, 0, `${name}/closed_units`);
    constant = b.matmul(b.unsqueeze(c, [0], `${name}/closed_units/row`), weightRows(constantRows, "closed"), `${name}/closed_term`);
  }
  report.matmuls.push({ name, shape: [k, n], rows, columns });
  if (!layer) {
    const add = biasAdd.add;
    if (constant && add) {
      const sum = b.add(map.get(add.inputs[1]!)!, constant, `${name}/bias_with_closed`);
      map.set(add.outputs[0]!, b.add(y, sum, add.outputs[0]!.name));
      biasAdd.skip(add);
    } else map.set(m.outputs[0]!, constant ? b.add(y, constant, `${name}/with_closed`) : y);
    return true;
  }
  // h_C = act(x W̃[:, C] + b_C); the closed units are act(b_D).
  const bias = map.get(layer.add.inputs[1]!)!;
  const activate = (v: Value, suffix: string) => (layer.act ? b.node(layer.act.op as "Relu", [v], layer.act.attrs as never, [`${layer.act.outputs[0]!.name}/${suffix}`])[0]! : v);
  const openBias = b.gather(bias, indices(columns, "open_columns"), 0, `${name}/bias/open`);
  const shift = constant ? b.add(openBias, constant, `${name}/bias/open_with_closed`) : openBias;
  const open = activate(b.add(y, shift, `${layer.add.outputs[0]!.name}/open`), "open");
  const closedUnits = activate(b.gather(bias, indices(layer.closedColumns, "closed_columns"), 0, `${name}/bias/closed`), "closed");
  cuts.set((layer.act ?? layer.add).outputs[0]!, { open, openColumns: columns, closedColumns: layer.closedColumns, closed: closedUnits });
  return true;
}
