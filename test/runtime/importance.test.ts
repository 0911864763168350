// Permutation importance on a hand-made model: a predictor written in JavaScript that reads some
// fields and ignores others. A field the predictor ignores must score exactly 0 (its shuffle leaves
// every prediction as it was); a field it reads must score above 0 for the task reading it and 0
// for the others; the numbers are the metric differences computed by hand, and seeded.

import { describe, expect, it } from "vitest";
import { loadSpec } from "../../compiler/load/load.js";
import { permutation, Random } from "../../base/random.js";
import type { Dataset } from "../../runtime/data/dataset.js";
import { selectRows, takeRows } from "../../runtime/data/select-rows.js";
import type { Predictions } from "../../runtime/evaluate.js";
import { permutationImportance } from "../../runtime/importance.js";
import { auc, rmse } from "../../runtime/metrics.js";
import { writeTemp } from "./helpers.js";

const SPEC = `fields {
  a numeric
  b categorical(dim: 2)
  t multi_hot(dim: 2)
  n numeric
}
tasks {
  y binary(label: y)
  r regression(label: r)
  k multiclass(2, label: k)
}
model m {
  groups shared
  level 1 { experts: mlp[4] relu }
  towers { tower: mlp[2] relu }
}
`;

const ROWS = 400;

/** Columns from a fixed generator: y reads a, r reads b, k reads the token count of t; n is noise. */
function dataset(): Dataset {
  const rng = Random.fromSeed(11);
  const a = Float32Array.from({ length: ROWS }, () => rng.normal());
  const b = Int32Array.from({ length: ROWS }, () => 1 + rng.below(3));
  const n = Float32Array.from({ length: ROWS }, () => rng.normal());
  const offsets = new Int32Array(ROWS + 1);
  const ids: number[] = [];
  for (let r = 0; r < ROWS; r++) {
    const count = rng.below(3);
    for (let j = 0; j < count; j++) ids.push(1 + rng.below(4));
    offsets[r + 1] = ids.length;
  }
  const y = Float32Array.from(a, (v) => (v + 0.5 * rng.normal() > 0 ? 1 : 0));
  const r = Float32Array.from(b, (v) => v + 0.3 * rng.normal());
  const k = Int32Array.from({ length: ROWS }, (_v, i) => (offsets[i + 1]! - offsets[i]! > 0 ? 1 : 0));
  return {
    file: "hand.csv",
    rows: ROWS,
    lines: Int32Array.from({ length: ROWS }, (_v, i) => i + 2),
    fields: { a: { kind: "numeric", values: a }, b: { kind: "categorical", ids: b }, t: { kind: "multi_hot", offsets, ids: Int32Array.from(ids) }, n: { kind: "numeric", values: n } },
    labels: { y, r, k },
  };
}

/** The "model": y from a, r from b, k from whether t has tokens; n unread. */
async function predict(d: Dataset): Promise<Predictions> {
  const a = d.fields["a"]!;
  const b = d.fields["b"]!;
  const t = d.fields["t"]!;
  if (a.kind !== "numeric" || b.kind !== "categorical" || t.kind !== "multi_hot") throw new Error("kinds");
  const k = new Float32Array(2 * d.rows);
  for (let i = 0; i < d.rows; i++) {
    const has = t.offsets[i + 1]! > t.offsets[i]! ? 1 : 0;
    k[2 * i + has] = 0.9;
    k[2 * i + 1 - has] = 0.1;
  }
  return { y: Float32Array.from(a.values, (v) => 1 / (1 + Math.exp(-2 * v))), r: Float32Array.from(b.ids), k };
}

describe("permutationImportance", () => {
  it("scores the fields a task reads above 0 and every field it ignores exactly 0, as the metric differences of seeded shuffles", async () => {
    const spec = loadSpec(writeTemp("m.mssm", SPEC)).spec!;
    const data = dataset();
    const imp = await permutationImportance(spec, data, predict, { repeats: 4, seed: 3 });
    expect([imp.tasks, imp.fields, imp.metrics, imp.repeats, imp.seed, imp.rows]).toEqual([["y", "r", "k"], ["a", "b", "t", "n"], ["auc", "rmse", "accuracy"], 4, 3, ROWS]);
    const base = await predict(data);
    expect(imp.base[0]).toBeCloseTo(auc(base["y"]!, data.labels["y"]!), 12);
    expect(imp.base[1]).toBeCloseTo(rmse(base["r"]!, data.labels["r"]!), 12);
    expect(imp.base[2]).toBe(1);
    // Each task's own field: a clear loss; every other field (n above all): exactly nothing.
    const reads = [0, 1, 2];
    imp.tasks.forEach((_t, k) => {
      imp.fields.forEach((_f, i) => {
        if (i === reads[k]) expect(imp.drop[k]![i]!).toBeGreaterThan(0.05);
        else expect([imp.drop[k]![i], imp.std[k]![i], imp.min[k]![i], imp.max[k]![i]]).toEqual([0, 0, 0, 0]);
        expect(imp.min[k]![i]!).toBeLessThanOrEqual(imp.drop[k]![i]!);
        expect(imp.max[k]![i]!).toBeGreaterThanOrEqual(imp.drop[k]![i]!);
      });
    });
    // The first shuffle of a (field 0) is permutation(rows, Random.stream(3, 79, 0, 0)): the AUC drop by hand.
    const order = permutation(ROWS, Random.stream(3, 79, 0, 0));
    const shuffled = await predict({ ...data, fields: { ...data.fields, a: takeRows(data.fields["a"]!, order) } });
    const first = auc(base["y"]!, data.labels["y"]!) - auc(shuffled["y"]!, data.labels["y"]!);
    expect(imp.min[0]![0]! <= first + 1e-12 && first <= imp.max[0]![0]! + 1e-12).toBe(true);
    // r: RMSE rises when b is shuffled, reported as a positive number.
    expect(imp.drop[1]![1]!).toBeGreaterThan(0.3);
    // Seeded: the same call gives the same numbers; another seed other shuffles.
    expect(await permutationImportance(spec, data, predict, { repeats: 4, seed: 3 })).toEqual(imp);
    expect((await permutationImportance(spec, data, predict, { repeats: 4, seed: 4 })).drop[0]![0]).not.toBe(imp.drop[0]![0]);
  });

  it("selects and reorders rows of every column kind, labels and lines with them", () => {
    const data = dataset();
    const rows = Int32Array.of(5, 0, 5);
    const sub = selectRows(data, rows);
    const t = data.fields["t"]!;
    const st = sub.fields["t"]!;
    if (t.kind !== "multi_hot" || st.kind !== "multi_hot") throw new Error("kinds");
    const tokens = (c: typeof t, r: number) => [...c.ids.subarray(c.offsets[r]!, c.offsets[r + 1]!)];
    expect([0, 1, 2].map((i) => tokens(st, i))).toEqual([tokens(t, 5), tokens(t, 0), tokens(t, 5)]);
    expect(st.offsets.length).toBe(4);
    expect([...sub.lines]).toEqual([7, 2, 7]);
    expect([...(sub.labels["k"] as Int32Array)]).toEqual([5, 0, 5].map((r) => data.labels["k"]![r]!));
    expect(sub.labels["k"]).toBeInstanceOf(Int32Array);
    const a = sub.fields["a"]!;
    if (a.kind !== "numeric" || data.fields["a"]!.kind !== "numeric") throw new Error("kinds");
    expect(a.values[1]).toBe((data.fields["a"] as { values: Float32Array }).values[0]);
  });
});
