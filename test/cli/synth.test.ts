import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runSynth } from "../../cli/synth.js";

describe("mssmc synth", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes the three splits and says what it wrote", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-synth-cli-"));
    const out: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    try {
      expect(await runSynth({ out: dir, correlation: 0.9, rows: "30,10,5", seed: 2, dim: 4 })).toBe(0);
      expect(readFileSync(join(dir, "valid.csv"), "utf8").trimEnd().split("\n")).toHaveLength(11);
      expect(readFileSync(join(dir, "test.csv"), "utf8").split("\n")[0]).toBe("x0,x1,x2,x3,y1,y2");
      expect(out.join("")).toContain("4 numeric columns x0..x3, labels y1, y2; correlation 0.9 (cos(w1, w2) = 0.900000), seed 2\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a bad option on standard error with exit code 1 and writes nothing", async () => {
    const dir = join(tmpdir(), `mssmc-synth-none-${process.pid}`);
    const err: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    expect(await runSynth({ out: dir, correlation: -1.5, rows: "30,10,5", seed: 2, dim: 4 })).toBe(1);
    expect(err.join("")).toBe("mssmc: error: --correlation must lie in [-1, 1], got -1.5\n");
    expect(existsSync(dir)).toBe(false);
  });

  it("writes the fields recipe and refuses an option of the other recipe", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-synth-fields-"));
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    try {
      expect(await runSynth({ out: dir, recipe: "fields", rows: "40,10,500", seed: 3, noiseFields: 2, overlap: 0 })).toBe(0);
      expect(Object.keys(JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")))).toEqual(["click", "buy", "dwell"]);
      expect(out.join("")).toContain("14 fields (2 read by no task), seed 3; each task's true fields and the best achievable test metrics:\n");
      expect(await runSynth({ out: join(dir, "other"), recipe: "fields", seed: 3, correlation: 0.5 })).toBe(1);
      expect(await runSynth({ out: join(dir, "other"), seed: 3, overlap: 0.5 })).toBe(1);
      expect(await runSynth({ out: join(dir, "other"), recipe: "fields", seed: 3, overlap: 1.5 })).toBe(1);
      expect(err.join("")).toBe(
        "mssmc: error: --correlation applies to --recipe mmoe only (this is --recipe fields)\n" +
          "mssmc: error: --overlap applies to --recipe fields only (this is --recipe mmoe)\n" +
          "mssmc: error: --overlap must lie in [0, 1], got 1.5\n",
      );
      expect(existsSync(join(dir, "other"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives the noise fields the kinds asked for, in turn, and names a kind it does not know", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-synth-noise-kinds-"));
    const err: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    try {
      expect(await runSynth({ out: dir, recipe: "fields", rows: "40,10,20", seed: 3, noiseFields: 3, noiseKinds: "high_cat,multi_hot" })).toBe(0);
      const header = readFileSync(join(dir, "train.csv"), "utf8").split("\n")[0]!.split(",");
      expect(header.filter((c) => c.startsWith("noise_"))).toEqual(["noise_item1", "noise_tags1", "noise_item2"]);
      const spec = readFileSync(join(dir, "fields.mssm"), "utf8");
      expect(spec).toMatch(/noise_item1 +categorical/);
      expect(spec).toMatch(/noise_tags1 +multi_hot/);
      expect(await runSynth({ out: join(dir, "other"), recipe: "fields", seed: 3, noiseKinds: "high_cat,ids" })).toBe(1);
      expect(err.join("")).toBe('mssmc: error: --noise-kinds expects a comma-separated list of low_cat, numeric, high_cat, multi_hot, got "ids" in "high_cat,ids"\n');
      expect(existsSync(join(dir, "other"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
