import { writeFileSync } from "node:fs";
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

  it("is refused in validation too: a NaN validation score stops training, naming the task", () => {
    const f = adultFixture();
    const valid = join(f.dir, "valid.csv");
    // Validation rows that are all negative: AUC is undefined.
    writeFileSync(valid, adultRows(300).split("\n").filter((l, i) => i === 0 || l.endsWith("<=50K")).join("\n") + "\n");
    const out = newRunDir();
    const r = mssmc("train", f.spec, "--data", f.data, "--valid", valid, "--out", out);
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("mssmc:"))).toEqual([
      'mssmc: error: the validation score of epoch 1 is not a number: task "income" (auc NaN, logloss ' +
        r.stderr.match(/logloss ([\d.]+), labelled 230\)/)![1] +
        ", labelled 230). AUC needs both classes among the validation rows of a binary task; check the task's positive values against its label column, or validate on more rows (--valid, --valid-fraction). No epoch was chosen as the best.",
    ]);
  }, 60_000);
});
