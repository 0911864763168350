// The block-cutting rules in the order they are tried on each node: a closed term first (its Add
// is not foldable anyway), then folding (so that a layer's gated weight is known), then closed
// blocks of a layer's input (which need the folded weight).

import { closedBlock } from "./closed-block.js";
import { closedTerm } from "./closed-term.js";
import { foldKnown } from "./fold-known.js";
import type { CutRule } from "./rule.js";

export const CUT_RULES: readonly CutRule[] = [closedTerm, foldKnown, closedBlock];
