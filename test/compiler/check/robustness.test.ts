import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runRules } from "../../../compiler/check/rule.js";
import { rules } from "../../../compiler/check/rules/index.js";
import { loadSpec } from "../../../compiler/load/load.js";
import { normalize } from "../../../compiler/load/normalize.js";
import { SourceMap } from "../../../compiler/load/source-map.js";
import { topology } from "../../../compiler/load/topology.js";

/** A small seeded generator (mulberry32), so a failing spec can be reproduced from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A binary task's negative values by seed (absent, empty, one string, overlapping positive), drawing nothing from the generator so the other draws stay as they were. */
const negative = (seed: number): { negative?: unknown } => (seed % 4 === 0 ? {} : { negative: [[], "0", ["0", "1"]][seed % 4 - 1] });

/** A multiclass task's sample weight column by seed (absent, a column of its own, another task's label), drawing nothing from the generator. */
const sampleWeight = (seed: number): { sample_weight?: string } => (seed % 3 === 0 ? {} : { sample_weight: ["w", "y"][seed % 3 - 1]! });

/** A monitor by seed (absent, a task's metric, an unknown task, a metric of another kind, a weight 0), drawing nothing from the generator. */
const monitor = (seed: number): { monitor?: unknown } =>
  seed % 5 === 0 ? {} : { monitor: [[{ task: "t", metric: "auc" }], [{ task: "x", metric: "auc" }], [{ task: "t", metric: "rmse" }], [{ task: "t", metric: "auc", weight: 0 }]][seed % 5 - 1] };

/** A schema-shaped spec with odd but well-typed values: empty lists, zero sizes, unknown names. */
function oddSpec(seed: number): Record<string, unknown> {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = () => pick([-1, 0, 1, 2, 8]);
  const names = ["a", "b", "shared", "input", "t", "u", "constructor"];
  const fields = Array.from({ length: pick([0, 1, 2]) }, (_, i) => ({ name: `f${i}`, kind: pick(["categorical", "numeric", "multi_hot"]), dim: int(), column: pick(["y", "c", `f${i}`]) }));
  const tasks = Array.from({ length: pick([0, 1, 2]) }, (_, i) => (i ? { name: "u", kind: "multiclass", label: "z", classes: int(), ...sampleWeight(seed) } : { name: "t", kind: "binary", label: "y", positive: pick([[], ["1"]]), weight: pick([0, -1, 1]), ...negative(seed) }));
  const groups = Array.from({ length: pick([0, 1, 2, 3]) }, () => pick(names));
  const connect = () => ({ kind: pick(["dense", "cssm", "l0_average", "softmax_gate", "cross_stitch"]), sources: pick(["auto", "own", "shared", "own_and_shared", "all"]) });
  const mlp = () => ({ count: int(), widths: pick([[], [int()], [8, int()], [20_000, 20_000]]) });
  const levels = Array.from({ length: pick([0, 1, 2, 3]) }, () => ({
    experts: Object.fromEntries(Array.from({ length: pick([0, 1, 2]) }, () => [pick(names), mlp()])),
    connect: connect(),
  }));
  const towers = { connect: connect(), tasks: Object.fromEntries(Array.from({ length: pick([0, 1, 2]) }, () => [pick(names), { widths: pick([[], [int()]]) }])) };
  const optimizer = () => ({ kind: pick(["adam", "adamw", "sgd", "adagrad"]), lr: pick([-1, 0, 1e-3, 5]), momentum: pick([0, 1]) });
  return {
    mssm: 1,
    model: "m",
    fields,
    tasks,
    groups,
    select_fields: r() < 0.5,
    levels,
    towers,
    regularize: { l0: pick([-1, 0, 1e-4]) },
    gates: { gamma: pick([-0.1, 0.1]), zeta: pick([1, 1.1]), beta: pick([0, 0.5]), init_drop: pick([0, 0.5, 1]) },
    train: { optimizer: optimizer(), gate_optimizer: optimizer(), embedding_optimizer: optimizer(), batch: int(), epochs: int(), ...monitor(seed) },
  };
}

describe("check rules", () => {
  it("never throw on odd but well-typed specs", () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 500; seed++) {
      const spec = normalize(oddSpec(seed));
      expect(() => runRules(rules, spec, new SourceMap(), topology(spec), "odd.json").forEach((d) => seen.add(d.code)), `seed ${seed}`).not.toThrow();
    }
    // The generator reaches every rule, so each was run on specs that break it.
    expect([...seen].sort()).toEqual(rules.map((r) => r.code).sort());
  });

  it("find no error in any zoo spec", () => {
    const zoo = join(import.meta.dirname, "../../../specs/zoo");
    const files = readdirSync(zoo).filter((f) => f.endsWith(".mssm"));
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) {
      const errors = loadSpec(join(zoo, f)).diagnostics.filter((d) => d.severity === "error");
      expect(errors, f).toEqual([]);
    }
  });
});
