// cross_stitch (Misra et al. 2016): the consumer reads Σ_s α_s o_s with one learned scalar per
// (consumer, source) pair, initialised near the identity: 0.9 on its own column and 0.1 / (S - 1)
// on each other one.

import type { Init } from "../../ir/init.js";
import { scalarMix } from "./mix.js";
import type { ConnectionLowering, SourceValue } from "./types.js";

/** Weight of a consumer's own column(s) at initialisation. */
export const CROSS_STITCH_OWN = 0.9;
/** Weight of the other columns together at initialisation (written out: 1 - 0.9 is not 0.1 in floats). */
export const CROSS_STITCH_OTHERS = 0.1;

/**
 * Initial α of each source: 0.9 shared by the consumer's own sources and 0.1 by the others;
 * uniform when every source, or none, is its own.
 */
export function crossStitchInit(ownGroup: string, sources: readonly { group: string }[]): number[] {
  const own = sources.filter((s) => s.group === ownGroup).length;
  const others = sources.length - own;
  if (own === 0 || others === 0) return sources.map(() => 1 / sources.length);
  return sources.map((s) => (s.group === ownGroup ? CROSS_STITCH_OWN / own : CROSS_STITCH_OTHERS / others));
}

/** The cross_stitch connection: params `cross_stitch/<source>/alpha` [1]. */
export const crossStitch: ConnectionLowering = (ctx, consumer, sources: readonly SourceValue[]) => {
  const { b } = ctx;
  const init = crossStitchInit(consumer.name, consumer.reads.map((r) => r.producer));
  const alphas = sources.map((s, i) => {
    const value: Init = { kind: "constant", value: init[i]! };
    return b.param(`cross_stitch/${s.name}/alpha`, [1], value);
  });
  return scalarMix(ctx, sources, alphas);
};
