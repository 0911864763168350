// Gate noise drawn per example (`gates { noise: per_example }`, runtime/step.ts gateNoise): a
// [batch, gates] draw per gate group from the step's stream, frozen gates fed ε in every row, and
// training that stays reproducible: the same checkpoints twice, and a stopped run resumes bit for bit.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { logAlphaParam } from "../../compiler/artifact.js";
import type { GateNoise, Spec } from "../../compiler/load/types.js";
import { checkpointPath, readCheckpoint } from "../../runtime/checkpoint.js";
import { freezeClosedGates, frozenCount } from "../../runtime/freeze.js";
import { gateNoise, NOISE_EPS } from "../../runtime/step.js";
import { initialState, train } from "../../runtime/train.js";
import { compiled, smallData, SMALL_SPEC, tempDir, writeTemp } from "./helpers.js";
import { loadSpec } from "../../compiler/load/load.js";

const quiet = { device: "cpu" as const, threads: 1, log: () => {} };

/** The small spec with field gates, drawing its gate noise as `noise`. */
function noisySpec(noise: GateNoise, train: Partial<Spec["train"]> = {}): Spec {
  const text = SMALL_SPEC.replace("  groups y, shared", "  groups y, shared\n  select fields per group").replace("  train {", `  gates { noise: ${noise} }\n  train {`);
  const r = loadSpec(writeTemp(`small-${noise}.mssm`, text));
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return { ...r.spec, train: { ...r.spec.train, ...train } };
}

describe("per-example gate noise", () => {
  it("draws batch × gates values per group, reproducibly, each row its own; per_example_fields only for field gates", async () => {
    const { manifest } = compiled(noisySpec("per_example"));
    const a = gateNoise(manifest, 5, 3, undefined, 7);
    const b = gateNoise(manifest, 5, 3, undefined, 7);
    for (const g of manifest.gate_groups) {
      const n = g.shape.reduce((x, y) => x * y, 1);
      const u = a.get(g.noise)!;
      expect(u.length, g.name).toBe(7 * n);
      expect([...u], g.name).toEqual([...b.get(g.noise)!]);
      expect(u.every((x) => x > 0 && x < 1)).toBe(true);
      expect([...u.subarray(0, n)]).not.toEqual([...u.subarray(n, 2 * n)]);
    }
    expect([...gateNoise(manifest, 5, 4, undefined, 7).values()][0]).not.toEqual([...a.values()][0]);
    expect(() => gateNoise(manifest, 5, 3)).toThrow(/drawn per example, so it needs the batch size/);

    const fields = compiled(noisySpec("per_example_fields")).manifest;
    const drawn = gateNoise(fields, 5, 3, undefined, 7);
    for (const g of fields.gate_groups) {
      const n = g.shape.reduce((x, y) => x * y, 1);
      expect(drawn.get(g.noise)!.length, g.name).toBe(g.name.startsWith("select/") ? 7 * n : n);
    }
  });

  it("feeds a frozen gate ε in every row, and leaves the other draws as they were", async () => {
    const spec = noisySpec("per_example");
    const { manifest } = compiled(spec);
    const state = initialState(manifest, (await smallData(spec)).preprocessing, 1);
    const group = manifest.gate_groups.find((g) => !g.name.startsWith("select/"))!;
    const n = group.shape.reduce((x, y) => x * y, 1);
    state.params.get(logAlphaParam(group.name))![1] = -20;
    expect(freezeClosedGates(manifest, state, 0.05)).toBe(1);
    const drawn = gateNoise(manifest, 5, 3, undefined, 4).get(group.noise)!;
    const fed = gateNoise(manifest, 5, 3, state.frozen, 4).get(group.noise)!;
    for (let r = 0; r < 4; r++) {
      for (let i = 0; i < n; i++) expect(fed[r * n + i]).toBe(i === 1 ? Math.fround(NOISE_EPS) : drawn[r * n + i]);
    }
  });

  it("trains reproducibly: two runs give the same checkpoint, a stopped run resumes to it bit for bit (last batch smaller, gates frozen)", async () => {
    // 320 training rows in batches of 48: the last batch of an epoch has 32 rows. Strong L0 terms
    // close gates after the one-epoch warm-up, so later steps feed frozen gates ε.
    const strong = (s: Spec): Spec => ({ ...s, regularize: { ...s.regularize, l0: 0.05, l0_fields: 0.05 } });
    const spec = strong(noisySpec("per_example", { batch: 48, epochs: 8, gate_warmup: 1 }));
    const data = await smallData(spec);
    const [a, b] = [tempDir(), tempDir()];
    await train(compiled(spec), data, { ...quiet, runDir: a });
    await train(compiled(spec), await smallData(spec), { ...quiet, runDir: b });
    expect(readFileSync(checkpointPath(a, "last")).equals(readFileSync(checkpointPath(b, "last")))).toBe(true);
    expect(frozenCount(readCheckpoint(checkpointPath(a, "last"), compiled(spec).manifest).state.frozen)).toBeGreaterThan(0);
    const interrupted = tempDir();
    const first = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, stopAtStep: 30 });
    expect(first.status).toBe("stopped");
    const second = await train(compiled(spec), await smallData(spec), { ...quiet, runDir: interrupted, resume: true });
    expect(second.status).toBe("done");
    expect(readFileSync(checkpointPath(interrupted, "last")).equals(readFileSync(checkpointPath(a, "last")))).toBe(true);
    // The per-step run of the same spec trains to other weights: the noise is not the same.
    const perStep = tempDir();
    await train(compiled(strong(noisySpec("per_step", { batch: 48, epochs: 8, gate_warmup: 1 }))), await smallData(spec), { ...quiet, runDir: perStep });
    expect(readFileSync(checkpointPath(perStep, "last")).equals(readFileSync(checkpointPath(a, "last")))).toBe(false);
  });
});
