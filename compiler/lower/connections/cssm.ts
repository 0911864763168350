// cssm (MSSM's CSSM; SNR-Trans with block gates): an expert's first layer is
//   pre = Σ_s (o_s W_s) ⊙ z_s + b
// with L0 gates z_s per output cell [out] (cell), per block [1] (block) or per weight [in_s, out]
// (weight). Gating the columns of W_s equals gating the outputs o_s W_s, so the layer is one
// matmul:  W_eff = W ⊙ [z_1; ...; z_S] (each z_s broadcast to [in_s, out], stacked by rows),
//   pre = [o_1, ..., o_S] W_eff + b,
// where W [Σ in_s, out] is the first layer's ordinary `dense0/weight` (the blocks W_s are its rows).

import { cssmGateShape } from "../plan.js";
import { l0Gate } from "../gates.js";
import { concatSources } from "./dense.js";
import type { ConnectionLowering } from "./types.js";

/** The cssm connection: concatenated sources and a gate mask per expert. */
export const cssm: ConnectionLowering = (ctx, consumer, sources) => {
  const { b } = ctx;
  const input = concatSources(ctx, sources);
  // The experts build their masks in their own scopes; the gates still come from this connection.
  const where = ctx.locate(consumer.connectPointer);
  const firstLayerMask = (out: number) => b.at(where, () => {
    const blocks = sources.map((s) => {
      const z = l0Gate(ctx, s.name, cssmGateShape(consumer.connect, s.width, out));
      return consumer.connect.granularity === "weight" ? z : b.expand(z, [s.width, out], `gates/${s.name}/mask`);
    });
    return blocks.length === 1 ? blocks[0]! : b.concat(blocks, 0, "gate_mask");
  });
  return { ...input, firstLayerMask };
};
