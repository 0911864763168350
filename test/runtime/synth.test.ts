import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRows } from "../../cli/synth.js";
import { packageRoot } from "../../base/package-root.js";
import { Random } from "../../base/random.js";
import { loadSpec } from "../../compiler/load/load.js";
import { cosine, formatValue, roundValue, splitCsv, SYNTH_DEFAULTS, synthProblem, synthSplit, writeSynth } from "../../runtime/synth.js";

const pearson = (a: Float64Array, b: Float64Array) => {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
};

describe("synthetic multi-task data (MMoE recipe)", () => {
  it("makes cos(w1, w2) = p with |w1| = |w2| = c and u1 ⊥ u2", () => {
    for (const p of [0, 0.5, 0.9, 1, -0.3]) {
      const { w1, w2, alpha, beta } = synthProblem({ ...SYNTH_DEFAULTS, correlation: p, seed: 11 });
      expect(cosine(w1, w2)).toBeCloseTo(p, 12);
      expect(Math.hypot(...w1)).toBeCloseTo(1, 12);
      expect(Math.hypot(...w2)).toBeCloseTo(1, 12);
      expect(w1).toHaveLength(100);
      expect([alpha.length, beta.length]).toEqual([10, 10]);
    }
    const scaled = synthProblem({ ...SYNTH_DEFAULTS, scale: 3, seed: 2 });
    expect(Math.hypot(...scaled.w1)).toBeCloseTo(3, 12);
  });

  it("gives the noiseless linear parts w_kᵀx a sample correlation near p", () => {
    for (const p of [0.5, 0.9]) {
      const o = { ...SYNTH_DEFAULTS, correlation: p, seed: 5 };
      const problem = synthProblem(o);
      const { x } = synthSplit(problem, o, "train", 5000);
      const l1 = new Float64Array(5000);
      const l2 = new Float64Array(5000);
      for (let r = 0; r < 5000; r++) {
        for (let i = 0; i < 100; i++) {
          l1[r]! += problem.w1[i]! * x[r * 100 + i]!;
          l2[r]! += problem.w2[i]! * x[r * 100 + i]!;
        }
      }
      // Sampling error of a correlation over 5,000 rows is about (1 − p²)/√n < 0.015.
      expect(Math.abs(pearson(l1, l2) - p)).toBeLessThan(0.03);
    }
  });

  it("at p = 1 both labels are the same function of x, differing only by ε", () => {
    const o = { ...SYNTH_DEFAULTS, correlation: 1, seed: 4 };
    const { y1, y2 } = synthSplit(synthProblem(o), o, "test", 200);
    for (let r = 0; r < 200; r++) expect(Math.abs(y1[r]! - y2[r]!)).toBeLessThan(0.1); // |ε1 − ε2| < 7σ·√2
  });

  it("is deterministic per seed, and a split's rows do not depend on the other splits' sizes", () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-synth-"));
    try {
      const a = writeSynth(join(dir, "a"), { ...SYNTH_DEFAULTS, rows: { train: 20, valid: 5, test: 5 }, seed: 9 });
      const b = writeSynth(join(dir, "b"), { ...SYNTH_DEFAULTS, rows: { train: 20, valid: 5, test: 5 }, seed: 9 });
      const c = writeSynth(join(dir, "c"), { ...SYNTH_DEFAULTS, rows: { train: 40, valid: 5, test: 5 }, seed: 9 });
      const d = writeSynth(join(dir, "d"), { ...SYNTH_DEFAULTS, rows: { train: 20, valid: 5, test: 5 }, seed: 10 });
      const read = (f: string) => readFileSync(f, "utf8");
      for (const s of ["train", "valid", "test"] as const) expect(read(a.files[s])).toBe(read(b.files[s]));
      expect(read(c.files.valid)).toBe(read(a.files.valid));
      expect(read(c.files.train).startsWith(read(a.files.train))).toBe(true);
      expect(read(d.files.train)).not.toBe(read(a.files.train));
      const lines = read(a.files.train).trimEnd().split("\n");
      expect(lines).toHaveLength(21);
      expect(lines[0]!.split(",")).toEqual([...Array.from({ length: 100 }, (_, i) => `x${i}`), "y1", "y2"]);
      expect(lines[1]!.split(",")).toHaveLength(102);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes numbers with 7 significant digits", () => {
    expect(formatValue(1 / 3)).toBe("0.3333333");
    expect(formatValue(-1234.56789)).toBe("-1234.568");
    expect(formatValue(2)).toBe("2");
    expect(splitCsv({ x: Float64Array.of(1, 2), y1: Float64Array.of(0.5), y2: Float64Array.of(-0.25) }, 2)).toBe("x0,x1,y1,y2\n1,2,0.5,-0.25\n");
  });

  it("rounds to 7 significant digits exactly as the digits toPrecision writes read back, ties and powers of ten included", () => {
    const rng = Random.stream(5);
    const values = [0, -0, 1, -1, 0.5, 9999999.5, 999999.95, 123456.75, 2.5e-7, 1e22, 1e23, 1e-23, 5e-324, 1.7976931348623157e308, Infinity, NaN];
    for (let i = 0; i < 20_000; i++) values.push(rng.normal(), rng.normal() * 10 ** Math.floor(rng.uniform() * 60 - 30));
    for (let i = 0; i < 5_000; i++) {
      // Exact halfway digits (n + 0.5)·10^−k and values around powers of ten, where a shortcut would slip.
      const k = Math.floor(rng.uniform() * 40) - 20;
      values.push(-(Math.floor(rng.uniform() * 9e6) + 1e6 + 0.5) / 10 ** (6 - k), 10 ** k * (1 + (rng.uniform() - 0.5) * 1e-9));
    }
    const wrong = values.filter((v) => !Object.is(roundValue(v), Number(v.toPrecision(7))));
    expect(wrong).toEqual([]);
  });

  it("refuses bad settings", () => {
    expect(() => synthProblem({ ...SYNTH_DEFAULTS, correlation: 1.5 })).toThrow("the correlation must lie in [-1, 1], got 1.5");
    expect(parseRows("10000,1000,1000", SYNTH_DEFAULTS.rows)).toEqual({ train: 10000, valid: 1000, test: 1000 });
    expect(parseRows("20000000", SYNTH_DEFAULTS.rows)).toEqual({ train: 20000000, valid: 1000, test: 1000 });
    expect(() => parseRows("10,5", SYNTH_DEFAULTS.rows)).toThrow('--rows expects three positive whole numbers TRAIN,VALID,TEST (like 10000,1000,1000) or one (the training rows), got "10,5"');
    expect(() => parseRows("10,0,5", SYNTH_DEFAULTS.rows)).toThrow("got \"10,0,5\"");
  });

  it("has a spec per architecture under specs/synth: 100 numeric fields x0..x99, two regression tasks", () => {
    for (const name of ["mmoe", "shared-bottom", "mssm"]) {
      const loaded = loadSpec(join(packageRoot(), "specs", "synth", `${name}.mssm`));
      expect(loaded.diagnostics).toEqual([]);
      const spec = loaded.spec!;
      expect(spec.fields.map((f) => `${f.name}:${f.kind}`)).toEqual(Array.from({ length: 100 }, (_, i) => `x${i}:numeric`));
      expect(spec.tasks.map((t) => `${t.name}:${t.kind}:${t.label}`)).toEqual(["t1:regression:y1", "t2:regression:y2"]);
    }
  });
});
