// dense: the consumer's experts read the concatenation of its sources.

import type { LowerContext } from "../context.js";
import { foldedCopies, foldedProduct } from "./folded-copies.js";
import type { ConnectionLowering, ConsumerInput, SourceValue } from "./types.js";

/** [o_1, ..., o_S] [batch, Σ width]; a single source is read as it is. */
export function concatSources(ctx: LowerContext, sources: readonly SourceValue[]): ConsumerInput {
  const width = sources.reduce((a, s) => a + s.width, 0);
  const x = sources.length === 1 ? sources[0]!.value : ctx.b.concat(sources.map((s) => s.value), 1, "input");
  return { x, width };
}

/** The dense connection; sources that are all field-selected copies of one E are read once (folded-copies.ts). */
export const dense: ConnectionLowering = (ctx, _consumer, sources) => {
  const input = concatSources(ctx, sources);
  const folded = sources.length > 1 ? foldedCopies(sources) : undefined;
  return folded ? { ...input, firstLayerGates: (out) => ({ product: (weight) => foldedProduct(ctx, folded, weight, undefined, out) }) } : input;
};
