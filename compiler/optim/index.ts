// The optimizers by kind, in an exhaustive record (a new kind in the spec fails to compile here).

import type { OptimizerKind } from "../load/types.js";
import { adagrad } from "./adagrad.js";
import { adam } from "./adam.js";
import { adamw } from "./adamw.js";
import type { OptimizerRule } from "./optimizer.js";
import { sgd } from "./sgd.js";

/** Every optimizer kind's update for dense parameters. */
export const OPTIMIZERS: Readonly<Record<OptimizerKind, OptimizerRule>> = { adam, adamw, sgd, adagrad };
