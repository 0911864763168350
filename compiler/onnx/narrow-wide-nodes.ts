// Narrowing wide nodes for a target that limits the tensors one node touches (compiler/onnx/
// target.ts): a Split with more outputs, or a Concat with more inputs, than the limit allows
// becomes a tree of narrower ones that computes the same tensor element for element:
//   Split(x) -> y_1 .. y_N   becomes   Split(x) -> p_1 .. p_F, Split(p_j) -> its y's, ...
//   Concat(x_1 .. x_N)       becomes   Concat(Concat(x_1 .. x_k), ..., Concat(.. x_N))
// with F = limit - 1 pieces per node and consecutive, near-equal groups, so the tree is
// ceil(log_F N) deep. The training step packs every parameter into one tensor and splits it into
// hundreds (and concatenates as many gradients), which is what this is for. Only the graph's own
// nodes are rewritten: function bodies (eval.onnx's gates) hold no wide nodes.

import type { Graph, Node, Value } from "../ir/graph.js";
import { joinDims } from "../ir/shapes.js";
import { assertValid } from "../ir/verify.js";
import type { Target } from "./target.js";

/** Makes names not yet used in the graph, from a wanted name. */
type Fresh = (name: string) => string;

/** How to narrow one op: its nodes, as at most `fanOut` tensors on the wide side each; undefined leaves the node as it is. */
interface NarrowRule {
  readonly narrow: (node: Node, fanOut: number, fresh: Fresh) => Node[] | undefined;
}

/** `items` cut into at most `parts` consecutive groups whose sizes differ by at most one. */
function groups<T>(items: readonly T[], parts: number): T[][] {
  const n = Math.min(parts, items.length);
  const out: T[][] = [];
  for (let j = 0, start = 0; j < n; j++) {
    const size = Math.floor(items.length / n) + (j < items.length % n ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}

/** A value like `like` whose `axis` has size `dim`. */
function withDim(name: string, like: Value, axis: number, dim: Value["shape"][number]): Value {
  return { name, dtype: like.dtype, shape: like.shape.map((d, i) => (i === axis ? dim : d)) };
}

/** Split: the input is cut into F pieces first, each piece into its outputs (recursively). Symbolic sizes are left alone: the emitter finds a run-time size by its symbol, and a piece's would be a new one. */
function narrowSplit(node: Node & { op: "Split" }, fanOut: number, fresh: Fresh): Node[] | undefined {
  const { axis, sizes } = node.attrs;
  if (!sizes.every((s) => typeof s === "number")) return undefined;
  const split = (x: Value, outputs: readonly Value[], sizes: readonly number[]): Node[] => {
    if (outputs.length <= fanOut) return [{ op: "Split", attrs: { axis, sizes }, inputs: [x], outputs, doc: node.doc }];
    const parts = groups(
      outputs.map((o, i) => ({ o, size: sizes[i]! })),
      fanOut,
    );
    const pieces = parts.map((p, j) => (p.length === 1 ? p[0]!.o : withDim(fresh(`${x.name}/part${j}`), x, axis, p.reduce((a, q) => a + q.size, 0))));
    const top: Node = { op: "Split", attrs: { axis, sizes: pieces.map((v) => v.shape[axis] as number) }, inputs: [x], outputs: pieces, doc: node.doc };
    return [top, ...parts.flatMap((p, j) => (p.length === 1 ? [] : split(pieces[j]!, p.map((q) => q.o), p.map((q) => q.size))))];
  };
  return split(node.inputs[0]!, node.outputs, sizes as number[]);
}

/** Concat: groups of inputs are joined first, then the groups' results (recursively). */
function narrowConcat(node: Node & { op: "Concat" }, fanOut: number, fresh: Fresh): Node[] {
  const { axis } = node.attrs;
  const concat = (inputs: readonly Value[], out: Value): Node[] => {
    if (inputs.length <= fanOut) return [{ op: "Concat", attrs: { axis }, inputs, outputs: [out], doc: node.doc }];
    const parts = groups(inputs, fanOut);
    const joined = parts.map((p, j) => (p.length === 1 ? p[0]! : withDim(fresh(`${out.name}/part${j}`), out, axis, joinDims(p.map((v) => v.shape[axis]!)))));
    return [...parts.flatMap((p, j) => (p.length === 1 ? [] : concat(p, joined[j]!))), { op: "Concat", attrs: { axis }, inputs: joined, outputs: [out], doc: node.doc }];
  };
  return concat(node.inputs, node.outputs[0]!);
}

/** The ops that can be narrowed, each with its rule. */
const RULES: Partial<Record<Node["op"], NarrowRule>> = {
  Split: { narrow: (node, fanOut, fresh) => narrowSplit(node as Node & { op: "Split" }, fanOut, fresh) },
  Concat: { narrow: (node, fanOut, fresh) => narrowConcat(node as Node & { op: "Concat" }, fanOut, fresh) },
};

/** The graph with every node wider than the target allows narrowed; the graph itself when the target has no limit or nothing is too wide. */
export function narrowWideNodes(graph: Graph, target: Target): Graph {
  const limit = target.maxNodeTensors;
  if (limit === undefined) return graph;
  const fanOut = limit - 1;
  const taken = new Set<string>([...graph.inputs, ...graph.params.map((p) => p.value), ...graph.constants.map((c) => c.value), ...graph.nodes.flatMap((n) => n.outputs)].map((v) => v.name));
  const fresh: Fresh = (name) => {
    let out = name;
    for (let k = 1; taken.has(out); k++) out = `${name}_${k}`;
    taken.add(out);
    return out;
  };
  let changed = false;
  const nodes = graph.nodes.flatMap((node) => {
    const rule = RULES[node.op];
    const narrowed = rule && node.inputs.length + node.outputs.length > limit ? rule.narrow(node, fanOut, fresh) : undefined;
    if (!narrowed) return [node];
    changed = true;
    return narrowed;
  });
  if (!changed) return graph;
  const out: Graph = Object.freeze({ ...graph, nodes: Object.freeze(nodes) });
  assertValid(out, "narrowing wide nodes");
  return out;
}
