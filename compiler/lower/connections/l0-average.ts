// l0_average (SNR-Aver): the consumer reads Σ_s z_s o_s, one scalar L0 gate z_s per source, with
// no transform; its experts' MLP follows.

import { l0Gate } from "../gates.js";
import { scalarMix } from "./mix.js";
import type { ConnectionLowering } from "./types.js";

/** The l0_average connection: gates in `gates/<source>` of the consumer. */
export const l0Average: ConnectionLowering = (ctx, _consumer, sources) =>
  scalarMix(ctx, sources, sources.map((s) => l0Gate(ctx, s.name, [1])));
