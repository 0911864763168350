// The verifier: run after every pass. It checks what every later stage assumes: SSA (each name
// defined once), every input defined before use, types that agree with shape inference, attributes
// in normalized form, outputs defined, and Call nodes that match their functions.
//
// A graph is verified once: `Builder.finish` verifies the frozen graph it returns and remembers
// it, and `assertValid` remembers any frozen graph it passed, so later calls (emission, ...) skip it. A whole training step of the 500-field spec has
// ~130k nodes and takes ~0.3 s to verify.

import { InvariantError, invariant } from "../../base/source/diagnostic.js";
import { instantiate, type Graph, type Node, type Value } from "./graph.js";
import { isFloat, isStatic, sizeOf } from "./ops.js";
import { inferTypes, normalizeAttributes, typeText, type TensorType } from "./shapes.js";
import { dataHolds } from "./tensor.js";

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

/** Graphs known to be valid: frozen snapshots that `Builder.finish` verified. */
const known = new WeakSet<Graph>();

/** True when the graph and its lists are frozen, so that being valid once means valid for good. */
function isFrozenGraph(graph: Graph): boolean {
  return Object.isFrozen(graph) && [graph.inputs, graph.params, graph.constants, graph.nodes, graph.outputs, graph.functions].every(Object.isFrozen);
}

/** Records a verified, frozen graph so that later `assertValid` calls skip it (used by `Builder.finish`). */
export function rememberValid(graph: Graph): void {
  invariant(isFrozenGraph(graph), `Graph ${graph.name} can only be remembered as valid once frozen.`);
  known.add(graph);
}

/** Problems of a graph, one sentence each; empty when it is valid. */
export function verifyGraph(graph: Graph): string[] {
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

/**
 * Fails with an internal error listing every problem when a graph is not valid (`pass` names who
 * made it). A graph `Builder.finish` returned was verified then and is not verified again.
 */
export function assertValid(graph: Graph, pass: string): void {
  if (known.has(graph)) return;
  const problems = verifyGraph(graph);
  invariant(problems.length === 0, `After ${pass}, graph ${graph.name} is not valid:\n  ${problems.join("\n  ")}`);
  // A pass that freezes the graph it returns (Object.freeze on it and its lists) gets it verified once.
  if (isFrozenGraph(graph)) known.add(graph);
}
