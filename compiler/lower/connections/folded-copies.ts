// A layer whose sources are all field-selected copies of one E [batch, D], o_s = E ⊙ m_s with
// column masks m_s [D] the same for every example (field-selection.ts: a training graph with field
// gates drawn per step, or the eval graph training validates with), multiplies the masks into its
// weight instead of into S copies of the batch:
//   [o_1, ..., o_S] (W ⊙ M) = Σ_s (E ⊙ m_s) (W_s ⊙ M_s) = E · Σ_s diag(m_s) (W_s ⊙ M_s)
// so the batch-sized product is [batch, D] x [D, out] instead of [batch, S·D] x [S·D, out], and the
// rest ([S·D, out] element-wise, a sum over S) is the size of the weight: the same values, summed
// in another order (docs/design.md, "Level 1 reads the fields once"). M: cssm's gate mask, or none
// (dense).

import type { Value } from "../../ir/graph.js";
import type { LowerContext } from "../context.js";
import { selectedCopy } from "../field-selection.js";
import type { SourceValue } from "./types.js";

/** The fields E and each source's column mask m_s, when every source is a selected copy of one E. */
export function foldedCopies(sources: readonly SourceValue[]): { fields: Value; columns: Value[] } | undefined {
  const copies = sources.map((s) => selectedCopy(s.value));
  const fields = copies[0]?.fields;
  return fields && copies.every((c) => c?.fields === fields) ? { fields, columns: copies.map((c) => c!.columns) } : undefined;
}

/**
 * E · Σ_s diag(m_s) (W_s ⊙ M_s) for the weight W [S·D, out], in the current scope. The masks are
 * multiplied together first (`folded_mask`, of the weight's shape when M is), so that a cut step
 * reads the weight through one product with a mask, which slice-params.ts can slice.
 */
export function foldedProduct(ctx: LowerContext, copies: { fields: Value; columns: Value[] }, weight: Value, gateMask: Value | undefined, out: number): Value {
  const { b } = ctx;
  const { fields, columns } = copies;
  const rows = columns.length === 1 ? columns[0]! : b.concat(columns, 0, "field_rows");
  const column = b.unsqueeze(rows, [1], "field_rows/column");
  const selected = b.mul(weight, gateMask ? b.mul(gateMask, column, "folded_mask") : column, "selected_weight");
  const width = fields.shape[1] as number;
  const summed = columns.length === 1 ? selected : b.reduceSum(b.reshape(selected, [columns.length, width, out], "per_copy"), [0], false, "folded_weight");
  return b.matmul(fields, summed, "xw");
}
