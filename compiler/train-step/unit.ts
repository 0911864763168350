// What a training step is built from: the tensors it trains, and the units their updates run in.
// The plain step (plain.ts) updates each tensor in a unit of its own; the packing pass (pack.ts)
// regroups the same tensors into fewer, larger units. build.ts turns either into the step graph.

import type { Group, TensorInfo } from "../artifact.js";
import type { Builder, Value } from "../ir/graph.js";
import type { Optimizer } from "../load/types.js";
import type { OptimizerRule, StateSpec, UpdateInputs, UpdateNames, UpdateOutputs } from "../optim/optimizer.js";
import { tensorInfo } from "../tensor-info.js";

/**
 * A tensor the step differentiates and updates: a param, a block of embedding rows, or a pack
 * (pack.ts): params the forward reads only concatenated, trained as their Concat.
 */
export interface Trained {
  /** What the backward differentiates: the param or rows, or the pack's Concat. */
  readonly value: Value;
  readonly group: Group;
  readonly optimizer: Optimizer;
  readonly rule: OptimizerRule;
  readonly state: readonly StateSpec[];
  /** The params or rows it holds, in order: the value itself, or the pack's pieces. */
  readonly members: readonly Value[];
}

/** The trained tensors in the order the backward differentiates them, and the units that update them. */
export interface StepPlan {
  readonly trained: readonly Trained[];
  readonly units: readonly Unit[];
}

/** One tensor of a group updated, built by the optimizer's `begin` for that group. */
export type Update = (x: UpdateInputs, names: UpdateNames) => UpdateOutputs;

/** One call of a group's update over one or more of its trained tensors. */
export interface Unit {
  readonly group: Group;
  readonly tensors: readonly Trained[];
  /** Declares the unit's inputs (its state, a packed params input) and builds its update from each tensor's gradient. */
  build(b: Builder, update: Update, grads: readonly Value[]): BuiltUnit;
}

/** A next value of the step: it replaces the input named `of` (`members` as that input's). */
export interface Next {
  readonly value: Value;
  readonly of: string;
  readonly members?: Member[];
}

/** One param, or one param's state, inside a packed input. */
export type Member = NonNullable<TensorInfo["members"]>[number];

/** What a unit added to the step. */
export interface BuiltUnit {
  /** The inputs it declared, as the manifest describes them. */
  readonly inputs: readonly TensorInfo[];
  /** The next values of each member, [its own, then each state's]; none for members of a packed input. */
  readonly next: ReadonlyMap<Value, readonly Next[]>;
  /** The next values of its packed inputs. */
  readonly packed: readonly Next[];
  /** Params the forward must read from a packed input instead (read-packed.ts). */
  readonly reads?: PackedRead;
}

/** Params read from one packed input, end to end. */
export interface PackedRead {
  readonly input: Value;
  readonly params: readonly Value[];
}

/** The scope of a group's optimizer nodes: its shared scalars, and its tensors' joined updates (pack.ts). */
export const optimizerScope = (group: Group): string => `optim/${group}`;

/** The number of elements of a statically shaped value. */
export const numel = (v: Value): number => (v.shape as number[]).reduce((a, d) => a * d, 1);

/** v as a flat vector: itself if it is one, else reshaped under `name`. */
export const flat = (b: Builder, v: Value, name: string): Value => (v.shape.length === 1 ? v : b.reshape(v, [numel(v)], name));

/** The optimizer state input of one tensor (`<tensor>/<state>`), as the manifest describes it. */
export function ownStateInfo(v: Value, t: Trained, spec: StateSpec): TensorInfo {
  return tensorInfo(v, "state", { group: t.group, of: t.value.name, state: spec.name, init: spec.init });
}

/** The next values of a tensor updated as a whole: its own, then each of its state inputs'. */
export function ownNext(t: Trained, next: UpdateOutputs, state: readonly Value[]): Next[] {
  return [{ value: next.param, of: t.value.name }, ...next.state.map((value, k) => ({ value, of: state[k]!.name }))];
}

/** The local names of an update's results, under the scope of the tensor or unit. */
export const nextNames = (state: readonly StateSpec[], param = "next"): UpdateNames => ({ param, state: state.map((s) => `${s.name}/next`) });
