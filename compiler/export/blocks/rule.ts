// The contract between the block-cutting driver (cut-blocks.ts) and its rules (one file each,
// listed in order in index.ts). A rule sees one node of the graph being rebuilt, with its inputs
// already rebuilt, and returns the values of its outputs when it rewrites the node, or undefined
// to leave it to the next rule (and, after the last, to a plain copy).

import type { Builder, Node, Value } from "../../ir/graph.js";
import type { TensorData } from "../../ir/tensor.js";
import type { Known } from "../known.js";

/** What a block rule sees besides the node. */
export interface CutContext {
  /** Where the rebuilt graph grows. */
  readonly b: Builder;
  /** The node's inputs, rebuilt (in order). */
  readonly inputs: readonly Value[];
  /** The rebuilt value of a value of the original graph. */
  get(v: Value): Value;
  /** The trained value or constant behind a rebuilt value, if it has one. */
  known(v: Value): Known | undefined;
  /** The node of the original graph that computes `v` (undefined for leaves). */
  producer(v: Value): Node | undefined;
  /** Param values by name: a rule that makes a param sets its value here. */
  readonly values: Map<string, TensorData>;
  /** Counts sources a rule cut (a layer's input block, a term of a gated sum). */
  cut(sources: number): void;
}

/** One rewrite of the block-cutting pass. */
export interface CutRule {
  /** What it does, for reading the list. */
  readonly name: string;
  readonly rewrite: (node: Node, ctx: CutContext) => Value[] | undefined;
}
