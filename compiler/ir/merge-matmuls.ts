// Merging sibling matmuls: several layers that read the same input x [batch, k], each with its own
// weight W_i [k, n_i] (MMoE's experts and gates, the experts of one MSSM level), become one
//   x [W_1 ... W_S] (+ [b_1 ... b_S])  split by columns into the S results,
// so onnxruntime runs one wide GEMM (and one fused bias) instead of S narrow ones, and the
// backward pass one GEMM for d x and one for d W instead of S each plus S - 1 sums of d x.
// Each result is computed exactly as before, column for column.
//
// compileSpec runs it on the training step's forward only: the eval graph keeps one matmul per
// layer, which is what export's pruning cuts blocks of (a merged weight's rows are zero only when
// every sibling's are).
//
// The weights of later siblings are usually computed after the first sibling's matmul (a gated
// weight right before its own layer); the nodes they need are moved up to the merged matmul. A
// group whose weights depend on a sibling's result is left alone.

import { invariant } from "../../base/source/diagnostic.js";
import type { Graph, Node, Value } from "./graph.js";
import { isStatic } from "./ops.js";
import { assertValid } from "./verify.js";

/** One sibling: its MatMul and, when the only reader of its result adds a bias param, that Add. */
interface Sibling {
  readonly matmul: Node;
  readonly add?: Node;
}

/** The graph with every group of two or more matmuls that share their input merged; frozen and verified. */
export function mergeSiblingMatMuls(graph: Graph): Graph {
  const params = new Set(graph.params.map((p) => p.value));
  const producer = new Map<Value, Node>();
  const readers = new Map<Value, Node[]>();
  for (const n of graph.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const v of n.inputs) {
      const r = readers.get(v);
      if (r) r.push(n);
      else readers.set(v, [n]);
    }
  }
  const outputs = new Set(graph.outputs);
  const taken = new Set<string>([...graph.inputs, ...graph.params.map((p) => p.value), ...graph.constants.map((c) => c.value), ...producer.keys()].map((v) => v.name));
  const fresh = (name: string) => {
    let out = name;
    for (let k = 1; taken.has(out); k++) out = `${name}_${k}`;
    taken.add(out);
    return out;
  };

  // Groups by shared input, in order of their first matmul.
  const groups = new Map<Value, Sibling[]>();
  for (const n of graph.nodes) {
    if (n.op !== "MatMul") continue;
    const [x, w] = n.inputs as [Value, Value];
    if (x.shape.length !== 2 || w.shape.length !== 2 || !isStatic(w.shape) || outputs.has(n.outputs[0]!)) continue;
    const r = readers.get(n.outputs[0]!) ?? [];
    const bias = r.length === 1 && r[0]!.op === "Add" && r[0]!.inputs[0] === n.outputs[0] ? r[0]!.inputs[1]! : undefined;
    // A bias param of the layer's own width (not one broadcast over it): its columns can be concatenated.
    const add = bias && params.has(bias) && bias.shape.length === 1 && bias.shape[0] === w.shape[1] ? r[0] : undefined;
    const list = groups.get(x);
    if (list) list.push({ matmul: n, ...(add ? { add } : {}) });
    else groups.set(x, [{ matmul: n, ...(add ? { add } : {}) }]);
  }

  // A group's bias Adds merge only when every sibling has one.
  const candidates = [...groups.values()].filter((g) => g.length >= 2).map((g) => (g.every((s) => s.add) ? g : g.map((s) => ({ matmul: s.matmul }))));
  const nodesOf = (g: readonly Sibling[]) => g.flatMap((s) => (s.add ? [s.matmul, s.add] : [s.matmul]));
  const members = new Set(candidates.flatMap(nodesOf));
  const merged = new Map<Node, Sibling[]>();
  for (const siblings of candidates) {
    // A weight computed from a result of any group cannot move before that group's merged matmul.
    const seen = new Set<Node>();
    const dependsOnMember = (v: Value): boolean => {
      const n = producer.get(v);
      if (!n || seen.has(n)) return false;
      seen.add(n);
      return members.has(n) || n.inputs.some(dependsOnMember);
    };
    if (siblings.some((s) => dependsOnMember(s.matmul.inputs[1]!))) continue;
    merged.set(siblings[0]!.matmul, siblings);
  }
  if (merged.size === 0) return graph;

  const replaced = new Set<Node>([...merged.values()].flatMap(nodesOf));
  const emitted = new Set<Node>();
  const nodes: Node[] = [];
  // Emits the nodes `v` needs that are not emitted yet, in their original order (depth first).
  const require = (v: Value) => {
    const n = producer.get(v);
    if (!n || emitted.has(n)) return;
    invariant(!replaced.has(n), `merge-matmuls: %${v.name} needs a merged node.`);
    n.inputs.forEach(require);
    emitted.add(n);
    nodes.push(n);
  };
  const value = (name: string, like: Value, shape: Value["shape"]): Value => ({ name: fresh(name), dtype: like.dtype, shape });

  for (const n of graph.nodes) {
    if (emitted.has(n)) continue;
    const siblings = merged.get(n);
    if (!siblings) {
      if (replaced.has(n)) continue;
      n.inputs.forEach(require);
      emitted.add(n);
      nodes.push(n);
      continue;
    }
    const [x, w0] = n.inputs as [Value, Value];
    for (const s of siblings) require(s.matmul.inputs[1]!);
    const widths = siblings.map((s) => s.matmul.inputs[1]!.shape[1] as number);
    const total = widths.reduce((a, b) => a + b, 0);
    const stem = `${x.name}/siblings`;
    const doc = n.doc;
    const weight = value(`${stem}/weight`, w0, [w0.shape[0]!, total]);
    const xw = value(`${stem}/xw`, w0, [x.shape[0]!, total]);
    const add = (node: Node) => {
      emitted.add(node);
      nodes.push(node);
    };
    add({ op: "Concat", attrs: { axis: 1 }, inputs: siblings.map((s) => s.matmul.inputs[1]!), outputs: [weight], doc });
    add({ op: "MatMul", attrs: {}, inputs: [x, weight], outputs: [xw], doc });
    let result = xw;
    const withBias = siblings.every((s) => s.add);
    if (withBias) {
      const bias = value(`${stem}/bias`, w0, [total]);
      result = value(`${stem}/pre`, w0, [x.shape[0]!, total]);
      add({ op: "Concat", attrs: { axis: 0 }, inputs: siblings.map((s) => s.add!.inputs[1]!), outputs: [bias], doc });
      add({ op: "Add", attrs: {}, inputs: [xw, bias], outputs: [result], doc });
    }
    // The siblings' own values, by columns: each reader sees the value it read before.
    add({ op: "Split", attrs: { axis: 1, sizes: widths }, inputs: [result], outputs: siblings.map((s) => (withBias ? s.add! : s.matmul).outputs[0]!), doc });
    for (const r of nodesOf(siblings)) emitted.add(r);
  }

  const out: Graph = Object.freeze({
    ...graph,
    inputs: Object.freeze(graph.inputs.slice()),
    params: Object.freeze(graph.params.slice()),
    constants: Object.freeze(graph.constants.slice()),
    nodes: Object.freeze(nodes),
    outputs: Object.freeze(graph.outputs.slice()),
    functions: Object.freeze(graph.functions.slice()),
  });
  assertValid(out, "merging sibling matmuls");
  return out;
}
