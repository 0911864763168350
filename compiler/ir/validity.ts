// What a valid graph is, checked after every pass: SSA (each name defined once), every input
// defined before use, types that agree with shape inference, attributes in normalized form,
// outputs defined, and Call nodes that match their functions. Also which frozen graphs are known
// to be valid, so that one is verified once.
//
// The checks read a graph's data only; what a Call node's function gives is asked of the caller
// (`instantiate` in graph.ts), so this module needs no builder and graph.ts can use it.

import { InvariantError, invariant } from "../../base/source/diagnostic.js";
import type { Constant, Node, Param, Value } from "./graph-data.js";
import { isFloat, isStatic, sizeOf } from "./ops.js";
import { inferTypes, normalizeAttributes, typeText, type TensorType } from "./shapes.js";
import { dataHolds } from "./tensor.js";

/** A graph as the checks read it; its local functions `F` are known here by name only. */
export interface GraphContents<F extends { readonly name: string }> {
  readonly name: string;
  readonly inputs: readonly Value[];
  readonly params: readonly Param[];
  readonly constants: readonly Constant[];
  readonly nodes: readonly Node[];
  readonly outputs: readonly Value[];
  readonly functions: readonly F[];
}

/** A function's body for inputs of these types, as far as checking a Call needs it: its outputs. */
export type Instantiate<F> = (fn: F, types: readonly TensorType[]) => { readonly outputs: readonly TensorType[] };

function describe(node: Node): string {
  return `${node.op} %${node.outputs[0]?.name ?? "?"}`;
}

function sameType(a: TensorType, b: TensorType): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length) return false;
  for (let i = 0; i < a.shape.length; i++) if (a.shape[i] !== b.shape[i]) return false;
  return true;
}

/** Equal attribute records (numbers, booleans, strings and arrays of them), as their JSON would be. */
function sameAttributes(a: object, b: object): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    // Key order counts: the JSON comparison this replaces saw it too.
    if (k !== kb[i]) return false;
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (x === y) continue;
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length || x.some((v, j) => v !== y[j])) return false;
  }
  return true;
}

/** Problems of a graph, one sentence each, with Call nodes typed by `instantiate`; empty when it is valid. */
export function graphProblems<F extends { readonly name: string }>(graph: GraphContents<F>, instantiate: Instantiate<F>): string[] {
  const problems: string[] = [];
  const defined = new Map<string, Value>();
  // `what` is a node for its outputs, so the sentence is only written for a problem.
  const define = (v: Value, what: string | Node) => {
    if (defined.has(v.name)) problems.push(`The name %${v.name} is defined twice (again as ${typeof what === "string" ? what : `an output of ${what.op}`}).`);
    else defined.set(v.name, v);
  };

  for (const v of graph.inputs) define(v, "an input");
  for (const p of graph.params) {
    define(p.value, "a param");
    if (!isFloat(p.value.dtype) || !isStatic(p.value.shape)) problems.push(`Param %${p.value.name} must be a float tensor of static shape, not ${typeText(p.value)}.`);
  }
  for (const c of graph.constants) {
    define(c.value, "a constant");
    const { dtype, shape } = c.value;
    if (!dataHolds(dtype, c.data) || !isStatic(shape) || sizeOf(shape) !== c.data.length) {
      problems.push(`Constant %${c.value.name}: its data does not fill ${typeText(c.value)}.`);
    }
  }

  const functions = new Map(graph.functions.map((f) => [f.name, f]));
  if (functions.size !== graph.functions.length) problems.push("Two functions have the same name.");
  const called = new Set<string>();

  for (const node of graph.nodes) {
    let usable = true;
    for (const v of node.inputs) {
      const d = defined.get(v.name);
      if (!d) {
        problems.push(`${describe(node)}: input %${v.name} is not defined before this node.`);
        usable = false;
      } else if (d !== v) {
        problems.push(`${describe(node)}: input %${v.name} is not the value defined under that name.`);
        usable = false;
      }
    }
    if (usable) {
      try {
        let expected: TensorType[];
        if (node.op === "Call") {
          const fn = functions.get(node.attrs.function);
          invariant(fn !== undefined, `function ${node.attrs.function} is not in the graph's functions`);
          called.add(fn.name);
          expected = [...instantiate(fn, node.inputs).outputs];
        } else {
          const normalized = normalizeAttributes(node.op, node.attrs, node.inputs);
          if (!sameAttributes(normalized, node.attrs)) invariant(false, `attributes ${JSON.stringify(node.attrs)} are not normalized`);
          expected = inferTypes(node.op, node.attrs, node.inputs);
        }
        if (expected.length !== node.outputs.length) {
          problems.push(`${describe(node)}: has ${node.outputs.length} output(s), the op gives ${expected.length}.`);
        }
        node.outputs.forEach((out, i) => {
          const e = expected[i];
          if (e && !sameType(out, e)) problems.push(`${describe(node)}: output %${out.name} is ${typeText(out)}, the op gives ${typeText(e)}.`);
        });
      } catch (e) {
        if (!(e instanceof InvariantError)) throw e;
        const message = e.message.startsWith(`${node.op}: `) ? e.message.slice(node.op.length + 2) : e.message;
        problems.push(`${describe(node)}: ${message}`);
      }
    }
    for (const out of node.outputs) define(out, node);
  }

  const seen = new Set<string>();
  for (const out of graph.outputs) {
    if (defined.get(out.name) !== out) problems.push(`Graph output %${out.name} is not defined.`);
    if (seen.has(out.name)) problems.push(`Graph output %${out.name} is listed twice.`);
    seen.add(out.name);
  }
  for (const f of graph.functions) if (!called.has(f.name)) problems.push(`Function ${f.name} is never called.`);
  return problems;
}

/** Graphs known to be valid: frozen snapshots that were verified. */
const known = new WeakSet<object>();

/** True when the graph and its lists are frozen, so that being valid once means valid for good. */
export function isFrozenGraph(graph: GraphContents<{ readonly name: string }>): boolean {
  return Object.isFrozen(graph) && [graph.inputs, graph.params, graph.constants, graph.nodes, graph.outputs, graph.functions].every(Object.isFrozen);
}

/** Records a verified, frozen graph so that later checks skip it. */
export function rememberValid(graph: GraphContents<{ readonly name: string }>): void {
  invariant(isFrozenGraph(graph), `Graph ${graph.name} can only be remembered as valid once frozen.`);
  known.add(graph);
}

/** True for a graph remembered as valid. */
export function isKnownValid(graph: object): boolean {
  return known.has(graph);
}
