// Merging gate samples: the training forward samples each owner's gate pack with its own
// HardConcreteSample call (compiler/lower/gates.ts), about a dozen element-wise nodes each once
// inlined, on vectors of a few hundred elements: node overhead, not arithmetic. Every call of
// one-dimensional log α and noise with the same β, γ, ζ becomes one call on all of them joined,
// whose result is split back into the calls' results (same names, so nothing downstream changes):
//   z_1, ..., z_n = Split(HardConcreteSample(Concat(log α_1..n), Concat(u_1..n), β, γ, ζ))
// The sample is element-wise, so every z is what its own call gave, bit for bit. Noise drawn per
// example, u [batch, n] against log α [n] (compiler/lower/gates.ts), joins the same way along its
// last axis, and z splits along it; calls of the two kinds are merged separately. A pack (a Concat
// of params or of noise inputs) is joined by its members, so the joined log α is a Concat of the
// params themselves: the L0 term builds the same one (compiler/lower/regularizers.ts), common-
// subexpression elimination keeps one, and the training step updates the params as one pack.

import { copyNode, declareLeaves } from "./copy.js";
import { Builder, type Graph, type Node, type Value } from "./graph.js";
import { HardConcreteSample } from "./hard-concrete.js";
import { BATCH } from "./ops.js";

/** The graph with its one-dimensional HardConcreteSample calls merged per (β, γ, ζ); unchanged when fewer than two. */
export function mergeGateSamples(graph: Graph): Graph {
  const producer = new Map<Value, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const constants = new Map(graph.constants.map((c) => [c.value, c]));
  const scalarKey = (v: Value) => {
    const c = constants.get(v);
    return c && c.data.length === 1 ? `${c.value.dtype}:${String(c.data[0])}` : v.name;
  };

  // A pack's members (the inputs of the Concat along the gate axis that made it), else the value itself.
  const members = (v: Value, axis = 0): Value[] => {
    const n = producer.get(v);
    return n && n.op === "Concat" && n.attrs.axis === axis ? n.inputs.flatMap((m) => members(m, axis)) : [v];
  };
  // The merged call runs before every other node, so it may read only params, inputs and constants.
  const leaves = (v: Value, axis = 0) => members(v, axis).every((m) => !producer.has(m));

  const groups = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    if (n.op !== "Call" || n.attrs.function !== HardConcreteSample.name) continue;
    const [logAlpha, u, ...scalars] = n.inputs as [Value, Value, ...Value[]];
    if (logAlpha.shape.length !== 1 || (u.shape.length !== 1 && !(u.shape.length === 2 && u.shape[0] === BATCH)) || typeof logAlpha.shape[0] !== "number") continue;
    if (!leaves(logAlpha) || !leaves(u, u.shape.length - 1) || !scalars.every((s) => !producer.has(s))) continue;
    const key = `${logAlpha.dtype}|${u.shape.length}|${scalars.map(scalarKey).join("|")}`;
    const list = groups.get(key);
    if (list) list.push(n);
    else groups.set(key, [n]);
  }
  const merged = [...groups.values()].filter((g) => g.length >= 2);
  if (merged.length === 0) return graph;
  const firstOf = new Map(merged.map((g) => [g[0]!, g]));
  const skipped = new Set(merged.flatMap((g) => g.slice(1)));

  const b = new Builder(graph.name, graph.doc);
  const map = declareLeaves(b, graph);
  const get = (v: Value) => map.get(v)!;
  const fn = graph.functions.find((f) => f.name === HardConcreteSample.name)!;

  merged.forEach((calls, k) => {
    const stem = merged.length === 1 ? "gates/sample" : `gates/sample${k}`;
    b.at(calls[0]!.doc, () => {
      // The gate axis: 0 for log α and per-step u, 1 for per-example u [batch, n].
      const axis = calls[0]!.inputs[1]!.shape.length - 1;
      const join = (i: number, name: string) => {
        const parts = calls.flatMap((c) => members(c.inputs[i]!, i === 0 ? 0 : axis)).map(get);
        return parts.length === 1 ? parts[0]! : b.concat(parts, i === 0 ? 0 : axis, `${stem}/${name}`);
      };
      const [, , ...scalars] = calls[0]!.inputs;
      const z = b.call(fn, [join(0, "log_alpha"), join(1, "u"), ...scalars.map(get)], [`${stem}/z`])[0]!;
      const pieces = b.split(z, axis, calls.map((c) => c.inputs[0]!.shape[0] as number), calls.map((c) => c.outputs[0]!.name));
      calls.forEach((c, i) => map.set(c.outputs[0]!, pieces[i]!));
    });
  });

  for (const node of graph.nodes) if (!skipped.has(node) && !firstOf.has(node)) copyNode(b, graph, node, map);
  for (const o of graph.outputs) b.output(get(o));
  return b.finish();
}
