// cssm (MSSM's CSSM; SNR-Trans with block gates): an expert's first layer is
//   pre = Σ_s (o_s W_s) ⊙ z_s + b
// with L0 gates z_s per output cell [out] (cell), per block [1] (block) or per weight [in_s, out]
// (weight). Gating the columns of W_s equals gating the outputs o_s W_s, so the layer is one
// matmul:  W_eff = W ⊙ [z_1; ...; z_S] (each z_s broadcast to [in_s, out], stacked by rows),
//   pre = [o_1, ..., o_S] W_eff + b,
// where W [Σ in_s, out] is the first layer's ordinary `dense0/weight` (the blocks W_s are its rows).
// The S gate groups are sampled as one pack (gates.ts): z [S·out] (cell) or [S] (block) is viewed
// as one row per source and each row of the mask gathers its source's row; z [Σ in_s, out]
// (weight) is the mask itself.
//
// Sampled per example (`gates.noise: per_example`), z [batch, S·out] (cell) or [batch, S] (block)
// differs from row to row, so no one W_eff serves the batch; the layer keeps the sum over sources,
//   pre[r] = Σ_s (o_s[r] W_s) ⊙ z_s[r] + b,
// each W_s a block of rows of W (a Split), z_s [batch, out] or [batch, 1]. For one row r this is
// o[r] (W ⊙ mask(z[r])) + b: example r's pre-activation gated exactly as the per-step mask built
// from its own draw would gate it. (Per weight, z would be [batch, Σ in_s, out]: the checker
// refuses per_example with granularity weight.)
//
// Sources that are all field-selected copies of one E, with masks the same for every example, are
// read once, the masks multiplied into the weight (folded-copies.ts).

import type { Value } from "../../ir/graph.js";
import { cssmGateShape } from "../plan.js";
import { l0Gates, sampledPerExample } from "../gates.js";
import type { FirstLayerGates } from "../mlp.js";
import { invariant } from "../../../base/source/diagnostic.js";
import { concatSources } from "./dense.js";
import { foldedCopies, foldedProduct } from "./folded-copies.js";
import type { ConnectionLowering } from "./types.js";

/** The cssm connection: concatenated sources and a gate mask per expert. */
export const cssm: ConnectionLowering = (ctx, consumer, sources) => {
  const { b } = ctx;
  const input = concatSources(ctx, sources);
  const granularity = consumer.connect.granularity ?? "cell";
  // The experts build their masks in their own scopes; the gates still come from this connection.
  const where = ctx.locate(consumer.connectPointer);
  // Row r of W belongs to source rows[r]; built once, on the first expert's use, for all of them.
  let rows: Value | undefined;
  const rowSources = () => {
    if (rows) return rows;
    const data = new BigInt64Array(input.width);
    let at = 0;
    sources.forEach((s, i) => data.fill(BigInt(i), at, (at += s.width)));
    return (rows = b.constant(data, "int64", [input.width], "gate_rows"));
  };
  const mask = (z: Value, out: number) => {
    if (granularity === "weight") return z;
    if (sources.length === 1) return b.expand(z, [input.width, out], `gates/${sources[0]!.name}/mask`);
    const perSource = b.reshape(z, [sources.length, granularity === "cell" ? out : 1], "gates/per_source");
    return b.gather(perSource, rowSources(), 0, "gate_mask");
  };
  // Σ_s (o_s W_s) ⊙ z_s for z sampled per example, called in the layer's scope.
  const perExample = (z: Value, out: number) => {
    invariant(granularity !== "weight", "Per-example gate noise with granularity weight passed the checker.");
    const zs = sources.length === 1 ? [z] : b.split(z, 1, sources.map(() => (granularity === "cell" ? out : 1)), sources.map((s) => `gates/${s.name}/z`));
    return (weight: Value) =>
      b.at(where, () => {
        if (sources.length === 1) return b.mul(b.matmul(input.x, weight, "ungated_xw"), z, "xw");
        const blocks = b.split(weight, 0, sources.map((s) => s.width), sources.map((s) => `weight/${s.name}`));
        const terms = sources.map((s, i) => b.mul(b.matmul(s.value, blocks[i]!, `ungated_xw/${s.name}`), zs[i]!, `xw/${s.name}`));
        return terms.slice(1).reduce((sum, t, i) => b.add(sum, t, i === terms.length - 2 ? "xw" : `partial_xw${i}`), terms[0]!);
      });
  };
  // E · Σ_s diag(m_s) (W_s ⊙ z_s) when every source is a per-step selected copy of one E (folded-copies.ts).
  const folded = granularity === "weight" ? undefined : foldedCopies(sources);
  const firstLayerGates = (out: number): FirstLayerGates =>
    b.at(where, () => {
      const z = l0Gates(ctx, sources.map((s) => ({ source: s.name, shape: cssmGateShape(consumer.connect, s.width, out) })));
      if (sampledPerExample(z)) return { product: perExample(z, out) };
      return folded ? { product: (weight: Value) => b.at(where, () => foldedProduct(ctx, folded, weight, mask(z, out), out)) } : { mask: mask(z, out) };
    });
  return { ...input, firstLayerGates };
};
