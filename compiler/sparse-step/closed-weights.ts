// Which entries of a train-mode forward's weights frozen gates hold at exactly 0 (docs/design.md,
// "The training step"). A frozen gate's noise is fed as u = ε, which makes its sampled z exactly 0
// (runtime/freeze.ts); every other gate's z is some unknown value. Each static value computed
// from params, constants and noise alone is tracked as a 0/1 tensor: 0 where the value is exactly
// 0 on every step, 1 where it may not be. Params are 1 everywhere, a noise input is 0 at its
// frozen elements, a HardConcreteSample's z is 0 where its u is, and the ops between a weight
// and its gates (Concat, Reshape, Gather, Expand, Mul, ...) carry the pattern as export's folding
// computes them (compiler/export/fold.ts). So a cssm layer's `W ⊙ mask(z)` is 0 exactly on the
// rows of a closed source block and the columns of a cell closed in every source.

import { isNoiseInput } from "../artifact.js";
import { foldNode } from "../export/fold.js";
import type { Known } from "../export/known.js";
import type { Graph, Value } from "../ir/graph.js";
import { HardConcreteSample } from "../ir/hard-concrete.js";
import { isStatic, sizeOf } from "../ir/ops.js";

/** Frozen gate elements by noise input name: 1 where the gate is frozen closed. */
export type FrozenNoise = ReadonlyMap<string, Uint8Array>;

/** The zero pattern (0: exactly 0 on every step, 1: maybe not) of every static float value known before the batch arrives. */
export function zeroPatterns(graph: Graph, frozen: FrozenNoise): Map<Value, Known> {
  const known = new Map<Value, Known>();
  const ones = (v: Value): Known => ({ data: new Float32Array(sizeOf(v.shape as number[])).fill(1), shape: v.shape as number[] });
  for (const p of graph.params) if (isStatic(p.value.shape)) known.set(p.value, ones(p.value));
  for (const c of graph.constants) if (c.value.dtype === "float32" && isStatic(c.value.shape)) known.set(c.value, { data: Float32Array.from(c.data as Float32Array), shape: c.value.shape });
  for (const v of graph.inputs) {
    if (!isNoiseInput(v.name) || !isStatic(v.shape)) continue;
    const mask = frozen.get(v.name);
    known.set(v, mask ? { data: Float32Array.from(mask, (m) => (m ? 0 : 1)), shape: v.shape } : ones(v));
  }
  const constants = new Map(graph.constants.map((c) => [c.value, c.data]));
  for (const n of graph.nodes) {
    if (n.op === "Call" && n.attrs.function === HardConcreteSample.name) {
      // z = HardConcreteSample(log α, u, β, γ, ζ): exactly 0 where u is a frozen gate's ε.
      const u = known.get(n.inputs[1]!);
      if (u) known.set(n.outputs[0]!, u);
      continue;
    }
    const inputs = n.inputs.map((v) => known.get(v));
    const indices = n.op === "Gather" ? constants.get(n.inputs[1]!) : undefined;
    const ready = n.op === "Gather" ? inputs[0] !== undefined && indices instanceof BigInt64Array : inputs.every((k) => k !== undefined);
    if (!ready) continue;
    const folded = foldNode(n, inputs as Known[], indices as BigInt64Array | undefined);
    // A product of two "maybe" entries is 1; of a 0, 0: the pattern of a product is the product of patterns.
    folded?.forEach((data, i) => known.set(n.outputs[i]!, { data, shape: n.outputs[i]!.shape as number[] }));
  }
  return known;
}

/** The rows and the columns of a [k, n] zero pattern that are 0 throughout. */
export function zeroRowsAndColumns(pattern: Known): { rows: boolean[]; columns: boolean[] } {
  const [k, n] = pattern.shape as [number, number];
  const rows = Array.from({ length: k }, () => true);
  const columns = Array.from({ length: n }, () => true);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) {
      if (pattern.data[r * n + c] === 0) continue;
      rows[r] = false;
      columns[c] = false;
    }
  }
  return { rows, columns };
}
