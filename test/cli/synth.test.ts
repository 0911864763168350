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
});
