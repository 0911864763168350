// FSCM, field-level sparse connection (docs/design.md, "The mathematics"): group j reads
// E_j = [w_1j e_1, ..., w_nj e_n], where w_fj, the mask of field f for group j, has one of four
// forms (`select fields per group(form: ...)`, specs/language.md):
//   tanh            w_fj = relu(tanh(g_fj · e_f + b))          b = `gates.select_offset`, fixed
//   learned_offset  w_fj = relu(tanh(g_fj · e_f + b_fj))       b_fj learned, starting at select_offset
//   l0              w_fj = z_fj                                 a hard-concrete L0 gate per field
//   l0_tanh         w_fj = z_fj · relu(tanh(g_fj · e_f + b))   the gate times the tanh mask
// b = 0 in the tanh form is the paper's, under which a numeric field's mask, relu(tanh(x (g·v))),
// is 0 for every example where x and g·v differ in sign: about half of them. With b = 1 the field
// stays open there until g learns to close it (specs/language.md has the measurements). The tanh
// masks differ per example and are exactly 0 for a whole field only by chance; a field gate is
// one number, exactly 0 once closed, so export removes the field from the group.
//
// With fields of unequal widths, all n dot products are one matmul against a constant 0/1
// segment matrix S [D, n] (S[c, f] = 1 when column c of E belongs to field f):
//   s = (E ⊙ g_j) S,   w = relu(tanh(s + b)),   E_j = E ⊙ (w Sᵀ).
// g_j [D] holds every g_fj of the group end to end; g, b_fj and the gates' log α are gate
// parameters (group "gate").

import type { Builder, Value } from "../ir/graph.js";
import { selectForm } from "../load/types.js";
import type { LowerContext } from "./context.js";
import { l0Gates, openLogAlpha } from "./gates.js";
import { FIELD_GATES_SOURCE } from "./names.js";

/**
 * A group's selected input E_j = E ⊙ m_j in a graph that folds such copies (a training graph whose
 * field gates are drawn per step, or the eval graph training validates with):
 * the fields E [batch, D] and the column mask m_j [D], the same for every example, so that a layer
 * reading several groups' copies can multiply the masks into its weight instead (cssm.ts).
 */
export interface SelectedCopy {
  readonly fields: Value;
  readonly columns: Value;
}
const selectedCopies = new WeakMap<Value, SelectedCopy>();

/** The fields and column mask `v` was selected from, when it is such a copy. */
export const selectedCopy = (v: Value): SelectedCopy | undefined => selectedCopies.get(v);

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

/** relu(tanh(g · e + b)) [batch, n] of the current scope's group, with b fixed or learned (`learned`). */
function tanhMask(ctx: LowerContext, fields: Value, s: Value, learned: boolean, name: string): Value {
  const { b, spec } = ctx;
  const width = spec.fields.reduce((a, f) => a + f.dim, 0);
  const offset = spec.gates.select_offset;
  const g = b.param("g", [width], FIELD_SELECTION_INIT, { group: "gate" });
  // Training computes (E ⊙ g) S as E (g ⊙ S): a [D, n] product instead of a [batch, D] one,
  // forward and back (more work only with more fields than examples in a batch, where the
  // [batch, D] x [D, n] matmul, the same either way, costs far more). Evaluation keeps E ⊙ g,
  // whose per-field columns export's pruning follows.
  const weighted = ctx.mode === "train" ? b.mul(b.unsqueeze(g, [1], "column"), s, "weighted_segments") : undefined;
  const plain = !learned && offset === 0;
  const dotsName = plain ? "scores" : "dots";
  const dots = weighted ? b.matmul(fields, weighted, dotsName) : b.matmul(b.mul(fields, g, "weighted"), s, dotsName);
  const bias = () => (learned ? b.param("offset", [spec.fields.length], { kind: "constant", value: offset }, { group: "gate" }) : b.constant(offset, "float32"));
  const scores = plain ? dots : b.add(dots, bias(), "scores");
  return b.relu(b.tanh(scores, "tanh"), name);
}

/** The field-selected input E_j [batch, D] of `group`, from E [batch, D]; params in `select/<group>`. */
export function selectFields(ctx: LowerContext, fields: Value, group: string): Value {
  const { b, spec } = ctx;
  const form = selectForm(spec);
  return b.scope(`select/${group}`, () => {
    // Built once per graph, and only for the tanh masks: a 500-field spec's S has millions of elements.
    if (form === "tanh" || form === "learned_offset") {
      const { s, sT } = segmentMatrices(ctx);
      const mask = tanhMask(ctx, fields, s, form === "learned_offset", "mask");
      return b.mul(fields, b.matmul(mask, sT, "mask_columns"), "out");
    }
    // Field gates start open (gates.ts, openLogAlpha), so training closes what is useless.
    const z = l0Gates(ctx, [{ source: FIELD_GATES_SOURCE, shape: [spec.fields.length] }], openLogAlpha(spec.gates.gamma, spec.gates.zeta));
    if (form === "l0") {
      // z [n] spread over the columns [D] by a Gather, which export folds into one constant per
      // column once z is known; a closed field's columns are then 0 for every example. Sampled
      // per example (gates.ts), z is [batch, n] and each row spreads its own: E_j[r] = e[r] ⊙ z[r] per field.
      const columnField = BigInt64Array.from(spec.fields.flatMap((f, i) => Array.from({ length: f.dim }, () => BigInt(i))));
      const columns = b.constant(columnField, "int64", [columnField.length], "fields/column_field");
      const mask = b.gather(z, columns, z.shape.length - 1, "mask_columns");
      const out = b.mul(fields, mask, "out");
      if (ctx.foldFieldCopies && mask.shape.length === 1) selectedCopies.set(out, { fields, columns: mask });
      return out;
    }
    const { s, sT } = segmentMatrices(ctx);
    // The tanh mask is [batch, n]; z [n] (or [batch, n] sampled per example) multiplies it row by row.
    const mask = b.mul(tanhMask(ctx, fields, s, false, "tanh_mask"), z, "mask");
    return b.mul(fields, b.matmul(mask, sT, "mask_columns"), "out");
  });
}
