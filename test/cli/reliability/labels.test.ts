import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ADULT_SPEC, adultFixture, adultRows, mssmc, newRunDir, trainArgs } from "./helpers.js";

// A binary task whose training rows hold one class trains nothing and selects epochs by an
// undefined AUC; it is an error naming the task, the column, the counts and the values seen.

describe("a binary task with one class in its training rows", () => {
  it("is refused when positive names no value of the column (\"yes\"), or the column holds one value (\"banana\")", () => {
    const f = adultFixture();
    const spec = join(f.dir, "yes.mssm");
    writeFileSync(spec, ADULT_SPEC.replace('positive: [">50K"]', 'positive: ["yes"]'));
    const out = newRunDir();
    const none = mssmc(...trainArgs({ spec, data: f.data }, out));
    expect([none.status, none.stderr.split("\n").filter((l) => l.startsWith("mssmc:"))]).toEqual([
      1,
      [`mssmc: error: ${f.data}: binary task "income" has one class in its 225 training rows of column "Y": 0 positive, 225 negative (positive: "yes"; values seen: "<=50K", ">50K"). Set the task's positive values to the label of the positive class.`],
    ]);
    const banana = join(f.dir, "banana.csv");
    writeFileSync(banana, adultRows(300).replace(/<=50K|>50K/g, "banana"));
    const all = mssmc(...trainArgs({ spec: f.spec, data: banana }, out));
    expect(all.stderr).toContain(`binary task "income" has one class in its 225 training rows of column "Y": 0 positive, 225 negative (positive: ">50K"; values seen: "banana")`);
    expect(all.status).toBe(1);
  }, 60_000);

  it("is refused in validation too, before any epoch, and so are validation rows that hold none", () => {
    const f = adultFixture();
    const valid = join(f.dir, "valid.csv");
    // Validation rows that are all negative: AUC is undefined.
    writeFileSync(valid, adultRows(300).split("\n").filter((l, i) => i === 0 || l.endsWith("<=50K")).join("\n") + "\n");
    const out = newRunDir();
    const r = mssmc("train", f.spec, "--data", f.data, "--valid", valid, "--out", out);
    expect([r.status, r.stdout.includes("epoch 1/"), existsSync(out)]).toEqual([1, false, false]);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("mssmc:"))).toEqual([
      `mssmc: error: ${valid}: binary task "income" has one class in its 230 validation rows of column "Y": 0 positive, 230 negative (positive: ">50K"; values seen: "<=50K"). ` +
        "Set the task's positive values to the label of the positive class. Its AUC, which the validation score reads, is undefined on them: validate on rows of both classes (--valid, --valid-fraction), or monitor another metric (train { monitor: ... }).",
    ]);
    const headerOnly = join(f.dir, "header-only.csv");
    writeFileSync(headerOnly, adultRows(0));
    const none = mssmc("train", f.spec, "--data", f.data, "--valid", headerOnly, "--out", out);
    expect([none.status, none.stdout.includes("epoch 1/"), none.stderr.split("\n").filter((l) => l.startsWith("mssmc:"))]).toEqual([
      1,
      false,
      [`mssmc: error: ${headerOnly}: no validation rows to score the epochs on; give rows with --valid FILE or a larger --valid-fraction, or train without validation.`],
    ]);
  }, 60_000);

  it("warns in eval, whose AUC is then NaN, and eval refuses a file without rows", () => {
    const f = adultFixture();
    const out = newRunDir();
    expect(mssmc(...trainArgs({ spec: f.spec, data: f.data }, out)).status).toBe(0);
    const negatives = join(f.dir, "negatives.csv");
    writeFileSync(negatives, adultRows(300).split("\n").filter((l, i) => i === 0 || l.endsWith("<=50K")).join("\n") + "\n");
    const e = mssmc("eval", out, "--data", negatives);
    expect(e.status).toBe(0);
    expect(e.stderr).toContain(`warning: ${negatives}: binary task "income" has one class in its 230 rows of column "Y": 0 positive, 230 negative`);
    expect(e.stdout).toMatch(/income\s+auc NaN/);
    const headerOnly = join(f.dir, "header-only.csv");
    writeFileSync(headerOnly, adultRows(0));
    const none = mssmc("eval", out, "--data", headerOnly);
    expect([none.status, none.stderr.split("\n").filter((l) => l.startsWith("mssmc:"))]).toEqual([1, [`mssmc: error: ${headerOnly}: no data rows to evaluate on.`]]);
  }, 60_000);
});
