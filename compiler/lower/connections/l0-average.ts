// l0_average (SNR-Aver): the consumer reads Σ_s z_s o_s, one scalar L0 gate z_s per source, with
// no transform; its experts' MLP follows. The S gates are sampled as one pack (gates.ts): z [S],
// or [batch, S] sampled per example, where z_s [batch, 1] scales each example's o_s by its own draw.

import { l0Gates } from "../gates.js";
import { scalarMix } from "./mix.js";
import type { ConnectionLowering } from "./types.js";

/** The l0_average connection: gates in `gates/<source>` of the consumer. */
export const l0Average: ConnectionLowering = (ctx, _consumer, sources) => {
  const z = l0Gates(ctx, sources.map((s) => ({ source: s.name, shape: [1] })));
  const each = sources.length === 1 ? [z] : ctx.b.split(z, z.shape.length - 1, sources.map(() => 1), sources.map((s) => `gates/${s.name}/z`));
  return scalarMix(ctx, sources, each);
};
