// Reverse-mode automatic differentiation over the IR: appends to a graph the nodes that compute
// the gradient of a scalar loss with respect to chosen values (params and inputs alike).
//
// The rules (rules/<OpKind>.ts) each turn a node's output gradients into input gradients; this
// driver does everything else:
// - visits only nodes that lie between a differentiated value and the loss, and asks a rule only
//   for the inputs that need a gradient (so nothing dead is built);
// - sums the contributions of a value used several times (fan-out), in a fixed order;
// - fills zeros for the outputs of a multi-output node the loss does not read;
// - checks each gradient's type against its input (same element type; a shape the input
//   broadcasts to) and sums it back over the broadcast axes: ReduceSum, then Squeeze of the
//   leading axes; symbolic dimensions ("batch", "rows_<field>") work since nothing is baked;
// - differentiates a Call by running the same pass over the function body (rules/Call.ts),
//   recomputing the body values the body's rules read;
// - names: the gradient of forward value v is `grad/<v>`; intermediate values live under
//   `backward/<forward node's first output>/...`. Names are given at the end (a gradient is known
//   to be a value's total only once all its uses are seen), by a rename of the finished graph.

import { Builder, type Graph, type Node, type Value } from "../ir/graph.js";
import { isFloat } from "../ir/ops.js";
import { typeText, type PrimitiveOpKind, type TensorType } from "../ir/shapes.js";
import { assertValid } from "../ir/verify.js";
import { invariant } from "../../base/source/diagnostic.js";
import { zeros } from "./helpers.js";
import type { GradContext, GradRule, Keeps } from "./rule.js";
import { GRAD_RULES } from "./rules/index.js";

/** The name prefix of every gradient of a forward value. */
export const GRAD_PREFIX = "grad/";
/** The scope of the backward pass's intermediate values. */
export const BACKWARD_SCOPE = "backward";

/** What `grad` returns. */
export interface Gradients {
  /** The input graph with the backward nodes appended; inputs, params and outputs unchanged. */
  readonly graph: Graph;
  /** d loss / d wrt[i], named `grad/<wrt[i]>`, of wrt[i]'s type (zeros where the loss does not depend on it). */
  readonly gradients: readonly Value[];
  /** The forward values backward nodes read (what a split forward/backward would carry across), in graph order. */
  readonly saved: readonly Value[];
}

/** One graph level of the reverse pass: the caller's graph, or a function body inside a Call's rule. */
interface Level {
  readonly nodes: readonly Node[];
  readonly functions: Graph["functions"];
  /** The value of the graph being built that holds this level's forward value. */
  readonly forward: (v: Value) => Value;
  /** Told, before any rule runs, which forward values the rules will read (a body recomputes them). */
  readonly prepare?: (kept: ReadonlySet<Value>) => void;
  /** Told each forward value's total gradient once it is final. */
  readonly onTotal?: (v: Value, g: Value) => void;
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_v, i) => from + i);

function allows(keeps: Keeps["inputs"], i: number): boolean {
  return keeps === "all" || (keeps ?? []).includes(i);
}

/**
 * A rule's gradient for an input of type x, summed back to x's shape. The contract: the same
 * element type, and a shape x broadcasts to (x's dims aligned at the end, each equal or 1).
 */
function fitTo(b: Builder, g: Value, x: TensorType, what: string): Value {
  const lead = g.shape.length - x.shape.length;
  invariant(
    g.dtype === x.dtype && lead >= 0 && x.shape.every((d, i) => d === g.shape[lead + i] || d === 1),
    `${what} is ${typeText(g)}, which does not fit the input's type ${typeText(x)}.`,
  );
  const leading = range(0, lead);
  const spread = x.shape.flatMap((d, i) => (d === 1 && g.shape[lead + i] !== 1 ? [lead + i] : []));
  if (spread.length === 0) return leading.length ? b.reduceSum(g, leading, false) : g;
  const summed = b.reduceSum(g, [...leading, ...spread], true);
  return leading.length ? b.squeeze(summed, leading) : summed;
}

/** What the reverse pass over one level visits: a function of the nodes, the seeds and `wrt` only. */
interface Analysis {
  /** Nodes on a path from a differentiated value to a seed that have a rule, in forward order. */
  readonly active: readonly Node[];
  /** Which inputs of each active node need a gradient. */
  readonly needs: ReadonlyMap<Node, readonly boolean[]>;
  /** The forward values the active nodes' rules read. */
  readonly kept: ReadonlySet<Value>;
}

/** The analysis of one level (see Analysis). */
function analyze(nodes: readonly Node[], seeds: Iterable<Value>, wrt: readonly Value[]): Analysis {
  // Nodes with an output on a path to a seed.
  const reaches = new Set<Value>(seeds);
  const live = new Set<Node>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => reaches.has(o))) continue;
    live.add(n);
    for (const v of n.inputs) reaches.add(v);
  }
  // Values computed from a differentiated one.
  const depends = new Set<Value>(wrt);
  for (const n of nodes) if (n.inputs.some((v) => depends.has(v))) for (const o of n.outputs) depends.add(o);
  // Which inputs of each active node need a gradient, found once per node (a ~40k-node forward).
  const needs = new Map<Node, boolean[]>();
  const active: Node[] = [];
  const kept = new Set<Value>();
  for (const n of nodes) {
    if (!live.has(n) || GRAD_RULES[n.op] === "not-differentiable") continue;
    let any = false;
    const need = n.inputs.map((v) => {
      const x = depends.has(v) && isFloat(v.dtype);
      any ||= x;
      return x;
    });
    if (!any) continue;
    active.push(n);
    needs.set(n, need);
    const { keeps } = GRAD_RULES[n.op] as GradRule<typeof n.op>;
    n.inputs.forEach((v, i) => allows(keeps.inputs, i) && kept.add(v));
    n.outputs.forEach((v, i) => allows(keeps.outputs, i) && kept.add(v));
  }
  return { active, needs, kept };
}

/**
 * The reverse pass over one level: gradients of the seeds' values (seed value -> its gradient)
 * with respect to each of `wrt`, undefined where no path leads from it to a seed. `analysis`,
 * when given, is analyze(level.nodes, seeds.keys(), wrt), cached by the caller.
 */
function backprop(b: Builder, level: Level, seeds: ReadonlyMap<Value, Value>, wrt: readonly Value[], analysis?: Analysis): (Value | undefined)[] {
  const { active, needs: needsOf, kept } = analysis ?? analyze(level.nodes, seeds.keys(), wrt);
  level.prepare?.(kept);

  const pending = new Map<Value, Value[]>([...seeds].map(([v, g]) => [v, [g]]));
  const totals = new Map<Value, Value | undefined>();
  const total = (v: Value): Value | undefined => {
    if (totals.has(v)) return totals.get(v);
    const parts = pending.get(v);
    const g = parts?.reduce((sum, part) => b.add(sum, part));
    totals.set(v, g);
    if (g) level.onTotal?.(v, g);
    return g;
  };

  for (let k = active.length - 1; k >= 0; k--) {
    const n = active[k]!;
    b.scope(n.outputs[0]!.name, () => {
      const dys = n.outputs.map(total);
      if (dys.every((g) => g === undefined)) return;
      const rule = GRAD_RULES[n.op] as GradRule<typeof n.op>;
      const filled = dys.map((g, i) => g ?? zeros(b, n.outputs[i]!));
      const needs = needsOf.get(n)!;
      const fn = n.op === "Call" ? level.functions.find((f) => f.name === n.attrs.function) : undefined;
      const ctx: GradContext<typeof n.op> = {
        b,
        attrs: n.attrs,
        inputs: n.inputs,
        outputs: n.outputs,
        dy: filled[0]!,
        dys: filled,
        fn,
        x: (i) => {
          invariant(allows(rule.keeps.inputs, i) && i < n.inputs.length, `The gradient rule of ${n.op} reads input ${i} without keeping it.`);
          return level.forward(n.inputs[i]!);
        },
        y: (i) => {
          invariant(allows(rule.keeps.outputs, i) && i < n.outputs.length, `The gradient rule of ${n.op} reads output ${i} without keeping it.`);
          return level.forward(n.outputs[i]!);
        },
        differentiate: (body) => differentiateBody(b, body, n.inputs.map(level.forward), n.outputs.map(level.forward), filled, needs),
      };
      const grads = rule.grad(ctx);
      invariant(grads.length === n.inputs.length, `The gradient rule of ${n.op} gave ${grads.length} gradient(s) for ${n.inputs.length} input(s).`);
      n.inputs.forEach((v, i) => {
        const g = needs[i] ? grads[i]?.() : undefined;
        if (!g) return;
        const part = fitTo(b, g, v, `The gradient rule of ${n.op} (%${n.outputs[0]!.name}) for input ${i} (%${v.name})`);
        const parts = pending.get(v);
        if (parts) parts.push(part);
        else pending.set(v, [part]);
      });
    });
  }
  return wrt.map((v) => b.scope(v.name, () => total(v)));
}

/**
 * The analysis of function bodies, by body and by which inputs need a gradient. `instantiate`
 * returns one body per function and input types, so the ~2,600 Calls of the 500-field spec's
 * expected-L0 terms share one analysis.
 */
const bodyAnalyses = new WeakMap<Graph, Map<string, Analysis>>();

/** analyze(body.nodes, body.outputs, wrt), cached; `wrt` is body.inputs where `needs`. */
function bodyAnalysis(body: Graph, needs: readonly boolean[], wrt: readonly Value[]): Analysis {
  let byNeeds = bodyAnalyses.get(body);
  if (!byNeeds) bodyAnalyses.set(body, (byNeeds = new Map()));
  const key = needs.map((x) => (x ? "1" : "0")).join("");
  let analysis = byNeeds.get(key);
  if (!analysis) byNeeds.set(key, (analysis = analyze(body.nodes, body.outputs, wrt)));
  return analysis;
}

/**
 * The gradients of a function body's inputs (instantiated for a Call's inputs) given the
 * gradients of its outputs, built in the caller's graph. Body values that the body's rules read
 * are recomputed there from the call's inputs, under `<scope>/forward/`.
 */
function differentiateBody(
  b: Builder,
  body: Graph,
  callInputs: readonly Value[],
  callOutputs: readonly Value[],
  dys: readonly Value[],
  needs: readonly boolean[],
): (Value | undefined)[] {
  const held = new Map<Value, Value>();
  body.inputs.forEach((v, i) => held.set(v, callInputs[i]!));
  body.outputs.forEach((v, i) => held.set(v, callOutputs[i]!));
  for (const c of body.constants) held.set(c.value, b.constant(c.data, c.value.dtype, c.value.shape, c.value.name.split("#")[1]));

  const recompute = (kept: ReadonlySet<Value>) => {
    const wanted = new Set([...kept].filter((v) => !held.has(v)));
    const redo = new Set<Node>();
    for (let i = body.nodes.length - 1; i >= 0; i--) {
      const n = body.nodes[i]!;
      if (!n.outputs.some((o) => wanted.has(o))) continue;
      redo.add(n);
      for (const v of n.inputs) if (!held.has(v)) wanted.add(v);
    }
    b.scope("forward", () => {
      for (const n of body.nodes.filter((m) => redo.has(m))) {
        // Body names read best; fall back to generated ones if one is taken in this scope.
        const free = n.outputs.every((o) => b.lookup(b.qualify(o.name)) === undefined);
        const made = b.node(n.op as PrimitiveOpKind, n.inputs.map((v) => held.get(v)!), n.attrs as never, free ? n.outputs.map((o) => o.name) : undefined);
        n.outputs.forEach((o, i) => held.has(o) || held.set(o, made[i]!));
      }
    });
  };

  const level: Level = {
    nodes: body.nodes,
    functions: body.functions,
    forward: (v) => {
      const h = held.get(v);
      invariant(h !== undefined, `Body value %${v.name} of ${body.name} was read by a gradient rule without being kept.`);
      return h;
    },
    prepare: recompute,
  };
  const seeds = new Map(body.outputs.map((o, i) => [o, dys[i]!]));
  const wrt = body.inputs.filter((_v, i) => needs[i]);
  const grads = backprop(b, level, seeds, wrt, bodyAnalysis(body, needs, wrt));
  return body.inputs.map((v) => (wrt.includes(v) ? grads[wrt.indexOf(v)] : undefined));
}

/**
 * The graph with these values (node outputs only) renamed; nodes that touch none are shared.
 * Only nodes from `firstNew` on can touch one (the renamed values are all backward values).
 */
function renamed(graph: Graph, names: ReadonlyMap<Value, string>, firstNew: number): { graph: Graph; map: (v: Value) => Value } {
  const replaced = new Map<Value, Value>();
  for (const [v, name] of names) replaced.set(v, { name, dtype: v.dtype, shape: v.shape });
  const map = (v: Value) => replaced.get(v) ?? v;
  const touches = (vs: readonly Value[]) => {
    for (const v of vs) if (replaced.has(v)) return true;
    return false;
  };
  const nodes = graph.nodes.slice();
  for (let i = firstNew; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (touches(n.inputs) || touches(n.outputs)) nodes[i] = { ...n, inputs: n.inputs.map(map), outputs: n.outputs.map(map) } as Node;
  }
  return { graph: { ...graph, nodes, outputs: graph.outputs.map(map) }, map };
}

/** How `grad` runs. */
export interface GradOptions {
  /**
   * Verify the returned graph (default true). A caller that builds on the result and verifies
   * its own finished graph (the training step) turns it off: on a ~130k-node step each full
   * verification costs ~0.3 s.
   */
  readonly verify?: boolean;
}

/**
 * Appends the backward pass of `graph` for the scalar float `loss` and returns the gradient of
 * the loss with respect to each of `wrt` (float params or inputs, e.g. gathered embedding rows).
 */
export function grad(graph: Graph, loss: Value, wrt: readonly Value[], options: GradOptions = {}): Gradients {
  const b = Builder.extend(graph);
  invariant(b.lookup(loss.name) === loss, `The loss %${loss.name} is not a value of graph ${graph.name}.`);
  invariant(isFloat(loss.dtype) && loss.shape.length === 0, `The loss %${loss.name} must be a float scalar, not ${typeText(loss)}.`);
  for (const v of wrt) invariant(b.lookup(v.name) === v && isFloat(v.dtype), `Cannot differentiate with respect to %${v.name}: not a float value of graph ${graph.name}.`);
  invariant(new Set(wrt).size === wrt.length, "A value to differentiate with respect to is listed twice.");
  const forwardValues = [...graph.inputs, ...graph.params.map((p) => p.value), ...graph.nodes.flatMap((n) => n.outputs)];
  const backwardPrefix = `${BACKWARD_SCOPE}/`;
  const clash = forwardValues.find((v) => v.name.startsWith(GRAD_PREFIX) || v.name.startsWith(backwardPrefix));
  invariant(clash === undefined, `Value %${clash?.name} uses a name reserved for gradients.`);

  const firstNew = graph.nodes.length;
  const totals: [Value, Value][] = [];
  const level: Level = { nodes: graph.nodes, functions: graph.functions, forward: (v) => v, onTotal: (v, g) => totals.push([v, g]) };
  const seed = b.constant(1, loss.dtype);
  const gradients = b.scope(BACKWARD_SCOPE, () => {
    const found = backprop(b, level, new Map([[loss, seed]]), wrt);
    return wrt.map((v, i) => found[i] ?? b.scope(v.name, () => zeros(b, v)));
  });

  // Names: each wrt gets `grad/<name>` (via an Identity when its gradient is not a fresh value
  // of its own), then every other forward value's total gradient that is still unnamed.
  const created = new Set<Value>();
  for (let i = firstNew; i < b.graph.nodes.length; i++) for (const o of b.graph.nodes[i]!.outputs) created.add(o);
  const names = new Map<Value, string>();
  const named = gradients.map((g, i) => {
    const own = created.has(g) && !names.has(g) ? g : b.scope(BACKWARD_SCOPE, () => b.identity(g));
    names.set(own, GRAD_PREFIX + wrt[i]!.name);
    return own;
  });
  for (const [v, g] of totals) if (created.has(g) && !names.has(g)) names.set(g, GRAD_PREFIX + v.name);

  const out = renamed(b.graph, names, firstNew);
  if (options.verify ?? true) assertValid(out.graph, "autodiff");
  const read = new Set<Value>();
  for (let i = firstNew; i < b.graph.nodes.length; i++) for (const v of b.graph.nodes[i]!.inputs) read.add(v);
  return { graph: out.graph, gradients: named.map(out.map), saved: forwardValues.filter((v) => read.has(v)) };
}
