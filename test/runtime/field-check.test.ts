// The validation field check (runtime/field-check.ts, docs/design.md "Field selection on held-out
// rows"): on data whose truth is known (`mssmc synth --recipe fields`) with id-like noise fields a
// network can memorize, it closes noise fields in every group and no true field; what it closed is
// frozen (log α at CLOSED_LOG_ALPHA, in the frozen set), resume across a check is bit-exact, and
// `validate_fields: false` or a run without validation rows never checks.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logAlphaParam, selectionGateGroup } from "../../compiler/index.js";
import { loadSpec } from "../../compiler/load/load.js";
import type { Spec } from "../../compiler/load/types.js";
import { loadTrainedModel } from "../../runtime/checkpoint.js";
import { loadTrainingData } from "../../runtime/data/dataset.js";
import { CLOSED_LOG_ALPHA } from "../../runtime/field-check.js";
import { writeFieldsRecipe, FIELDS_RECIPE_DEFAULTS, type FieldsWritten } from "../../runtime/synth-fields.js";
import { train, type RunData } from "../../runtime/train.js";
import { withOverrides } from "../../cli/train.js";
import { compiled, tempDir } from "./helpers.js";

const MSSM = `import "fields.mssm"

model fields_mssm {
  groups click, buy, dwell, shared
  select fields per group
  level 1 { experts: mlp[32] relu, connect: cssm }
  towers { tower: mlp[8] relu }
  train { optimizer: adam(lr: 3e-3), batch: 256, epochs: 10, seed: 7 }
}
`;

let dir: string;
let written: FieldsWritten;
let spec: Spec;
let data: RunData;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mssmc-field-check-"));
  written = writeFieldsRecipe(dir, { ...FIELDS_RECIPE_DEFAULTS, rows: { train: 8000, valid: 10, test: 10 }, noiseFields: 4, noiseKinds: ["high_cat"], seed: 1 });
  writeFileSync(join(dir, "mssm.mssm"), MSSM);
  const r = loadSpec(join(dir, "mssm.mssm"));
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  spec = r.spec;
  const d = await loadTrainingData(spec, written.files.train, { validFraction: 0.25, seed: 7 });
  data = { train: d.train, valid: d.valid, preprocessing: d.preprocessing };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (s: Spec, runData: RunData, extra: { runDir?: string; stopAtStep?: number; resume?: boolean } = {}) => {
  const lines: string[] = [];
  const runDir = extra.runDir ?? tempDir();
  return train(compiled(s), runData, { device: "cpu", threads: 1, log: (l: string) => lines.push(l), runDir, ...extra }).then((result) => ({ result, lines, runDir }));
};
const closedFields = (lines: readonly string[]) => lines.flatMap((l) => /^field check: closed (\S+)/.exec(l)?.[1] ?? []);

describe("the validation field check", () => {
  it("closes memorized noise fields in every group, never a true field, and freezes them", async () => {
    const { result, lines } = await run(spec, data);
    const noise = written.problem.fields.filter((f) => f.noise).map((f) => f.name);
    const closed = closedFields(lines);
    expect(lines.some((l) => l.startsWith("field check: from the end of epoch 5 on"))).toBe(true);
    expect(closed.length).toBeGreaterThan(0);
    for (const f of closed) expect(noise, `${f} is a true field`).toContain(f);
    for (const f of closed) {
      const fi = spec.fields.findIndex((x) => x.name === f);
      for (const g of spec.groups) {
        expect(result.state.params.get(logAlphaParam(selectionGateGroup(g)))![fi], `${f} in ${g}`).toBe(CLOSED_LOG_ALPHA);
        expect(result.state.frozen.get(selectionGateGroup(g))![fi], `${f} frozen in ${g}`).toBe(1);
      }
    }
  }, 120_000);

  it("resumes bit for bit across a check", async () => {
    const perEpoch = Math.ceil(data.train.rows / spec.train.batch);
    const whole = await run(spec, data);
    const runDir = tempDir();
    const stopped = await run(spec, data, { runDir, stopAtStep: 7 * perEpoch });
    expect(stopped.result.status).toBe("stopped");
    expect(closedFields(stopped.lines).length).toBeGreaterThan(0);
    await run(spec, data, { runDir, resume: true });
    const a = loadTrainedModel(whole.runDir, "last").params;
    const b = loadTrainedModel(runDir, "last").params;
    for (const [name, values] of a) expect(Buffer.from(b.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
  }, 180_000);

  it("does not check with validate_fields: false, nor without validation rows", async () => {
    const off = await run({ ...spec, train: { ...spec.train, validate_fields: false } }, data);
    expect(off.lines.filter((l) => l.startsWith("field check"))).toEqual([]);
    const none = await run(spec, { ...data, valid: undefined });
    expect(none.lines.filter((l) => l.startsWith("field check"))).toEqual([]);
    // mssmc train --no-validate-fields writes the setting into the run's spec; without it the spec keeps its bytes.
    expect(withOverrides(spec, { validateFields: false }).train.validate_fields).toBe(false);
    expect("validate_fields" in withOverrides(spec, { validateFields: true }).train).toBe(false);
  }, 120_000);
});
