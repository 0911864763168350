// The unit-pruning rules, tried in order on each node with one float32 [batch, n] output; the
// first that matches gives the node's role. The two binary roles exclude each other (a known
// operand or none); `opaque` matches everything, so it is last.

import type { UnitRule } from "../rule.js";
import { affine } from "./affine.js";
import { concat } from "./concat.js";
import { elementwise } from "./elementwise.js";
import { matmul } from "./matmul.js";
import { opaque } from "./opaque.js";
import { rows } from "./rows.js";
import { slice } from "./slice.js";
import { zip } from "./zip.js";

export const UNIT_RULES: readonly UnitRule<unknown>[] = [matmul, affine, zip, concat, slice, rows, elementwise, opaque];
