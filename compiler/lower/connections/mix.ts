// Mixing connections add their sources up with weights: Σ_s w_s o_s over equally wide sources
// (the checker's width-mismatch guarantees the widths).

import type { Value } from "../../ir/graph.js";
import { invariant } from "../../../base/source/diagnostic.js";
import type { LowerContext } from "../context.js";
import type { ConsumerInput, SourceValue } from "./types.js";

function commonWidth(sources: readonly SourceValue[]): number {
  const width = sources[0]!.width;
  invariant(sources.every((s) => s.width === width), `Mixed sources must be equally wide: ${sources.map((s) => `${s.name} ${s.width}`).join(", ")}.`);
  return width;
}

/** Σ_s w_s o_s with one scalar weight [1] per source (l0_average, cross_stitch), named `input`. */
export function scalarMix(ctx: LowerContext, sources: readonly SourceValue[], weights: readonly Value[]): ConsumerInput {
  const { b } = ctx;
  const width = commonWidth(sources);
  if (sources.length === 1) return { x: b.mul(sources[0]!.value, weights[0]!, "input"), width };
  const terms = sources.map((s, i) => b.mul(s.value, weights[i]!, `weighted/${s.name}`));
  let x = terms[0]!;
  terms.slice(1).forEach((t, i) => (x = b.add(x, t, i === terms.length - 2 ? "input" : `partial${i}`)));
  return { x, width };
}

/** Σ_s g[:, s] o_s with per-example weights g [batch, S] (softmax_gate), named `input`. */
export function gatedMix(ctx: LowerContext, sources: readonly SourceValue[], g: Value): ConsumerInput {
  const { b } = ctx;
  const width = commonWidth(sources);
  // [batch, S, width] ⊙ [batch, S, 1], summed over S.
  const stacked = b.concat(sources.map((s) => b.unsqueeze(s.value, [1], `stack/${s.name}`)), 1, "stack");
  const weighted = b.mul(stacked, b.unsqueeze(g, [2], "gate/weights"), "weighted");
  return { x: b.reduceSum(weighted, [1], false, "input"), width };
}
