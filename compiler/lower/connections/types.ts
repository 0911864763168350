// The interface of a connection kind: from the outputs a consumer reads to what its experts (or
// its tower) take in.

import type { Value } from "../../ir/graph.js";
import type { LowerContext } from "../context.js";
import type { FirstLayerGates } from "../mlp.js";
import type { ConsumerPlan } from "../plan.js";

/** One output of the previous stage, as a consumer reads it. */
export interface SourceValue {
  /** `input`, `input/<group>` or `<group>/expert<e>`. */
  readonly name: string;
  /** [batch, width] */
  readonly value: Value;
  readonly width: number;
}

/** What a consumer's experts read. */
export interface ConsumerInput {
  /** [batch, width]: the input of the first layer, and what a later softmax gate may query. */
  readonly x: Value;
  readonly width: number;
  /** How the first layer (out units) computes x W, in the current scope: cssm's gates, or sources read once (folded-copies.ts). */
  readonly firstLayerGates?: (out: number) => FirstLayerGates;
}

/**
 * Lowers one connection kind for one consumer, in the consumer's scope. `query` gives the
 * softmax gate's query (built already; only softmax_gate calls it).
 */
export type ConnectionLowering = (ctx: LowerContext, consumer: ConsumerPlan, sources: readonly SourceValue[], query: () => Value) => ConsumerInput;
