// Check rules on the gate settings: the field-gate weight l0_fields and the gate warm-up.

import { describe, expect, it } from "vitest";
import { diagnose, model } from "./helpers.js";

const error = (code: string, message: string, at: string, text: string) => ({ code, severity: "error", message, at, text });
const warning = (code: string, message: string, at: string, text: string) => ({ code, severity: "warning", message, at, text });

const gated = (extra: string) => model(`  groups click, buy\n  select fields per group\n  level 1 { experts: mlp[8], connect: cssm }\n  towers { tower: mlp[4] }\n${extra}`);

describe("gate settings", () => {
  it("accepts l0_fields and gate_warmup in range on a model with field gates", () => {
    expect(diagnose(gated("  regularize { l0_fields: 0.01 }\n  train { epochs: 4, gate_warmup: 3 }"))).toEqual([]);
    expect(diagnose(gated("  train { gate_warmup: 0 }"))).toEqual([]);
  });

  it("reports a negative l0_fields and a warm-up that leaves no epoch for the gates", () => {
    expect(diagnose(gated("  regularize { l0_fields: -1 }"))).toEqual([
      error("hyperparameter-range", "The field-gate L0 weight l0_fields must be 0 or more, not -1.", "7:27", "-1"),
    ]);
    expect(diagnose(gated("  train { epochs: 4, gate_warmup: 4 }"))).toEqual([
      error("hyperparameter-range", "gate_warmup must be 0 or more and below epochs (4), not 4.", "7:35", "4"),
    ]);
    expect(diagnose(gated("  train { gate_warmup: -2 }"))).toEqual([
      error("hyperparameter-range", "gate_warmup must be 0 or more and below epochs (10), not -2.", "7:24", "-2"),
    ]);
  });

  it("warns about l0_fields on a model without field gates, but not about its default", () => {
    const tanh = (extra: string) => model(`  groups click, buy\n  select fields per group(form: tanh)\n  level 1 { experts: mlp[8], connect: cssm }\n  towers { tower: mlp[4] }\n${extra}`);
    expect(diagnose(tanh("  regularize { l0_fields: 0.01 }"))).toEqual([
      warning("unused-regularizer", "l0_fields has no effect: the model has no field gates ('select fields per group' with form l0 or l0_tanh).", "7:27", "0.01"),
    ]);
    expect(diagnose(tanh("  regularize { l0_fields: 3e-3 }"))).toEqual([]);
    // A model without gates of any kind is not warned about l0's default either.
    expect(diagnose(model("  groups click, buy\n  level 1 { experts: mlp[8] }\n  towers { tower: mlp[4] }"))).toEqual([]);
  });
});
