import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatTable, measureCompile, measureStages, zooFiles } from "../../bench/compile-speed.js";
import { packageRoot } from "../../base/package-root.js";
import { loadSpec } from "../../compiler/load/load.js";

// Keeps bench/compile-speed.ts from rotting: one iteration on the smallest zoo spec, sizes read
// off the compiled artifact, and the table it prints.

const file = join(packageRoot(), "specs", "zoo", "single-task.mssm");

describe("compile-speed benchmark", () => {
  it("lists every zoo model and no library", () => {
    expect(zooFiles()).toEqual([
      "cgc.mssm",
      "cross-stitch.mssm",
      "mmoe.mssm",
      "mssm-a.mssm",
      "mssm-b.mssm",
      "mssm.mssm",
      "ple.mssm",
      "shared-bottom.mssm",
      "single-task.mssm",
      "snr-aver.mssm",
      "snr-trans.mssm",
    ]);
  });

  it("measures one zoo spec and prints its row", () => {
    const row = measureCompile("single-task.mssm", () => loadSpec(file), 200, 1, 0);
    expect(row.params).toBe(35_697);
    expect(row.gates).toBe(0);
    expect(row.forwardNodes).toBe(57);
    expect(row.trainNodes).toBeGreaterThan(row.forwardNodes);
    expect(row.evalNodes).toBeLessThan(row.forwardNodes);
    expect(row.trainKiB).toBeGreaterThan(0);
    expect(row.compile.min).toBe(row.compile.median);
    const [header, line] = formatTable([row]);
    expect(header).toMatch(/^spec\s+params\s+L0 gates\s+fwd nodes\s+step nodes\s+eval nodes\s+train KiB\s+load ms\s+compile ms\s+p90 ms\s+target$/);
    expect(line).toMatch(/^single-task\.mssm\s+35,697\s+0\s+57\s/);
    expect(line).toMatch(/< 200 ms (met|MISSED)$/);
  });

  it("times the stages of compileSpec", () => {
    const stages = measureStages(loadSpec(file).spec!, 1, 0);
    expect(stages.map((s) => s.stage)).toEqual(["lower (train mode)", "lower (eval mode)", "autodiff + optimizers", "emit train.onnx", "emit eval.onnx"]);
  });

  it("refuses a spec that does not check", () => {
    expect(() => measureCompile("broken.mssm", () => loadSpec("broken.mssm", () => "model m {"), 200, 1, 0)).toThrow(/^broken\.mssm does not check: /);
  });
});
