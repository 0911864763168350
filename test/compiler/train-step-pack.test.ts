// The packing pass on a small hand-built forward: which tensors it trains (a gate pack as its
// Concat) and which it updates together (each element-wise group's dense or gate tensors, row
// blocks of one width), against the plain plan it starts from.

import { describe, expect, it } from "vitest";
import { Builder, type Graph } from "../../compiler/ir/graph.js";
import { BATCH } from "../../compiler/ir/ops.js";
import { normalizeOptimizer } from "../../compiler/load/normalize.js";
import { packPlan } from "../../compiler/train-step/pack.js";
import { plainPlan } from "../../compiler/train-step/plain.js";
import type { StepPlan } from "../../compiler/train-step/unit.js";

/** loss = Σ (rows_a[i] + rows_b[i]) w + Σ bias + Σ rows_c[i] + Σ [g1, g2]: two row blocks of width 2, one of 3, a gate pack. */
function forward(): Graph {
  const b = new Builder("packs");
  const index = b.input("emb/item/index", "int64", [BATCH]);
  const rows = (field: string, dim: number) => b.gather(b.input(`emb/${field}/rows`, "float32", [`rows_${field}`, dim]), index, 0);
  const [a, c, d] = [rows("a", 2), rows("b", 2), rows("c", 3)];
  const w = b.param("w", [2, 1], { kind: "zeros" });
  const bias = b.param("bias", [1], { kind: "zeros" });
  const g1 = b.param("g1", [2], { kind: "zeros" }, { group: "gate" });
  const g2 = b.param("g2", [3], { kind: "zeros" }, { group: "gate" });
  const terms = [b.matmul(b.add(a!, c!), w), bias, d!, b.concat([g1, g2], 0, "gates")].map((v) => b.reduceSum(v, v.shape.map((_d, i) => i), false));
  b.output(terms.reduce((s, t) => b.add(s, t), b.constant(0, "float32")), "loss");
  return b.finish();
}

const adam = normalizeOptimizer({ kind: "adam", lr: 0.1 });
const TRAIN = { optimizer: adam, gate_optimizer: adam, embedding_optimizer: adam };

/** Each unit as its tensors, each tensor as its members joined with "+". */
const units = (plan: StepPlan) => plan.units.map((u) => u.tensors.map((t) => t.members.map((m) => m.name).join("+")));

describe("the packing pass", () => {
  it("starts from the plain plan: every param, then every rows block, each in a unit of its own", () => {
    const plain = plainPlan(forward(), TRAIN);
    expect(plain.trained.map((t) => t.value.name)).toEqual(["w", "bias", "g1", "g2", "emb/a/rows", "emb/b/rows", "emb/c/rows"]);
    expect(units(plain)).toEqual([["w"], ["bias"], ["g1"], ["g2"], ["emb/a/rows"], ["emb/b/rows"], ["emb/c/rows"]]);
  });

  it("trains a pack as its Concat, and updates each group's tensors and each width's row blocks together", () => {
    const graph = forward();
    const packed = packPlan(graph, plainPlan(graph, TRAIN));
    expect(packed.trained.map((t) => t.value.name)).toEqual(["w", "bias", "gates", "emb/a/rows", "emb/b/rows", "emb/c/rows"]);
    expect(units(packed)).toEqual([["w", "bias"], ["g1+g2"], ["emb/a/rows", "emb/b/rows"], ["emb/c/rows"]]);
  });
});
