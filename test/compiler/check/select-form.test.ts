import { describe, expect, it } from "vitest";
import { loadSpec } from "../../../compiler/load/load.js";
import { diagnose, LIB, model } from "./helpers.js";

// The forms of `select fields per group(form: ...)`: how they are written, what the canonical JSON
// says, and the diagnostics of a form or option out of place (exact message and position).

const error = (code: string, message: string, at: string, text: string) => ({ code, severity: "error", message, at, text });

/** A model with field selection written `select`, one level and `rest` after it. */
const selecting = (select: string, rest = "") => model(`  groups click, buy\n  ${select}\n  level 1 { experts: mlp[8] }\n  towers { tower: mlp[4] }${rest}`);

/** The canonical select_fields of a clean spec. */
function selectFieldsOf(text: string): unknown {
  const files = new Map([["/v/lib.mssm", LIB], ["/v/main.mssm", text]]);
  const result = loadSpec("/v/main.mssm", (p) => files.get(p)!);
  expect(result.diagnostics).toEqual([]);
  return result.spec!.select_fields;
}

describe("select fields per group(form: ...)", () => {
  it("writes tanh as true, the other forms by name, and the default form without options", () => {
    expect(selectFieldsOf(selecting("select fields per group"))).toBe("l0");
    expect(selectFieldsOf(selecting("select fields per group(form: tanh)"))).toBe(true);
    expect(selectFieldsOf(selecting("select fields per group(form: learned_offset)"))).toBe("learned_offset");
    expect(selectFieldsOf(selecting("select fields per group(form: l0)"))).toBe("l0");
    expect(selectFieldsOf(selecting("select fields per group(form: l0_tanh)"))).toBe("l0_tanh");
  });
  it("reports an unknown form with a suggestion", () => {
    expect(diagnose(selecting("select fields per group(form: learned_ofset)"))).toEqual([
      error("invalid-value", "'learned_ofset' is not a valid form for 'select fields per group'; did you mean 'learned_offset'?", "4:33", "learned_ofset"),
    ]);
  });
  it("reports an unknown option, a positional argument and a form given twice", () => {
    expect(diagnose(selecting("select fields per group(from: l0)"))).toEqual([
      error("unexpected-argument", "'select fields per group' takes no option 'from'; did you mean 'form'?", "4:27", "from"),
    ]);
    expect(diagnose(selecting("select fields per group(l0)"))).toEqual([
      error("unexpected-argument", "'select fields per group' takes no positional argument; write the form as 'form: NAME'.", "4:27", "l0"),
    ]);
    expect(diagnose(selecting("select fields per group(form: l0, form: tanh)"))).toEqual([
      error("duplicate-option", "The option 'form' is given twice.", "4:37", "form"),
    ]);
  });
  it("reports select_offset with the l0 form, which has no tanh mask, and accepts it with the others", () => {
    expect(diagnose(selecting("select fields per group(form: l0)", "\n  gates { select_offset: 0.5 }"))).toEqual([
      error("option-not-applicable", "'select_offset' does not apply to the l0 form of field selection (the default), whose mask is the field gate alone; it offsets the tanh mask of `select fields per group(form: tanh)` (the paper's FSCM with select_offset: 0) and of form l0_tanh.", "7:11", "select_offset"),
    ]);
    for (const form of ["tanh", "learned_offset", "l0_tanh"]) expect(diagnose(selecting(`select fields per group(form: ${form})`, "\n  gates { select_offset: 0.5 }"))).toEqual([]);
  });
  it("reports a negative select_offset for the learned offset's start as for the fixed one", () => {
    expect(diagnose(selecting("select fields per group(form: learned_offset)", "\n  gates { select_offset: -1 }"))).toEqual([
      error("gate-constant-range", "select_offset must be 0 or more, not -1: every field mask relu(tanh(g · e + b)) would start at 0 with no gradient, so no group would ever read a field.", "7:26", "-1"),
    ]);
  });
  it("counts field gates as L0 gates: l0 and the hard-concrete constants act on them", () => {
    expect(diagnose(selecting("select fields per group(form: l0)", "\n  regularize { l0: 1e-3 }\n  gates { beta: 0.5 }"))).toEqual([]);
    expect(diagnose(selecting("select fields per group(form: learned_offset)", "\n  regularize { l0: 1e-3 }")).map((d) => d.code)).toEqual(["unused-regularizer"]);
  });
});
