import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ADULT_SPEC, adultFixture, adultRows, mssmc, newRunDir, trainArgs } from "./helpers.js";

// Labels that do not say what the spec thinks they say: a value outside a declared negative list
// stops training with counts, and a label column of another kind is a warning at training start.

describe("mssmc train and the label values", () => {
  it("warns that marital-status has 7 values under one-vs-rest, and trains (exit 0)", () => {
    const f = adultFixture();
    const spec = join(f.dir, "married.mssm");
    writeFileSync(spec, ADULT_SPEC.replace('income binary(label: Y, positive: [">50K"])', 'income binary(label: marital-status, positive: "Never-married")'));
    const r = mssmc(...trainArgs({ spec, data: f.data }, newRunDir()));
    expect(r.status).toBe(0);
    expect(r.stderr.split("\n").filter((l) => l.includes("warning"))).toEqual([
      `${f.data}: warning: binary task "income" reads 7 distinct values in column "marital-status"; "Never-married" counts as positive and the other 6 as negative. ` +
        'If one-vs-rest is meant, say so with negative: ["Married-civ-spouse", "Divorced", "Married-spouse-absent", "Separated", "Married-AF-spouse", "Widowed"]; ' +
        "if not, check the task's positive values and its label column.",
    ]);
  }, 60_000);

  it("refuses labels in neither positive nor negative with counts, or skips them with --skip-bad-rows", () => {
    const f = adultFixture();
    const spec = join(f.dir, "negative.mssm");
    writeFileSync(spec, ADULT_SPEC.replace('positive: [">50K"]', 'positive: ">50K", negative: "<=50K"'));
    const data = join(f.dir, "yes-no.csv");
    // Every other "<=50K" (115 of the 230 in these 300 rows, the first on line 2) becomes "yes" or "no", in turn.
    let k = 0;
    writeFileSync(data, adultRows(300).replace(/<=50K$/gm, (m) => (k++ % 2 === 0 ? (k % 4 === 1 ? "yes" : "no") : m)));
    const out = newRunDir();
    const refused = mssmc(...trainArgs({ spec, data }, out));
    expect([refused.status, refused.stderr.split("\n").filter((l) => l.startsWith("mssmc:"))]).toEqual([
      1,
      [
        `mssmc: error: ${data}:2:Y: binary task "income" has 115 rows whose label is neither positive (">50K") nor negative ("<=50K"): "yes" (58 rows), "no" (57 rows). ` +
          "Add each value to positive or negative, or skip these rows with --skip-bad-rows.",
      ],
    ]);
    const skipped = mssmc(...trainArgs({ spec, data }, out), "--skip-bad-rows");
    expect(skipped.status).toBe(0);
    expect(skipped.stderr.split("\n").slice(0, 2)).toEqual([`${data}: 185 rows, 115 bad rows skipped`, `  skipped ${data}:2:Y: expected ">50K" (positive) or "<=50K" (negative), found "yes"`]);
  }, 60_000);
});
