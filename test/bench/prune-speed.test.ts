import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatPrune, HEADER, measurePrune, testColumns, zooModels } from "../../bench/prune-speed.js";
import { packageRoot } from "../../base/package-root.js";

// Keeps bench/prune-speed.ts from rotting: one small zoo model, one epoch, a few runs. It spawns
// the built CLI (dist/cli/mssmc.js), so it needs `tsc` first, as `npm test` does. No timing asserts.

const tiny = { epochs: 1, reps1: 3, reps1024: 2, warmup: 1, threads: 1 };

describe("prune-speed benchmark", () => {
  it("lists the zoo models without the adult library", () => {
    const models = zooModels();
    expect(models).toContain("mssm.mssm");
    expect(models).toContain("single-task.mssm");
    expect(models).not.toContain("adult.mssm");
  });

  it("reads raw adult.test columns", async () => {
    const cols = await testColumns(["age", "workclass"], 3);
    expect(cols.get("age")).toEqual(["25", "38", "28"]);
    expect(cols.get("workclass")).toEqual(["Private", "Private", "Local-gov"]);
  });

  it("trains, exports both ways and prints the table", async () => {
    const r = await measurePrune(join(packageRoot(), "specs", "zoo", "single-task.mssm"), tiny);
    expect(r.model).toBe("single-task");
    // single-task has no L0 gates: pruning removes nothing and predictions are identical.
    expect(r.params).toEqual({ full: 36489, pruned: 36489 });
    expect(r.macs).toEqual({ full: 35344, pruned: 35344 });
    expect(r.maxDiff).toBe(0);
    const lines = formatPrune(r, tiny);
    expect(r.removed).toEqual({ blocks: 0, units: 0, fields: [] });
    expect(lines[0]).toBe("single-task: pruning removed 0 block(s), 0 unit(s), 0 field(s); max |pruned - unpruned| score over 1024 test rows 0.0e+0");
    expect(HEADER).toEqual(["variant", "numbers", "mult-adds/example", "nodes", "threads", "batch 1 ms", "batch 1024 ms", "examples/s @1024"]);
    expect(lines[2]).toBe("| variant           | numbers | mult-adds/example | nodes | threads | batch 1 ms | batch 1024 ms | examples/s @1024 |");
    expect(lines[4]).toMatch(/^\| unpruned +\| +36,489 \| +35,344 \| +84 \| +1 \| +\d+\.\d{3} \| +\d+\.\d\d \| +[\d,]+ \|$/);
    expect(lines[5]).toMatch(/^\| pruned +\| +36,489 \| +35,344 \| +84 \| +1 \| +\d+\.\d{3} \| +\d+\.\d\d \| +[\d,]+ \|$/);
    expect(lines[6]).toMatch(/^\| pruned \/ unpruned \| +1\.00x \| +1\.00x \| +1\.00x \| +\| +\d+\.\d\dx \| +\d+\.\d\dx \| +\d+\.\d\dx \|$/);
    expect(lines).toHaveLength(7);
  }, 120_000);
});
