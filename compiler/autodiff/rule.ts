// The contract between the autodiff driver (grad.ts) and the gradient rules (rules/<OpKind>.ts).
//
// A rule sees one forward node and the gradient of the loss with respect to each of its outputs,
// and returns one gradient per input. It declares which forward values it reads (`keeps`): those
// are what a training graph carries from forward to backward, and the driver refuses to hand a
// rule any other forward value. Everything else is the driver's job: fan-out sums, reducing a
// broadcast gradient back to its input's shape, checking types, skipping what does not reach the
// loss, naming.

import type { Builder, FunctionDef, Graph, Value } from "../ir/graph.js";
import type { OpAttributes, OpKind } from "../ir/ops.js";
import type { TensorType } from "../ir/shapes.js";

/**
 * The gradient for one input, built only when the driver needs it (an input that depends on no
 * differentiated value gets none), so rules never add dead nodes. It may have the shape the
 * input was broadcast to; it may return undefined for "no gradient here" (a zero contribution).
 */
export type Gradient = (() => Value | undefined) | undefined;

/** What a rule sees of the forward node it differentiates. */
export interface GradContext<K extends OpKind> {
  /** Where backward nodes go (inside a scope named after the node). */
  readonly b: Builder;
  readonly attrs: OpAttributes[K];
  /** The forward inputs' types, always available. */
  readonly inputs: readonly TensorType[];
  /** The forward outputs' types. */
  readonly outputs: readonly TensorType[];
  /** Forward input i; only positions listed in the rule's `keeps.inputs` (else an internal error). */
  x(i: number): Value;
  /** Forward output i; only positions listed in the rule's `keeps.outputs`. */
  y(i: number): Value;
  /** The gradient of the loss w.r.t. output 0 (of that output's type). */
  readonly dy: Value;
  /** The gradients w.r.t. every output, in order (zeros where the loss does not depend on one). */
  readonly dys: readonly Value[];
  /** Call only: the function applied. */
  readonly fn?: FunctionDef;
  /**
   * Call only: runs the same reverse pass over `body` (the function instantiated for this node's
   * inputs) and returns one gradient per body input (for the inputs that need one), in the caller's graph.
   */
  differentiate(body: Graph): readonly (Value | undefined)[];
}

/** Forward values a rule reads, by position ("all" for Call, whose body may read any). */
export interface Keeps {
  readonly inputs?: readonly number[] | "all";
  readonly outputs?: readonly number[] | "all";
}

/** The reverse-mode rule of one op kind. */
export interface GradRule<K extends OpKind> {
  readonly keeps: Keeps;
  /** One entry per forward input: its gradient, or undefined when it has none (int indices, bool conditions). */
  readonly grad: (ctx: GradContext<K>) => readonly Gradient[];
}

/** The entry of an op kind in the registry: a rule, or a statement that no gradient flows through it. */
export type RuleEntry<K extends OpKind> = GradRule<K> | "not-differentiable";
