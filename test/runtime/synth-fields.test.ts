import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { auc, rmse } from "../../runtime/metrics.js";
import { FIELDS_RECIPE_DEFAULTS, fieldsCsv, fieldsProblem, fieldsSplit, writeFieldsRecipe, type FieldsRecipeOptions } from "../../runtime/synth-fields.js";

const options = (o: Partial<FieldsRecipeOptions> = {}): FieldsRecipeOptions => ({ ...FIELDS_RECIPE_DEFAULTS, rows: { train: 4000, valid: 10, test: 20000 }, ...o });

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
const variance = (a: ArrayLike<number>) => {
  const m = mean(a);
  return Array.from(a).reduce((s, v) => s + (v - m) ** 2, 0) / a.length;
};
const correlation = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  for (let i = 0; i < a.length; i++) ab += (a[i]! - ma) * (b[i]! - mb);
  return ab / a.length / Math.sqrt(variance(a) * variance(b));
};

describe("the fields recipe (mssmc synth --recipe fields)", () => {
  it("gives each task fieldsPerTask fields, shares round(overlap · fieldsPerTask) of them, and lets no task read a noise field", () => {
    for (const [overlap, shared] of [[0, 0], [0.5, 2], [1, 4]] as const) {
      const p = fieldsProblem(options({ overlap }));
      const sets = Object.values(p.truth);
      expect(sets.map((s) => s.length)).toEqual([4, 4, 4]);
      const inAll = sets[0]!.filter((f) => sets.every((s) => s.includes(f)));
      expect(inAll).toHaveLength(shared);
      const noise = p.fields.filter((f) => f.noise).map((f) => f.name);
      expect(noise).toHaveLength(4);
      for (const s of sets) expect(s.filter((f) => noise.includes(f))).toEqual([]);
    }
    const kinds = new Set(fieldsProblem(options()).fields.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(["high_cat", "low_cat", "multi_hot", "numeric"]);
  });

  it("draws a standardized signal per task, labels from it, and nothing from the noise fields", () => {
    const p = fieldsProblem(options());
    const test = fieldsSplit(p, "test");
    for (const task of ["click", "buy", "dwell"]) {
      expect(Math.abs(mean(test.signal[task]!))).toBeLessThan(0.05);
      expect(Math.abs(variance(test.signal[task]!) - 1)).toBeLessThan(0.1);
    }
    // Regression: y = s + σ ε, so y - s has the label noise's spread.
    expect(Math.abs(rmse(Float32Array.from(test.signal.dwell!), Float32Array.from(test.labels.dwell!)) - 0.5)).toBeLessThan(0.02);
    // A numeric noise field is uncorrelated with every label; a linear true field (num1, f = x) is not.
    const column = (name: string) => Float64Array.from(test.values[p.fields.findIndex((f) => f.name === name)]!, (v) => (v === undefined ? 0 : (v as number)));
    for (const task of ["click", "buy", "dwell"]) expect(Math.abs(correlation(column("noise_num1"), test.labels[task]!))).toBeLessThan(0.03);
    expect(p.truth.dwell).toContain("num1");
    expect(correlation(column("num1"), test.signal.dwell!)).toBeGreaterThan(0.2);
    // The oracle (the signal itself) separates the classes well.
    const y = test.labels.click!;
    expect(auc(test.signal.click!, y)).toBeGreaterThan(0.9);
  });

  it("is seeded: the same options give the same bytes, another seed other data", () => {
    const a = fieldsCsv(fieldsProblem(options()), fieldsSplit(fieldsProblem(options()), "train"));
    const b = fieldsCsv(fieldsProblem(options()), fieldsSplit(fieldsProblem(options()), "train"));
    const c = fieldsCsv(fieldsProblem(options({ seed: 2 })), fieldsSplit(fieldsProblem(options({ seed: 2 })), "train"));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it("writes the splits, truth.json, fields.mssm and recipe.json with the best achievable test metrics", () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-fields-"));
    try {
      const written = writeFieldsRecipe(dir, options({ rows: { train: 50, valid: 20, test: 3000 } }));
      expect(JSON.parse(readFileSync(written.files.truth, "utf8"))).toEqual(written.problem.truth);
      const header = readFileSync(written.files.train, "utf8").split("\n")[0]!;
      expect(header).toBe("cat1,num1,item1,tags1,num2,cat2,cat3,num3,noise_cat1,noise_num1,noise_cat2,noise_num2,click,buy,dwell");
      expect(readFileSync(written.files.test, "utf8").trimEnd().split("\n")).toHaveLength(3001);
      const recipe = JSON.parse(readFileSync(written.files.recipe, "utf8"));
      expect(recipe.best_test.dwell.rmse).toBeGreaterThan(0.45);
      expect(recipe.best_test.dwell.rmse).toBeLessThan(0.55);
      expect(recipe.best_test.click.auc).toBeGreaterThan(0.9);
      expect(readFileSync(written.files.fields, "utf8")).toContain("  tags1       multi_hot(dim: 8)\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses options out of range", () => {
    expect(() => fieldsProblem(options({ overlap: 1.5 }))).toThrow("the task overlap must lie in [0, 1], got 1.5");
    expect(() => fieldsProblem(options({ fieldsPerTask: 0 }))).toThrow("the fields per task must be a whole number from 1 to 100, got 0");
    expect(() => fieldsProblem(options({ labelNoise: 0 }))).toThrow("the label noise must lie in (0, 100], got 0");
  });
});
