import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chosenVariants, formatVariant, precisionRecall, ranksTruthFirst, scoreInspection, SELECTION_DEFAULTS, selectionBench, selectionOptions, variantModel, VARIANTS } from "../../bench/selection.js";
import type { FieldSelection } from "../../runtime/inspect.js";
import type { Importance } from "../../runtime/importance.js";

// Keeps bench/selection.ts from rotting: the options, the variant specs, the scoring on a
// hand-made case, and one tiny run (one seed, one epoch) with its table. No quality asserts.

describe("selection benchmark", () => {
  it("reads its options from the command line", () => {
    expect(selectionOptions([])).toEqual(SELECTION_DEFAULTS);
    expect(selectionOptions(["--seeds", "4", "--rows", "100,50,60", "--epochs", "2", "--only", "mssm-b0", "--specs", "mine=a.mssm", "--overlap", "0"])).toEqual({
      ...SELECTION_DEFAULTS,
      seeds: [4],
      rows: { train: 100, valid: 50, test: 60 },
      epochs: 2,
      only: ["mssm-b0"],
      specs: { mine: "a.mssm" },
      overlap: 0,
    });
    expect(() => selectionOptions(["--rows", "100,50"])).toThrow("--rows needs three positive whole numbers train,valid,test");
    expect(() => selectionOptions(["--specs", "a.mssm"])).toThrow('--specs needs name=file.mssm entries, got "a.mssm"');
    expect(() => chosenVariants({ ...SELECTION_DEFAULTS, only: ["nope"] })).toThrow("--only: no variant nope");
    // --only keeps the baselines every variant is compared with.
    expect(chosenVariants({ ...SELECTION_DEFAULTS, only: ["mssm-b0"] }).map((v) => v.name)).toEqual(["mssm-b0", "mmoe", "shared-bottom"]);
  });

  it("writes a variant as its template with the variant's entries merged into the template's blocks", () => {
    const text = variantModel({ name: "x-1", template: "mssm", about: "a test", sections: { regularize: "l0: 1e-3", gates: "select_offset: 0" }, replace: { "select fields": "select fields per group" } });
    expect(text).toContain('import "fields.mssm"\n\nmodel x_1 {\n  groups click, buy, dwell, shared\n');
    expect(text).toContain("\n  regularize { l2: 1e-5, l0: 1e-3 }\n");
    expect(text.endsWith("\n  gates { select_offset: 0 }\n}\n")).toBe(true);
    expect(VARIANTS.filter((v) => v.sections?.["gates"]?.startsWith("select_offset")).map((v) => v.sections!["gates"])).toEqual(["select_offset: 0"]);
    // The first variant is the language's defaults: nothing merged in.
    expect(VARIANTS[0]).toMatchObject({ name: "mssm", template: "mssm" });
    expect(VARIANTS[0]!.sections ?? VARIANTS[0]!.replace).toBeUndefined();
  });

  it("scores a selection by precision and recall against the truth, counts open noise fields per group, and checks the importance ranking", () => {
    expect(precisionRecall(["a", "b", "n1"], ["a", "b", "c", "d"])).toEqual({ precision: 2 / 3, recall: 0.5 });
    expect(precisionRecall([], ["a"])).toEqual({ precision: 0, recall: 0 });
    expect(precisionRecall(["a"], ["a"])).toEqual({ precision: 1, recall: 1 });
    const fields = ["a", "b", "c", "n1", "n2"];
    expect(ranksTruthFirst([0.3, 0.2, 0.1, 0.05, 0.09], fields, ["a", "b", "c"], ["n1", "n2"])).toBe(true);
    expect(ranksTruthFirst([0.3, 0.2, 0.1, 0.05, 0.1], fields, ["a", "b", "c"], ["n1", "n2"])).toBe(false);
    // Groups click (reads a, n1), buy (reads a, b, c), shared (reads everything); a noise-free click truth of a, b.
    const selected = [
      [true, true, true],
      [false, true, true],
      [false, true, true],
      [true, false, true],
      [false, false, true],
    ];
    const fs: FieldSelection = { file: "t.csv", rows: 10, fields, groups: ["click", "buy", "shared"], strength: selected.map((r) => r.map(Number)), selected };
    const drop = [
      [0.2, 0.1, 0, 0.01, 0],
      [0.1, 0.1, 0.1, 0, 0],
    ];
    const importance: Importance = { file: "t.csv", rows: 10, repeats: 1, seed: 1, tasks: ["click", "buy"], fields, metrics: ["auc", "auc"], base: [0.9, 0.9], drop, std: drop, min: drop, max: drop };
    const truth = { click: ["a", "b"], buy: ["a", "b", "c"] };
    expect(scoreInspection({ fieldSelection: fs, importance }, truth, ["n1", "n2"])).toEqual({
      selection: { click: { precision: 0.5, recall: 0.5 }, buy: { precision: 1, recall: 1 } },
      noiseOpen: { click: 1, buy: 0, shared: 2 },
      importanceRanks: { click: true, buy: true },
    });
    // A model without field selection has importance only.
    expect(scoreInspection({ fieldSelection: { unavailable: "no" }, importance }, truth, ["n1", "n2"])).toEqual({ importanceRanks: { click: true, buy: true } });
  });

  it("trains every chosen variant and the baselines on tiny truth data and prints a table per variant", async () => {
    const work = mkdtempSync(join(tmpdir(), "mssmc-selection-test-"));
    try {
      const o = { ...SELECTION_DEFAULTS, seeds: [1], rows: { train: 1500, valid: 300, test: 400 }, epochs: 1, importanceRows: 200, only: ["mssm-b0"] };
      const runs = await selectionBench(o, work);
      expect(runs.map((r) => [r.variant, r.seed, r.epochs])).toEqual([
        ["mssm-b0", 1, 1],
        ["mmoe", 1, 1],
        ["shared-bottom", 1, 1],
      ]);
      const [mssm, mmoe] = runs;
      expect(Object.keys(mssm!.selection!)).toEqual(["click", "buy", "dwell"]);
      expect(Object.keys(mssm!.noiseOpen!)).toEqual(["click", "buy", "dwell", "shared"]);
      expect(mmoe!.selection).toBeUndefined();
      expect(Object.keys(mmoe!.importanceRanks)).toEqual(["click", "buy", "dwell"]);
      const lines = formatVariant("mssm-b0", runs, runs);
      expect(lines[0]).toBe("| task  | metric |   test | best achievable | vs best | vs mmoe | vs shared-bottom | precision | recall | noise open (own group) | importance true > noise |");
      expect(lines[2]).toMatch(/^\| click \| +AUC \| 0\.\d{4} \| +0\.\d{4} \| +[-+]0\.\d{4} \| +[-+]0\.\d{4} \| +[-+]0\.\d{4} \| +[01]\.\d\d \| +[01]\.\d\d \| +\d\.\d \| +[01] \/ 1 seeds \|$/);
      expect(lines[4]).toMatch(/^\| dwell \| +RMSE \| \d\.\d{4} \| +\d\.\d{4} \| +[-+]\d+\.\d% \| +[-+]\d+\.\d% \| +[-+]\d+\.\d% \|/);
      expect(lines[6]).toMatch(/^noise fields still read per group \(mean \[min, max\] over seeds\): click \d\.\d, buy \d\.\d, dwell \d\.\d, shared \d\.\d$/);
      expect(formatVariant("mmoe", runs, runs)[2]).toMatch(/^\| click \| +AUC \| 0\.\d{4} \| +0\.\d{4} \| +[-+]0\.\d{4} \| +– \| +[-+]0\.\d{4} \| +– \| +– \| +– \|/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
