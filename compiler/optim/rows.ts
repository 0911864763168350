// Row-wise (lazy) updates of embedding rows. A training step sees only the rows its batch gathered
// (the input tableRowsInput(field) of compiler/artifact.ts, [rows_<field>, dim], one row per
// distinct id) with their state rows, and returns their next values; the runtime scatters them
// back into the table. So the update is the dense formula applied to those rows, and a row the
// batch does not touch keeps its value and its state exactly, as in TensorFlow's LazyAdam:
// - Adam corrects its bias with the global step t, not a per-row count (as LazyAdam does);
// - SGD's momentum and weight decay, and Adagrad's sum and weight decay, advance only for
//   touched rows.
// AdamW has no row-wise form here (the check rule embedding-optimizer-kind refuses it).

import { invariant } from "../../base/source/diagnostic.js";
import type { Optimizer, OptimizerKind } from "../load/types.js";
import { adagrad } from "./adagrad.js";
import { adam } from "./adam.js";
import type { OptimizerRule } from "./optimizer.js";
import { sgd } from "./sgd.js";

/** The optimizers that update embedding rows. */
export const ROW_OPTIMIZERS: Readonly<Partial<Record<OptimizerKind, OptimizerRule>>> = { adam, adagrad, sgd };

/** The row-wise update for an embedding optimizer. */
export function rowOptimizer(o: Optimizer): OptimizerRule {
  const rule = ROW_OPTIMIZERS[o.kind];
  invariant(rule !== undefined, `Embedding rows cannot be updated with ${o.kind}; the checker allows adam, adagrad or sgd.`);
  return rule;
}
