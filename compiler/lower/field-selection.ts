// FSCM, field-level sparse connection (docs/design.md, "The mathematics"): for group j and field f,
// a learned g_fj gives a per-example mask w_fj = relu(tanh(g_fj · e_f + b)), and group j reads
// E_j = [w_1j e_1, ..., w_nj e_n].
// b is `gates.select_offset` (default 1); b = 0 is the paper's form, under which a numeric field's
// mask, relu(tanh(x (g·v))), is 0 for every example where x and g·v differ in sign: about half of
// them. With b = 1 the field stays open there until g learns to close it (specs/language.md has
// the measurements).
//
// With fields of unequal widths, all n dot products are one matmul against a constant 0/1
// segment matrix S [D, n] (S[c, f] = 1 when column c of E belongs to field f):
//   s = (E ⊙ g_j) S,   w = relu(tanh(s)),   E_j = E ⊙ (w Sᵀ).
// g_j [D] holds every g_fj of the group end to end; it is a gate parameter (group "gate").

import type { Builder, Value } from "../ir/graph.js";
import type { LowerContext } from "./context.js";

/** Small uniform range of the FSCM vectors g (the runtime's gate optimizer moves them fast). */
export const FIELD_SELECTION_INIT = { kind: "uniform", low: -0.1, high: 0.1 } as const;

/** The segment matrices S and Sᵀ of each graph being built (they depend on the fields only). */
const segmentsOf = new WeakMap<Builder, { s: Value; sT: Value }>();

/** S [D, n] and Sᵀ [n, D] for `b`'s graph, built on its first field-selected group. */
function segmentMatrices(ctx: LowerContext): { s: Value; sT: Value } {
  const { b, spec } = ctx;
  const built = segmentsOf.get(b);
  if (built) return built;
  const dims = spec.fields.map((f) => f.dim);
  const width = dims.reduce((a, d) => a + d, 0);
  const n = dims.length;
  const segments = new Float32Array(width * n);
  const segmentsT = new Float32Array(n * width);
  let column = 0;
  dims.forEach((d, f) => {
    for (let c = column; c < column + d; c++) {
      segments[c * n + f] = 1;
      segmentsT[f * width + c] = 1;
    }
    column += d;
  });
  const matrices = { s: b.constant(segments, "float32", [width, n], "fields/segments"), sT: b.constant(segmentsT, "float32", [n, width], "fields/segments_t") };
  segmentsOf.set(b, matrices);
  return matrices;
}

/** The field-selected input E_j [batch, D] of `group`, from E [batch, D]; params in `select/<group>`. */
export function selectFields(ctx: LowerContext, fields: Value, group: string): Value {
  const { b, spec } = ctx;
  const width = spec.fields.reduce((a, f) => a + f.dim, 0);
  // Built once per graph: a 500-field spec's S has millions of elements.
  const { s, sT } = segmentMatrices(ctx);
  return b.scope(`select/${group}`, () => {
    const g = b.param("g", [width], FIELD_SELECTION_INIT, { group: "gate" });
    // Training computes (E ⊙ g) S as E (g ⊙ S): a [D, n] product instead of a [batch, D] one,
    // forward and back (more work only with more fields than examples in a batch, where the
    // [batch, D] x [D, n] matmul, the same either way, costs far more). Evaluation keeps E ⊙ g,
    // whose per-field columns export's pruning follows.
    const weighted = ctx.mode === "train" ? b.mul(b.unsqueeze(g, [1], "column"), s, "weighted_segments") : undefined;
    const dotsName = spec.gates.select_offset === 0 ? "scores" : "dots";
    const dots = weighted ? b.matmul(fields, weighted, dotsName) : b.matmul(b.mul(fields, g, "weighted"), s, dotsName);
    const scores = spec.gates.select_offset === 0 ? dots : b.add(dots, b.constant(spec.gates.select_offset, "float32"), "scores");
    const mask = b.relu(b.tanh(scores, "tanh"), "mask");
    return b.mul(fields, b.matmul(mask, sT, "mask_columns"), "out");
  });
}
