// The contract between the unit-pruning driver (prune-units.ts) and its rules (rules/<role>.ts,
// listed in rules/index.ts). A rule is one way a node treats the columns of its [batch, n]
// input(s) (a role: a matmul by a known weight, an elementwise op, a Concat, ...). For a node it
// matches, it answers the three passes of the driver:
// 1. facts, forward: what is known of the output's columns, from what is known of the inputs';
// 2. need, backward: which columns of its inputs the needed columns of its output read (what it
//    lets go);
// 3. rewrite, forward: the node keeping only what is needed, or undefined to copy it whole.
// The driver does the rest: walking the graph in each direction, merging the columns several
// readers need, narrowing a value to the columns a reader asks for, declaring the new weights.

import type { Builder, Node, Value } from "../../ir/graph.js";
import type { Known } from "../known.js";
import type { Facts } from "./facts.js";

/** What every pass may ask: the facts of a value of the original graph (computed in pass 1). */
export interface FactsContext {
  facts(v: Value): Facts;
}

/** The node a rule matched, with what its match found. */
export interface Matched {
  readonly rule: UnitRule<unknown>;
  readonly role: unknown;
}

/** What the need pass offers besides facts. */
export interface NeedContext extends FactsContext {
  /** Marks columns of `v` as needed (`mask[c]` = 1), or all of them without a mask. */
  want(v: Value, mask?: Uint8Array): void;
  /** The nodes that read `v`. */
  readers(v: Value): readonly Node[];
  /** The rule a node matched, and its match. */
  matched(node: Node): Matched;
  /** True for a graph output. */
  isOutput(v: Value): boolean;
}

/** A value narrowed to some of its original columns. */
export interface Narrowed {
  value: Value;
  /** The original columns it holds, in order. */
  cols: number[];
}

/** What the rewrite pass offers besides facts. */
export interface RewriteContext extends FactsContext {
  readonly b: Builder;
  /** The rebuilt value of a value of the original graph. */
  get(v: Value): Value;
  /** The needed columns of a value (a mask; empty when nothing needs it). */
  need(v: Value): Uint8Array;
  needed(v: Value): boolean;
  /** The original columns a rebuilt value holds, in order (all of them unless `setPresent` said otherwise). */
  present(v: Value): number[];
  setPresent(v: Value, cols: number[]): void;
  /**
   * `v` with only the columns `wanted` (a subset of what it holds, in order): by taking fewer parts
   * of the Concat that made it, or (when `exact`) a Gather of columns; without `exact`, columns it
   * cannot shed stay.
   */
  narrow(v: Value, wanted: number[], exact: boolean): Narrowed;
  /** The parts a rewritten Concat kept, with the original columns each holds. */
  setConcatParts(v: Value, parts: { part: Value; cols: number[] }[]): void;
  /** What a matmul's absorbed constant inputs add to each of its kept columns, waiting for the bias after it. */
  pending(v: Value): Float64Array | undefined;
  setPending(v: Value, delta: Float64Array): void;
  /** Checks that no contribution waits on `vs` (a node that is not a bias cannot take one). */
  noPending(vs: readonly Value[]): void;
  /** A known operand replaced by `data`: a param stays a param (same group), a constant a constant. */
  replaceKnown(original: Value, data: Float32Array, shape: number[], tag: string): Value;
  /** True when `v` is a param (a learned weight), not a constant. */
  isParam(v: Value): boolean;
  /** Counts output units removed from a learned layer. */
  removedUnits(n: number): void;
}

/** How one role of node treats columns, in each pass. `R` is what `match` finds. */
export interface UnitRule<R> {
  /** The role, for reading the list. */
  readonly name: string;
  /** The role of `node` (one float32 [batch, n] output), or undefined when it has another. */
  match(node: Node, known: (v: Value) => Known | undefined): R | undefined;
  /** The facts of the output, or undefined when nothing is known of it. */
  facts(node: Node, role: R, ctx: FactsContext): Facts | undefined;
  /** Marks the input columns that the needed output columns `outNeed` read. */
  need(node: Node, role: R, outNeed: Uint8Array, ctx: NeedContext): void;
  /** The rewritten node's outputs, or undefined to copy it (its inputs as rebuilt). */
  rewrite(node: Node, role: R, ctx: RewriteContext): Value[] | undefined;
}
