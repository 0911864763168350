// A readable, diffable text form of a graph, for golden tests and debugging: one definition per
// line, in graph order, attributes sorted by name, the source location as a trailing comment.
//
//   %income/tower/dense0/out: float32[batch,32] = MatMul(%x, %income/tower/dense0/weight)  # mssm.mssm:12

import { instantiate, type Graph, type Node } from "./graph.js";
import { initText } from "./init.js";
import { typeText } from "./shapes.js";
import { dataText, SMALL_TENSOR } from "./tensor.js";

function attrValue(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(",")}]` : String(v);
}

function comment(doc: string): string {
  return doc ? `  # ${doc}` : "";
}

/** One node: `%out: type = Op<attr=value>(%in, ...)  # doc`. */
export function nodeText(node: Node): string {
  const outs = node.outputs.map((o) => `%${o.name}: ${typeText(o)}`).join(", ");
  const attrs = Object.entries(node.attrs as Record<string, unknown>)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${attrValue(v)}`);
  const ins = node.inputs.map((i) => `%${i.name}`).join(", ");
  return `${outs} = ${node.op}${attrs.length ? `<${attrs.join(", ")}>` : ""}(${ins})${comment(node.doc)}`;
}

function bodyLines(graph: Graph): string[] {
  const lines: string[] = [];
  for (const v of graph.inputs) lines.push(`input %${v.name}: ${typeText(v)}`);
  for (const p of graph.params) lines.push(`param %${p.value.name}: ${typeText(p.value)} = ${initText(p.init)} group=${p.group}${comment(p.doc)}`);
  for (const c of graph.constants) {
    const shown = c.data.length <= SMALL_TENSOR ? `[${dataText(c.data)}]` : `<${c.data.length} elements>`;
    lines.push(`const %${c.value.name}: ${typeText(c.value)} = ${shown}`);
  }
  for (const n of graph.nodes) lines.push(nodeText(n));
  for (const v of graph.outputs) lines.push(`output %${v.name}`);
  return lines.map((l) => `  ${l}`);
}

/** The whole graph, then each local function's body as instantiated by its first call. */
export function graphText(graph: Graph): string {
  const lines = [`graph ${graph.name}${comment(graph.doc)}`, ...bodyLines(graph)];
  for (const fn of graph.functions) {
    const call = graph.nodes.find((n) => n.op === "Call" && n.attrs.function === fn.name)!;
    lines.push(`function ${fn.name}${comment(fn.doc)}`, ...bodyLines(instantiate(fn, call.inputs)));
  }
  return lines.join("\n") + "\n";
}
