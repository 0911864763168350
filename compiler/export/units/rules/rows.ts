// Rows of a known table picked by 1-d indices (Gather axis 0: an embedding lookup): every example's
// columns are one of the table's rows, a segment the facts follow through later layers (so FSCM's
// w = relu(tanh(g · e + b)) can be checked on every row). Needs all its inputs; copied whole.

import type { Known } from "../../known.js";
import { makeFacts, MAX_SEGMENT_ROWS, range } from "../facts.js";
import type { UnitRule } from "../rule.js";
import { copiedWhole, needAll } from "./opaque.js";

interface RowsRole {
  table: Known;
}

export const rows: UnitRule<RowsRole> = {
  name: "rows of a known table",
  match(node, known) {
    if (node.op !== "Gather") return undefined;
    const table = known(node.inputs[0]!);
    return node.attrs.axis === 0 && table?.shape.length === 2 && node.inputs[1]!.shape.length === 1 ? { table } : undefined;
  },
  facts(_node, { table }) {
    const [count, d] = table.shape as [number, number];
    return count <= MAX_SEGMENT_ROWS ? makeFacts(d, [{ cols: range(d), rows: range(count).map((r) => Array.from(table.data.subarray(r * d, (r + 1) * d))) }]) : undefined;
  },
  need: (node, _role, _outNeed, ctx) => needAll(node, ctx),
  rewrite: (node, _role, ctx) => copiedWhole(node, ctx),
};
