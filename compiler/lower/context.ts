// What every part of the lowering shares while it builds one graph.

import type { Builder, Value } from "../ir/graph.js";
import type { Spec } from "../load/types.js";

/** "train": stochastic gates fed by noise inputs, labels, losses; "eval": deterministic gates, predictions only. */
export type LowerMode = "train" | "eval";

/** Turns a JSON pointer of the spec into the location recorded on nodes (`mssm.mssm:12`); "" when unknown. */
export type Locate = (pointer: string) => string;

/** The state of one lowering. */
export interface LowerContext {
  readonly b: Builder;
  readonly spec: Spec;
  readonly mode: LowerMode;
  /**
   * Whether a layer reading several groups' field-selected copies multiplies their masks into its
   * weight instead (connections/cssm.ts): training graphs, and the eval graph training validates with.
   */
  readonly foldFieldCopies: boolean;
  readonly locate: Locate;
  /** The tasks whose loss takes per-row weights (train mode; compiler/lower/losses.ts). */
  readonly rowWeights: ReadonlySet<string>;
  /** Noise inputs by gate group name (train mode; empty in eval). */
  readonly noise: ReadonlyMap<string, Value>;
  /** The log α params of the gate groups built so far, in order (checked against the plan). */
  readonly logAlphas: Value[];
  /** What the L0 term sums over: each gate pack's log α (compiler/lower/gates.ts), in order. */
  readonly l0Inputs: Value[];
  /** The dense weight matrices built so far, in order (for the L2 term). */
  readonly weights: Value[];
}
