// dense: the consumer's experts read the concatenation of its sources.

import type { LowerContext } from "../context.js";
import type { ConnectionLowering, ConsumerInput, SourceValue } from "./types.js";

/** [o_1, ..., o_S] [batch, Σ width]; a single source is read as it is. */
export function concatSources(ctx: LowerContext, sources: readonly SourceValue[]): ConsumerInput {
  const width = sources.reduce((a, s) => a + s.width, 0);
  const x = sources.length === 1 ? sources[0]!.value : ctx.b.concat(sources.map((s) => s.value), 1, "input");
  return { x, width };
}

/** The dense connection. */
export const dense: ConnectionLowering = (ctx, _consumer, sources) => concatSources(ctx, sources);
