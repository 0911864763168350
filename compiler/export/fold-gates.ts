// The deterministic L0 gates of an eval graph, folded into constants for export: each
// HardConcreteGate Call becomes z = min(1, max(0, σ(log α)(ζ − γ) + γ)) of the trained log α
// (docs/design.md, "The mathematics"), computed in float32 steps as the function computes it.

import { invariant } from "../../base/source/diagnostic.js";
import type { Graph, Node, Value } from "../ir/graph.js";
import { HardConcreteGate } from "../ir/hard-concrete.js";
import { sizeOf } from "../ir/ops.js";

/** Deterministic hard-concrete gates in float32 steps, as HardConcreteGate computes them: z = min(1, max(0, σ(log α)(ζ − γ) + γ)). */
export function foldGate(logAlpha: Float32Array, gamma: number, zeta: number): Float32Array {
  const f = Math.fround;
  const width = f(f(zeta) - f(gamma));
  return logAlpha.map((a) => {
    const s = f(1 / (1 + Math.exp(-a)));
    return Math.min(1, Math.max(0, f(f(s * width) + f(gamma))));
  });
}

/** True for a node that computes deterministic gates (a Call of HardConcreteGate). */
export const isGateCall = (n: Node): boolean => n.op === "Call" && n.attrs.function === HardConcreteGate.name;

/**
 * Folds the HardConcreteGate Calls of `graph`: the gates of a Call, from its log α (one param, or a
 * pack of them concatenated along axis 0, compiler/lower/gates.ts) whose trained values `param`
 * gives, and its γ and ζ (scalar constants).
 */
export function gateFolder(graph: Graph, param: (v: Value) => Float32Array): (call: Node) => Float32Array {
  const params = new Set(graph.params.map((p) => p.value));
  const constants = new Map(graph.constants.map((c) => [c.value, c.data]));
  const producers = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const scalar = (v: Value): number => {
    const c = constants.get(v);
    invariant(c !== undefined && c.length === 1, `gate input ${v.name} is not a scalar constant`);
    return Number(c[0]);
  };
  const logAlphaOf = (v: Value): Float32Array => {
    if (params.has(v)) return param(v);
    const pack = producers.get(v);
    invariant(pack?.op === "Concat" && pack.attrs.axis === 0 && pack.inputs.every((p) => params.has(p)), `export: the log α %${v.name} is neither a param nor a pack of params`);
    const data = new Float32Array(sizeOf(v.shape as readonly number[]));
    let at = 0;
    for (const p of pack.inputs) {
      const part = param(p);
      data.set(part, at);
      at += part.length;
    }
    return data;
  };
  return (call) => {
    const [logAlpha, gamma, zeta] = call.inputs as [Value, Value, Value];
    return foldGate(logAlphaOf(logAlpha), scalar(gamma), scalar(zeta));
  };
}
