// The verifier: run after every pass. It checks what every later stage assumes: SSA (each name
// defined once), every input defined before use, types that agree with shape inference, attributes
// in normalized form, outputs defined, and Call nodes that match their functions.

import { InvariantError, invariant } from "../source/diagnostic.js";
import { instantiate, type Graph, type Node, type Value } from "./graph.js";
import { isFloat, isStatic, sizeOf } from "./ops.js";
import { inferTypes, normalizeAttributes, typeText, type TensorType } from "./shapes.js";
import { dataHolds } from "./tensor.js";

function describe(node: Node): string {
  return `${node.op} %${node.outputs[0]?.name ?? "?"}`;
}

function sameType(a: TensorType, b: TensorType): boolean {
  return typeText(a) === typeText(b);
}

/** Problems of a graph, one sentence each; empty when it is valid. */
export function verifyGraph(graph: Graph): string[] {
  const problems: string[] = [];
  const defined = new Map<string, Value>();
  const define = (v: Value, what: string) => {
    if (defined.has(v.name)) problems.push(`The name %${v.name} is defined twice (again as ${what}).`);
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
          invariant(JSON.stringify(normalized) === JSON.stringify(node.attrs), `attributes ${JSON.stringify(node.attrs)} are not normalized`);
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
    for (const out of node.outputs) define(out, `an output of ${node.op}`);
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

/** Fails with an internal error listing every problem when a graph is not valid (`pass` names who made it). */
export function assertValid(graph: Graph, pass: string): void {
  const problems = verifyGraph(graph);
  invariant(problems.length === 0, `After ${pass}, graph ${graph.name} is not valid:\n  ${problems.join("\n  ")}`);
}
