// The seeded generator and parameter initialisers: same seed, same bytes; per-name streams.

import { describe, expect, it } from "vitest";
import { Builder } from "../../compiler/ir/graph.js";
import { initialValue, initialValues, initText } from "../../compiler/ir/init.js";
import { Random } from "../../base/random.js";
import { InvariantError } from "../../base/source/diagnostic.js";

const draws = (r: Random, n: number, f: (r: Random) => number) => Array.from({ length: n }, () => f(r));
const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((v) => (v - mean(xs)) ** 2)));

describe("Random", () => {
  it("gives the same sequence for the same seed on every machine", () => {
    expect(draws(Random.fromSeed(42), 4, (r) => r.nextUint32())).toEqual([1055886876, 3955824093, 856718785, 2589979892]);
    expect(draws(Random.fromSeed(42), 5, (r) => r.uniform())).toEqual(draws(Random.fromSeed(42), 5, (r) => r.uniform()));
    expect(draws(Random.fromSeed(43), 3, (r) => r.nextUint32())).not.toEqual(draws(Random.fromSeed(42), 3, (r) => r.nextUint32()));
    expect(draws(Random.fromSeed(2 ** 32 + 42), 3, (r) => r.nextUint32())).not.toEqual(draws(Random.fromSeed(42), 3, (r) => r.nextUint32()));
  });

  it("derives independent streams per seed and name", () => {
    const first = (seed: number, name: string) => Random.derive(seed, name).uniform();
    expect(first(7, "income/tower/dense0/weight")).toBe(0.09040566447786702);
    expect(first(7, "a")).not.toBe(first(7, "b"));
    expect(first(7, "a")).not.toBe(first(8, "a"));
    expect(first(7, "ab")).not.toBe(first(7, "ba"));
  });

  it("draws uniforms in [0, 1) and normals with the asked mean and std", () => {
    const u = draws(Random.fromSeed(1), 20000, (r) => r.uniform());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.01);
    const n = draws(Random.fromSeed(2), 20000, (r) => r.normal(3, 0.5));
    expect(Math.abs(mean(n) - 3)).toBeLessThan(0.01);
    expect(Math.abs(std(n) - 0.5)).toBeLessThan(0.01);
    const w = draws(Random.fromSeed(3), 1000, (r) => r.uniformIn(-2, -1));
    expect(w.every((v) => v >= -2 && v < -1)).toBe(true);
  });

  it("fills float32 arrays from the top 24 bits of the words nextUint32 returns, and goes on where they stop", () => {
    const filled = new Float32Array(1000);
    const rng = Random.stream(9, 3, 17);
    rng.fillUniform24(filled, 1e-6, 1 - 1e-6);
    const words = Random.stream(9, 3, 17);
    const scale = (1 - 2e-6) / 2 ** 24;
    expect([...filled]).toEqual(draws(words, 1000, (r) => Math.fround(1e-6 + scale / 2 + (r.nextUint32() >>> 8) * scale)));
    expect(rng.nextUint32()).toBe(words.nextUint32());
    expect(Math.min(...filled)).toBeGreaterThan(0);
    expect(Math.max(...filled)).toBeLessThan(1);
    expect(Math.abs(mean([...filled]) - 0.5)).toBeLessThan(0.02);
    // The extreme words stay inside (ε, 1 − ε) once rounded to float32 (gate noise needs log u and log(1 − u) finite).
    expect(Math.fround(1e-6 + scale / 2 + (2 ** 24 - 1) * scale)).toBeLessThan(1);
    expect(Math.fround(1e-6 + scale / 2)).toBeGreaterThan(0);
  });

  it("rejects seeds that are not non-negative integers", () => {
    expect(() => Random.fromSeed(-1)).toThrow(new InvariantError("Seed -1 is not a non-negative integer."));
    expect(() => Random.derive(1.5, "x")).toThrow(new InvariantError("Seed 1.5 is not a non-negative integer."));
  });
});

describe("initial values", () => {
  function graph(extra: boolean) {
    const b = new Builder("g");
    if (extra) b.param("added/first", [3], { kind: "normal", mean: 0, std: 1 });
    b.param("w", [40, 60], { kind: "glorot_uniform" });
    b.param("log_alpha", [500], { kind: "normal", mean: 0, std: 0.01 }, { group: "gate", dtype: "float64" });
    b.param("b", [4], { kind: "constant", value: 0.5 });
    b.param("z", [2], { kind: "zeros" });
    b.param("u", [1000], { kind: "uniform", low: -0.1, high: 0.1 });
    return b.finish();
  }

  it("are byte-identical for the same seed and unchanged by adding another param", () => {
    const a = initialValues(graph(false), 7);
    const b = initialValues(graph(true), 7);
    for (const [name, data] of a) expect(Buffer.from(b.get(name)!.buffer)).toEqual(Buffer.from(data.buffer));
    expect(Buffer.from(initialValues(graph(false), 8).get("w")!.buffer)).not.toEqual(Buffer.from(a.get("w")!.buffer));
  });

  it("follow each initialiser", () => {
    const v = initialValues(graph(false), 7);
    const w = [...v.get("w")!];
    const limit = Math.sqrt(6 / (40 + 60));
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.99 * limit);
    const la = [...v.get("log_alpha")!];
    expect(v.get("log_alpha")).toBeInstanceOf(Float64Array);
    expect(Math.abs(std(la) - 0.01)).toBeLessThan(0.001);
    expect([...v.get("b")!]).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect([...v.get("z")!]).toEqual([0, 0]);
    expect([...v.get("u")!].every((x) => x >= Math.fround(-0.1) && x <= Math.fround(0.1))).toBe(true);
  });

  it("need a weight of rank >= 2 for glorot_uniform", () => {
    const b = new Builder("g");
    b.param("v", [3], { kind: "glorot_uniform" });
    expect(() => initialValue(b.graph.params[0]!, 1)).toThrow(new InvariantError("glorot_uniform needs a weight of rank >= 2, v has [3]."));
  });

  it("describe themselves in the text form", () => {
    expect(graph(false).params.map((p) => initText(p.init))).toEqual([
      "glorot_uniform",
      "normal(mean=0, std=0.01)",
      "constant(0.5)",
      "zeros",
      "uniform(low=-0.1, high=0.1)",
    ]);
  });
});
