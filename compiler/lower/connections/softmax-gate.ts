// softmax_gate (MMoE, CGC, PLE): the consumer reads Σ_s g_s o_s with g = softmax(q W + b) over its
// sources, q the gate's query (plan.ts, Query): the input at stage 0 for MMoE and CGC, the previous
// level's mixture for the consumer's task in PLE's later levels.

import type { LowerContext } from "../context.js";
import { gatedMix } from "./mix.js";
import type { ConnectionLowering } from "./types.js";

/** The softmax_gate connection: params `gate/weight` [query width, S] and `gate/bias` [S]. */
export const softmaxGate: ConnectionLowering = (ctx: LowerContext, _consumer, sources, query) => {
  const { b } = ctx;
  const q = query();
  const qWidth = q.shape[1];
  const g = b.scope("gate", () => {
    const weight = b.param("weight", [qWidth as number, sources.length], { kind: "glorot_uniform" });
    ctx.weights.push(weight);
    const bias = b.param("bias", [sources.length], { kind: "zeros" });
    return b.softmax(b.add(b.matmul(q, weight, "xw"), bias, "logits"), 1, "probs");
  });
  return gatedMix(ctx, sources, g);
};
