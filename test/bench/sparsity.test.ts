import { describe, expect, it } from "vitest";
import { compileSpec } from "../../compiler/compile.js";
import { formatSparsity, sparsityOptions, sparsityRun, sparsitySpec, SPARSITY_DEFAULTS, zooMssm } from "../../bench/sparsity.js";

// Keeps bench/sparsity.ts from rotting: the options, the spec variant, and one 1-epoch run of the
// zoo MSSM on Adult with its table. No timing asserts.

describe("sparsity benchmark", () => {
  it("reads the grid from the command line", () => {
    expect(sparsityOptions([])).toEqual(SPARSITY_DEFAULTS);
    expect(sparsityOptions(["--l0", "1e-3,0.05", "--gate-lr", "0.1", "--seeds", "1,2", "--epochs", "3", "--valid-fraction", "0"])).toEqual({
      ...SPARSITY_DEFAULTS,
      l0s: [1e-3, 0.05],
      gateLrs: [0.1],
      seeds: [1, 2],
      epochs: 3,
      validFraction: 0,
    });
    expect(() => sparsityOptions(["--l0", "1e-3,"])).toThrow('--l0 needs a comma-separated list of positive numbers, got "1e-3,"');
    expect(() => sparsityOptions(["--gate-lr", "-1"])).toThrow("--gate-lr needs a comma-separated list of positive numbers");
    expect(() => sparsityOptions(["--seeds", "1.5"])).toThrow('--seeds needs a comma-separated list of whole numbers, got "1.5"');
    expect(() => sparsityOptions(["--valid-fraction", "1"])).toThrow('--valid-fraction needs a number from 0 to below 1, got "1"');
  });

  it("changes only λ0 and the gate learning rate", () => {
    const base = zooMssm();
    const before = structuredClone(base);
    const spec = sparsitySpec(base, 3e-2, 0.5);
    expect(base).toEqual(before);
    expect(spec.regularize.l0).toBe(3e-2);
    expect(spec.train.gate_optimizer.lr).toBe(0.5);
    expect({ ...spec, regularize: base.regularize, train: { ...spec.train, gate_optimizer: base.train.gate_optimizer } }).toEqual(base);
  });

  it("trains the zoo MSSM for one epoch and prints AUC, gates and pruned sizes", async () => {
    const spec = zooMssm();
    const o = { ...SPARSITY_DEFAULTS, epochs: 1 };
    const r = await sparsityRun(spec, 1e-2, 3e-2, 1, o);
    expect([r.l0, r.gateLr, r.seed, r.epochs, r.bestEpoch]).toEqual([1e-2, 3e-2, 1, 1, 1]);
    expect(Object.keys(r.metrics)).toEqual(["income", "never_married"]);
    for (const auc of Object.values(r.metrics)) expect(auc).toBeGreaterThan(0.5);
    // mssm.mssm: 64 cells of 3 groups read 3 inputs at level 1, 32 cells of 2 groups read 3 sources at level 2,
    // and a field gate for each of the 13 fields in each of the 3 groups.
    expect(r.gates.total).toBe(64 * 3 * 3 + 32 * 2 * 3 + 13 * 3);
    expect(r.gates.closed).toBe(r.gates.total - r.gates.open);
    expect(r.gates.expectedL0).toBeGreaterThan(0);
    expect(r.gates.expectedL0).toBeLessThanOrEqual(r.gates.total);
    if ("unavailable" in r.pruning) throw new Error(r.pruning.unavailable);
    // The unpruned export does the multiply-adds the compiler counted in the training graph.
    expect(r.pruning.macs.before).toBe(compileSpec(spec).manifest.summary.macsPerExample);
    expect(r.pruning.params.after).toBeLessThanOrEqual(r.pruning.params.before);
    expect(r.pruning.macs.after).toBeLessThanOrEqual(r.pruning.macs.before);
    expect(r.pruning.macs.after).toBeGreaterThan(0);

    const lines = formatSparsity([r], spec.tasks);
    expect(lines[0]).toBe(
      "| λ0   | gate lr | seed | income AUC | never_married AUC | epochs (best) | gates closed | expected L0 | numbers unpruned | numbers pruned | mult-adds unpruned | mult-adds pruned | train s |",
    );
    expect(lines[2]).toMatch(/^\| 1e-2 \| +3e-2 \| +1 \| +0\.\d{4} \| +0\.\d{4} \| +1 \(1\) \| +\d+ \/ 807 \| +\d+\.\d \| +[\d,]+ \| +[\d,]+ \| +[\d,]+ \| +[\d,]+ \| +\d+\.\d \|$/);
    expect(lines).toHaveLength(3);
  }, 120_000);
});
