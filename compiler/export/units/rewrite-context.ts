// What the rewrite pass of unit pruning offers its rules (rule.ts, RewriteContext): the columns
// each rebuilt value holds, narrowing a value to fewer columns, the bias contributions waiting for
// the bias after a matmul, and declaring a narrowed weight or bias.

import { invariant } from "../../../base/source/diagnostic.js";
import type { Builder, Graph, Value } from "../../ir/graph.js";
import type { TensorData } from "../../ir/tensor.js";
import { freshName } from "../rebuild.js";
import { range, widthOf, type Facts } from "./facts.js";
import type { Narrowed, RewriteContext } from "./rule.js";

/** What the rewrite starts from (the first two passes' results), and the units it removes. */
export interface RewriteState {
  graph: Graph;
  /** Param values by name; narrowed params are added. */
  values: Map<string, TensorData>;
  facts: (v: Value) => Facts;
  need: ReadonlyMap<Value, Uint8Array>;
  units: number;
}

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** The context of the rewrite, building into `b` and reading rebuilt values through `get`. */
export function rewriteContext(state: RewriteState, b: Builder, get: (v: Value) => Value): RewriteContext {
  const { values, need } = state;
  // present: the columns (of the original value) a rewritten value holds, in order.
  const present = new Map<Value, number[]>();
  const presentOf = (v: Value) => present.get(v) ?? range(widthOf(v) ?? 1);
  const pending = new Map<Value, Float64Array>();
  const concatParts = new Map<Value, { part: Value; cols: number[] }[]>();
  // One narrowed copy per value and set of columns, however many readers want it.
  const narrowed = new Map<string, Narrowed>();
  const paramGroup = new Map(state.graph.params.map((p) => [p.value, p.group]));

  const narrow = (v: Value, wanted: number[], exact: boolean): Narrowed => {
    const holds = presentOf(v);
    if (sameList(holds, wanted)) return { value: get(v), cols: holds };
    const want = new Set(wanted);
    const parts = concatParts.get(v);
    const use = parts?.filter((p) => p.cols.some((c) => want.has(c))) ?? [];
    const cols = use.flatMap((p) => p.cols);
    const made = (cols: number[], make: () => Value) => {
      const key = `${v.name}\u0000${cols.join(",")}`;
      const known = narrowed.get(key) ?? { value: make(), cols };
      narrowed.set(key, known);
      return known;
    };
    if (parts && use.length < parts.length && (!exact || sameList(cols, wanted))) {
      return made(cols, () => (use.length === 1 ? get(use[0]!.part) : b.concat(use.map((p) => get(p.part)), 1, freshName(b, `${v.name}/kept`))));
    }
    if (!exact) return { value: get(v), cols: holds };
    return made(wanted, () => {
      const name = freshName(b, `${v.name}/kept`);
      const at = new Map(holds.map((c, i) => [c, i]));
      const indices = b.constant(BigInt64Array.from(wanted, (c) => BigInt(at.get(c)!)), "int64", [wanted.length], `${name}/columns`);
      return b.gather(get(v), indices, 1, name);
    });
  };

  return {
    b,
    get,
    facts: state.facts,
    need: (v) => need.get(v) ?? new Uint8Array(0),
    needed: (v) => need.get(v)?.includes(1) ?? false,
    present: presentOf,
    setPresent: (v, cols) => present.set(v, cols),
    narrow,
    setConcatParts: (v, parts) => concatParts.set(v, parts),
    pending: (v) => pending.get(v),
    setPending: (v, delta) => pending.set(v, delta),
    noPending: (vs) => invariant(vs.every((v) => !pending.has(v)), `prune: a folded bias contribution has no bias to go into (${vs.map((v) => v.name).join(", ")})`),
    replaceKnown(original, data, shape, tag) {
      const group = paramGroup.get(original);
      if (group === undefined) return b.constant(data, "float32", shape, tag);
      const name = freshName(b, `${original.name}/pruned`);
      values.set(name, data);
      return b.param(name, shape, { kind: "zeros" }, { group });
    },
    isParam: (v) => paramGroup.has(v),
    removedUnits: (n) => (state.units += n),
  };
}
