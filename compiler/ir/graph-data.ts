// The data a graph is made of: values, parameters, constants and nodes. The graph itself, its
// local functions and the builder are in graph.ts; these are apart so that what checks a graph
// (validity.ts) needs no builder. Initialisers are turned into numbers in init.ts.

import type { OpAttributes, OpKind } from "./ops.js";
import type { TensorType } from "./shapes.js";
import type { TensorData } from "./tensor.js";

/** A tensor in the graph, defined exactly once (input, parameter, constant or node output). */
export interface Value extends TensorType {
  /** Unique in its graph; also the ONNX name. */
  readonly name: string;
}

/**
 * A parameter group: dense weights, gate parameters, embedding rows (each trained with its own
 * optimizer settings), or "folded": a constant of an exported model that nothing trains (a weight
 * with its gates folded in).
 */
export type ParamGroup = "dense" | "gate" | "embedding" | "folded";

/** How a parameter's initial value is drawn. */
export type Init =
  | { kind: "zeros" }
  | { kind: "constant"; value: number }
  | { kind: "normal"; mean: number; std: number }
  | { kind: "uniform"; low: number; high: number }
  /** U(-l, l) with l = sqrt(6 / (fan_in + fan_out)), fans from the last two dims [.., in, out] (Glorot & Bengio 2010). */
  | { kind: "glorot_uniform" }
  /**
   * The mean of a task's labels over the training rows (weighted by sample weight, missing labels
   * left out), which only the data gives: the runtime provides it (initialTensor's `labelMeans`);
   * 0 without it. A regression tower's output bias starts there (docs/design.md, "Initial values").
   */
  | { kind: "label_mean"; task: string };

/** A trainable tensor with its initialiser and parameter group (optimizer settings are per group). */
export interface Param {
  readonly value: Value;
  readonly init: Init;
  /** The spec lowering chooses; the optimizer reads it. */
  readonly group: ParamGroup;
  /** Where it came from (the spec line), like a node's doc. */
  readonly doc: string;
}

/** A constant tensor; equal constants are one value (the builder deduplicates them). */
export interface Constant {
  readonly value: Value;
  readonly data: TensorData;
}

/** One application of op K. */
export interface NodeOf<K extends OpKind> {
  readonly op: K;
  readonly attrs: OpAttributes[K];
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  /** The spec location this node was lowered from (`mssm.mssm:12`); "" when none. */
  readonly doc: string;
}

/** Any node; `switch (node.op)` narrows `attrs`. */
export type Node = { [K in OpKind]: NodeOf<K> }[OpKind];
