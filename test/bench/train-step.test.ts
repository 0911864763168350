import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatTable, measureStep, syntheticData, zooModels } from "../../bench/train-step.js";
import { packageRoot } from "../../base/package-root.js";
import { loadSpec } from "../../compiler/load/load.js";

// Keeps bench/train-step.ts from rotting: two timed steps of the smallest zoo model, and the table.

const file = join(packageRoot(), "specs", "zoo", "single-task.mssm");

describe("train-step benchmark", () => {
  it("draws ids inside Adult's table sizes", () => {
    const spec = loadSpec(join(packageRoot(), "specs", "zoo", "mssm.mssm")).spec!;
    const { data, preprocessing } = syntheticData(spec, 500);
    const sex = data.fields["sex"]!;
    expect(sex.kind).toBe("categorical");
    const ids = sex.kind === "categorical" ? [...new Set(sex.ids)].sort() : [];
    expect(ids).toEqual([0, 1, 2]);
    expect(preprocessing.fields["native-country"]).toEqual({ kind: "categorical", vocab: { kind: "hash", hash: "murmur3-32-utf8", buckets: 42 } });
  });

  it("times the runtime's step on one zoo model and prints its row", async () => {
    const row = await measureStep(file, { steps: 2, warmup: 1, batch: 64, threads: 1 });
    expect(row.spec).toBe("single-task.mssm");
    expect(row.stepMs).toBeGreaterThan(0);
    expect(row.runMs).toBeLessThanOrEqual(row.stepMs);
    expect(row.samplesPerSecond).toBeCloseTo(64 / (row.stepMs / 1000), 6);
    const lines = formatTable([row]);
    expect(lines[0]).toMatch(/^spec +step nodes +step ms +samples\/s +run ms +feeds ms +apply ms +outside run +batch ms$/);
    expect(lines[1]).toMatch(/^single-task\.mssm +\d+/);
    expect(zooModels()).toContain("mssm.mssm");
  });
});
