import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatQuality, meanStd, modelSpecs, qualityRow, type QualityOptions } from "../../bench/quality.js";
import { packageRoot } from "../../base/package-root.js";
import { SYNTH_DEFAULTS, writeSynth } from "../../runtime/synth.js";

// Keeps bench/quality.ts from rotting: one tiny run on synthetic data, one on Adult, and the table.

const root = packageRoot();
const tiny: QualityOptions = { seeds: [1, 2], epochs: 1, patience: 1, validFraction: 0.1, threads: 1, synthRows: { train: 256, valid: 64, test: 64 } };

describe("quality benchmark", () => {
  it("computes mean and sample standard deviation", () => {
    expect(meanStd([1, 2, 3])).toEqual({ mean: 2, std: 1 });
    expect(meanStd([5])).toEqual({ mean: 5, std: 0 });
  });

  it("lists the model specs of the zoo and of specs/synth", () => {
    expect(modelSpecs(join(root, "specs", "zoo"), ["adult.mssm"])).toContain("mssm.mssm");
    expect(modelSpecs(join(root, "specs", "synth"), ["synth.mssm"])).toEqual(["cgc.mssm", "cross-stitch.mssm", "mmoe.mssm", "mssm-a.mssm", "mssm-b.mssm", "mssm.mssm", "ple.mssm", "shared-bottom.mssm", "single-task.mssm", "snr-aver.mssm", "snr-trans.mssm"]);
  });

  it("trains a synthetic model over two seeds and prints MSE, sizes and gates", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-quality-test-"));
    try {
      const { files } = writeSynth(dir, { ...SYNTH_DEFAULTS, correlation: 0.9, rows: tiny.synthRows, seed: 1 });
      const row = await qualityRow(join(root, "specs", "synth", "mssm.mssm"), "synth p=0.9", files, tiny);
      expect(row.metric).toEqual({ t1: "MSE", t2: "MSE" });
      expect(row.runs.map((r) => [r.seed, r.epochs, r.bestEpoch])).toEqual([[1, 1, 1], [2, 1, 1]]);
      for (const r of row.runs) {
        expect(r.metrics["t1"]).toBeGreaterThan(0);
        expect(r.gates.total).toBeGreaterThan(0);
        expect(r.gates.closed).toBeLessThanOrEqual(r.gates.total);
      }
      expect(row.macs).toBeGreaterThan(0);
      const lines = formatQuality([row]);
      // Columns are padded to their widest cell; the header's words are what is checked.
      expect(lines[0]!.replace(/ +/g, " ")).toBe(
        "| model | t1 MSE (mean ± std) | t2 MSE (mean ± std) | seeds | epochs (best) | dense params | mult-adds/example | gates closed |",
      );
      expect(lines[2]).toMatch(/^\| mssm +\| +\d+\.\d{4} ± \d+\.\d{4} \| +\d+\.\d{4} ± \d+\.\d{4} \| +2 \| +1 \(1\), 1 \(1\) \| +[\d,]+ \| +[\d,]+ \| +\d+\.\d% of [\d,]+ \|$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("trains a zoo model on Adult and shows a missing task as a dash", async () => {
    const files = { train: join(root, "data", "adult", "adult.data.gz"), test: join(root, "data", "adult", "adult.test.gz") };
    const row = await qualityRow(join(root, "specs", "zoo", "single-task.mssm"), "adult", files, { ...tiny, seeds: [1] });
    expect(Object.keys(row.runs[0]!.metrics)).toEqual(["income"]);
    expect(row.runs[0]!.metrics["income"]).toBeGreaterThan(0.5);
    const other = { ...row, model: "two", metric: { income: "AUC", never_married: "AUC" }, runs: row.runs.map((r) => ({ ...r, metrics: { income: 0.9, never_married: 0.95 } })) };
    const lines = formatQuality([row, other]);
    expect(lines[2]).toMatch(/^\| single-task \| +0\.\d{4} ± 0\.0000 \| +– \|/);
    expect(lines[3]).toMatch(/^\| two +\| +0\.9000 ± 0\.0000 \| +0\.9500 ± 0\.0000 \|/);
    expect(lines[2]).toMatch(/\| +no gates \|$/);
  });
});
