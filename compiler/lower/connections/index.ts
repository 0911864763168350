// One lowering per connection kind, in an exhaustive record: a new kind fails to compile here.

import type { ConnectionKind } from "../../load/types.js";
import { crossStitch } from "./cross-stitch.js";
import { cssm } from "./cssm.js";
import { dense } from "./dense.js";
import { l0Average } from "./l0-average.js";
import { softmaxGate } from "./softmax-gate.js";
import type { ConnectionLowering } from "./types.js";

/** The lowering of each connection kind. */
export const CONNECTIONS: Readonly<Record<ConnectionKind, ConnectionLowering>> = {
  dense,
  cssm,
  l0_average: l0Average,
  softmax_gate: softmaxGate,
  cross_stitch: crossStitch,
};
