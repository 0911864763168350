// The contract of an optimizer: the state it keeps per parameter, and the IR ops of one update.
// An optimizer is plain formulas over IR values, so the whole training step (forward, backward,
// update) is one ONNX graph: parameters and state go in, their next values come out.

import type { Builder, Value } from "../ir/graph.js";
import type { Optimizer } from "../load/types.js";

/** A state tensor kept per parameter (of the parameter's shape): its name and initial value. */
export interface StateSpec {
  /** Appended to the parameter's name: `<param>/<name>`. */
  readonly name: string;
  readonly init: number;
}

/** The run-time scalars of a step: the learning rate (schedules live in the runtime) and t, 1-based. */
export interface StepScalars {
  readonly lr: Value;
  readonly step: Value;
}

/** One tensor's update: the tensor, its gradient and its state, in `state()` order. */
export interface UpdateInputs {
  readonly param: Value;
  readonly grad: Value;
  readonly state: readonly Value[];
}

/** The local names of an update's results (the caller chooses the scope). */
export interface UpdateNames {
  readonly param: string;
  readonly state: readonly string[];
}

/** The next values of a tensor and its state. */
export interface UpdateOutputs {
  readonly param: Value;
  readonly state: readonly Value[];
}

/** An optimizer kind. */
export interface OptimizerRule {
  /**
   * Each element's update reads only that element of the param, gradient and state (and the
   * group's shared scalars). Then updating several params concatenated gives each exactly its own
   * update, and the training step packs them (compiler/train-step/pack.ts). A rule with a per-tensor
   * quantity (a norm, clipping, a factored second moment) must say false.
   */
  readonly elementwise: boolean;
  /** The state kept per parameter, in order. */
  state(o: Optimizer): readonly StateSpec[];
  /**
   * Builds the scalars a step shares across a parameter group (bias corrections, decay factors)
   * and returns the update of one tensor of the group. Everything has the parameters' element type.
   */
  begin(b: Builder, o: Optimizer, scalars: StepScalars): (x: UpdateInputs, names: UpdateNames) => UpdateOutputs;
}
