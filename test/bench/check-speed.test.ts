import { describe, expect, it } from "vitest";
import { DEFAULT_SIZE, generateSpec, measure } from "../../bench/check-speed.js";
import { loadSpec } from "../../compiler/load/load.js";

// Keeps bench/check-speed.ts from rotting: the spec it generates must check clean (a benchmark
// of the error path would measure something else), and the timing loop must run.

const check = (text: string) => loadSpec("/bench/generated.mssm", (p) => {
  if (p !== "/bench/generated.mssm") throw new Error(`unexpected read of ${p}`);
  return text;
});

describe("check-speed benchmark", () => {
  it("generates a small spec that checks clean", () => {
    const result = check(generateSpec({ fields: 12, tasks: 3, levels: 2, sharedGroups: 2 }));
    expect(result.diagnostics).toEqual([]);
    expect(result.spec?.fields).toHaveLength(12);
    expect(result.spec?.tasks.map((t) => t.kind)).toEqual(["binary", "regression", "multiclass"]);
    expect(result.spec?.groups).toEqual(["t0", "t1", "t2", "shared0", "shared1"]);
    expect(result.spec?.levels).toHaveLength(2);
  });

  it("generates the default size clean, with every kind of field", () => {
    const result = check(generateSpec(DEFAULT_SIZE));
    expect(result.diagnostics).toEqual([]);
    expect(result.spec?.fields).toHaveLength(500);
    expect(new Set(result.spec?.fields.map((f) => f.kind))).toEqual(new Set(["numeric", "categorical", "multi_hot"]));
    expect(result.spec?.tasks).toHaveLength(16);
    expect(result.spec?.groups).toHaveLength(18);
    expect(result.spec?.levels).toHaveLength(4);
  });

  it("times every stage", () => {
    const rows = measure(generateSpec({ fields: 6, tasks: 2, levels: 1, sharedGroups: 1 }), 2, 1);
    expect(rows.map((r) => r.stage)).toEqual(["parse", "to-json + schema + normalize", "rules (topology + checks)", "loadSpec (whole pipeline)"]);
    for (const r of rows) expect(r.min).toBeLessThanOrEqual(r.median);
  });
});
