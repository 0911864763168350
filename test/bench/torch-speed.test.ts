import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { torchStep, TORCH_MODELS } from "../../bench/torch-speed.js";
import { compileSpec } from "../../compiler/compile.js";
import { packageRoot } from "../../base/package-root.js";
import { loadSpec } from "../../compiler/load/load.js";

// bench/torch-speed.ts: a missing Python is reported, not thrown; where Debian's python3-torch is
// installed, the PyTorch models have exactly the zoo models' parameter counts (tables excluded).
// Skipped only on a developer machine without python3-torch; CI (CI set) installs it and runs them.

const tiny = { steps: 1, warmup: 0, batch: 16, threads: 1 };
const hasTorch = spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0;

describe("torch-speed benchmark", () => {
  it("reports a Python that cannot start", () => {
    expect(torchStep("/nonexistent/python3", "mmoe", tiny)).toBe("/nonexistent/python3: spawnSync /nonexistent/python3 ENOENT");
  });

  it.skipIf(!hasTorch && !process.env["CI"])("writes the same models as the zoo: equal parameter counts", () => {
    for (const model of TORCH_MODELS) {
      const ours = compileSpec(loadSpec(join(packageRoot(), "specs", "zoo", `${model}.mssm`)).spec!).manifest.summary.params;
      const theirs = torchStep("/usr/bin/python3", model, tiny);
      expect(typeof theirs).toBe("object");
      expect(typeof theirs === "object" ? theirs.params : 0).toBe(ours);
    }
    expect(TORCH_MODELS).toEqual(["shared-bottom", "mmoe", "cgc", "ple", "mssm"]);
  });
});

describe("torch equivalence", () => {
  // Shared-Bottom, MMoE, CGC, PLE and MSSM (FSCM, CSSM gates fed mssmc's step-1 noise, L0 and L2 in the loss).
  // The predictions are compared too: at initialization the logits are small, so replacing MSSM's
  // gate noise u by 1 − u moved the batch-mean loss by only 6e-6 (batch 256), under 1e-5, while the
  // largest prediction difference became 5e-5; float32 rounding leaves about 3e-8.
  it.skipIf(!hasTorch && !process.env["CI"])("PyTorch's loss on mssmc's initial weights, batch and gate noise equals mssmc's to 1e-5", async () => {
    const { torchEquivalence } = await import("../../bench/torch-speed.js");
    for (const model of TORCH_MODELS) {
      const eq = await torchEquivalence("/usr/bin/python3", model, 64);
      if (typeof eq === "string") throw new Error(`${model}: ${eq}`);
      expect(eq.unmapped_params, model).toEqual([]);
      expect(eq.torch_params, model).toBe(eq.mssmc_params);
      expect(eq.abs_diff, model).toBeLessThan(1e-5);
      expect(Object.keys(eq.pred_diff), model).toEqual(["income", "never_married"]);
      for (const d of Object.values(eq.pred_diff)) expect(d, model).toBeLessThan(1e-6);
      expect(eq.mssmc_loss, model).toBeGreaterThan(0.5);
      // The L0 term (about 700 expected open gates for MSSM) is compared unweighted, to float32's rounding.
      expect(eq.l0_diff, model).toBeLessThan(model === "mssm" ? 1e-3 : 1e-12);
    }
  });

  // gates.noise per_example: u [batch, ...] per gate group, so every example of the batch has its own
  // field gates and cells (speed.py's MSSM sums per-source products row by row).
  it.skipIf(!hasTorch && !process.env["CI"])("MSSM with gate noise drawn per example: PyTorch's loss and predictions equal mssmc's", async () => {
    const { torchEquivalence } = await import("../../bench/torch-speed.js");
    const eq = await torchEquivalence("/usr/bin/python3", "mssm", 64, "per_example");
    if (typeof eq === "string") throw new Error(eq);
    expect(eq.unmapped_params).toEqual([]);
    expect(eq.abs_diff).toBeLessThan(1e-5);
    for (const d of Object.values(eq.pred_diff)) expect(d).toBeLessThan(1e-6);
    expect(eq.l0_diff).toBeLessThan(1e-3);
    // The per-step run of the same weights and batch differs: the noise matters at this size.
    const perStep = await torchEquivalence("/usr/bin/python3", "mssm", 64);
    if (typeof perStep === "string") throw new Error(perStep);
    expect(Math.abs(perStep.mssmc_loss - eq.mssmc_loss)).toBeGreaterThan(1e-5);
  });
});
