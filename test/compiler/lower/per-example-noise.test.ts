// `gates { noise: per_example }` (specs/language.md, "Hard-concrete L0 gates"): in training each
// example of a batch draws its own u, so z gets a batch axis; evaluation is unchanged. Checked
// through the reference evaluator: by hand on one row at a time, and against the per-step graph
// when every row is fed the per-step draw.

import { describe, expect, it } from "vitest";
import { compileSpec } from "../../../compiler/compile.js";
import { initialValues } from "../../../compiler/ir/init.js";
import { lowerSpec } from "../../../compiler/lower/lower-spec.js";
import { emitModel } from "../../../compiler/onnx/emit.js";
import type { GateNoise, Spec } from "../../../compiler/load/types.js";
import { loadSpec } from "../../../compiler/load/load.js";
import { evaluate, type RefTensor } from "../ir/reference.js";
import { DIMS, paramFeeds, randomFeeds, specFromText, zooSpec } from "./helpers.js";

const BETA = 2 / 3;
const GAMMA = -0.1;
const ZETA = 1.1;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** The training sample z of one gate, as the paper writes it. */
const hardConcrete = (logAlpha: number, u: number) => Math.min(1, Math.max(0, sigmoid((Math.log(u) - Math.log(1 - u) + logAlpha) / BETA) * (ZETA - GAMMA) + GAMMA));

/** Field gates, cssm cells (level 1), l0_average (level 2), block gates (towers): every kind per-example noise applies to. */
const everyKind = (form: string) => `fields {
  x  numeric(dim: 2)
  c  categorical(dim: 3)
  t  multi_hot(dim: 2, pooling: mean)
}
tasks {
  a  binary(label: ya)
  r  regression(label: yr)
}
model m {
  groups a, r, shared
  select fields per group(form: ${form})
  level 1 { experts: mlp[4] relu, connect: cssm }
  level 2 { experts { a: mlp[3] relu, r: mlp[3] relu }, connect: l0_average }
  towers { tower: mlp[2] relu, connect: cssm(granularity: block, sources: all) }
  regularize { l0: 0.01 }
}
`;

const withNoise = (spec: Spec, noise: GateNoise): Spec => ({ ...spec, gates: { ...spec.gates, noise } });
const values = (v: Map<string, RefTensor>, name: string) => {
  const t = v.get(name);
  if (!t) throw new Error(`no value ${name}`);
  return t.data as number[];
};

describe("per-example gate noise", () => {
  for (const form of ["l0", "l0_tanh"]) {
    it(`form ${form}: a batch whose every row is fed the per-step draw computes the per-step graph's losses and predictions`, () => {
      const spec = specFromText(everyKind(form)).spec;
      const perStep = lowerSpec(spec, { mode: "train" });
      const perExample = lowerSpec(withNoise(spec, "per_example"), { mode: "train" });
      const feeds = { ...randomFeeds(perStep, spec), ...paramFeeds(perStep, 3) };
      const noise = perStep.inputs.filter((v) => v.name.startsWith("noise/"));
      expect(noise.length).toBe(3 + 9 + 6 + 4);
      const rowFeeds = { ...feeds };
      for (const v of noise) {
        const u = feeds[v.name]!;
        expect(perExample.inputs.find((w) => w.name === v.name)!.shape).toEqual(["batch", ...v.shape]);
        rowFeeds[v.name] = { ...u, shape: [DIMS.batch, ...u.shape], data: Array.from({ length: DIMS.batch }, () => u.data).flat() };
      }
      const a = evaluate(perStep, feeds);
      const b = evaluate(perExample, rowFeeds);
      // float32 throughout; the per-example cssm layer sums its sources in another order.
      for (const name of ["loss", "loss/a", "loss/r", "pred/a", "pred/r", "l0"]) {
        const x = values(a, name);
        const y = values(b, name);
        expect(y.length, name).toBe(x.length);
        y.forEach((v, i) => expect(Math.abs(v - x[i]!), `${name}[${i}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(x[i]!))));
      }
    });
  }

  it("field gates: row r of a group's input is e[r] with each field scaled by its own sample z[r, f]", () => {
    const spec = withNoise(specFromText(everyKind("l0")).spec, "per_example");
    const graph = lowerSpec(spec, { mode: "train" });
    const logAlpha = [-0.5, 0.3, 2];
    const u = [0.5, 0.9, 0.02, 0.1, 0.4, 0.999, 0.7, 0.2, 0.6, 0.05, 0.95, 0.3];
    const feeds = { ...randomFeeds(graph, spec), ...paramFeeds(graph, 3, { "select/a/gates/fields/log_alpha": logAlpha }) };
    feeds["noise/select/a/gates/fields"] = { dtype: "float32", shape: [DIMS.batch, 3], data: u };
    const v = evaluate(graph, feeds);
    const z = values(v, "select/a/gates/fields/z");
    const e = values(v, "fields/concat");
    const out = values(v, "select/a/out");
    const columnField = [0, 0, 1, 1, 1, 2, 2];
    for (let r = 0; r < DIMS.batch; r++) {
      // float32 graph against float64 arithmetic.
      for (let f = 0; f < 3; f++) expect(z[r * 3 + f]).toBeCloseTo(hardConcrete(logAlpha[f]!, u[r * 3 + f]!), 6);
      columnField.forEach((f, c) => expect(out[r * 7 + c]).toBeCloseTo(e[r * 7 + c]! * hardConcrete(logAlpha[f]!, u[r * 3 + f]!), 6));
    }
    // Rows differ: u 0.999 opens field 2 fully in row 1, u 0.02 closes field 2 of row 0.
    expect(z[1 * 3 + 2]).toBe(1);
    expect(z[0 * 3 + 2]).toBe(0);
  });

  it("cell gates: row r of an expert's pre-activation is Σ_s (o_s[r] W_s) ⊙ z_s[r] + b", () => {
    const spec = withNoise(specFromText(everyKind("l0")).spec, "per_example");
    const graph = lowerSpec(spec, { mode: "train" });
    const v = evaluate(graph, { ...randomFeeds(graph, spec, 4), ...paramFeeds(graph, 3) });
    const init = initialValues(graph, 3);
    const w = init.get("level1/r/expert0/dense0/weight")!;
    const bias = init.get("level1/r/expert0/dense0/bias")!;
    const z = values(v, "level1/r/expert0/gates/z");
    const pre = values(v, "level1/r/expert0/dense0/pre");
    const sources = ["a", "r", "shared"].map((g) => values(v, `select/${g}/out`));
    const width = 7;
    const out = 4;
    expect(z.length).toBe(DIMS.batch * 3 * out);
    let differs = false;
    for (let r = 0; r < DIMS.batch; r++) {
      for (let k = 0; k < out; k++) {
        let sum = bias[k]!;
        sources.forEach((o, s) => {
          let dot = 0;
          for (let i = 0; i < width; i++) dot += o[r * width + i]! * w[(s * width + i) * out + k]!;
          sum += dot * z[r * 3 * out + s * out + k]!;
        });
        expect(pre[r * out + k]).toBeCloseTo(sum, 6);
      }
      if (r > 0 && z.slice(r * 12, r * 12 + 12).some((x, i) => x !== z[i])) differs = true;
    }
    expect(differs).toBe(true);
  });

  it("l0_average and block gates: one sample per source and example, [batch, 1] each", () => {
    const spec = withNoise(specFromText(everyKind("l0")).spec, "per_example");
    const graph = lowerSpec(spec, { mode: "train" });
    const v = evaluate(graph, { ...randomFeeds(graph, spec, 5), ...paramFeeds(graph, 3) });
    const z = values(v, "level2/a/gates/z");
    const mixed = values(v, "level2/a/input");
    const [o0, o1, o2] = ["level1/a/expert0/dense0/out", "level1/r/expert0/dense0/out", "level1/shared/expert0/dense0/out"].map((n) => values(v, n));
    for (let r = 0; r < DIMS.batch; r++) {
      for (let k = 0; k < 4; k++) expect(mixed[r * 4 + k]).toBeCloseTo(z[r * 3]! * o0![r * 4 + k]! + z[r * 3 + 1]! * o1![r * 4 + k]! + z[r * 3 + 2]! * o2![r * 4 + k]!, 6);
    }
    expect(v.get("towers/a/gates/z")!.shape).toEqual([DIMS.batch, 2]);
  });

  it("per_example_fields: field gates per example, every other gate per step", () => {
    const spec = withNoise(specFromText(everyKind("l0")).spec, "per_example_fields");
    const graph = lowerSpec(spec, { mode: "train" });
    const shapes = Object.fromEntries(graph.inputs.filter((i) => i.name.startsWith("noise/")).map((i) => [i.name, i.shape]));
    expect(shapes["noise/select/a/gates/fields"]).toEqual(["batch", 3]);
    expect(shapes["noise/level1/a/expert0/gates/input/a"]).toEqual([4]);
    expect(shapes["noise/level2/a/gates/a/expert0"]).toEqual([1]);
  });

  it("evaluation and export do not depend on the noise: eval.onnx and the manifest's params are the same bytes", () => {
    const { spec } = zooSpec("mssm.mssm");
    const a = compileSpec(spec);
    for (const noise of ["per_example", "per_example_fields"] as const) {
      const b = compileSpec(withNoise(spec, noise));
      expect(Buffer.from(b.files["eval.onnx"]).equals(Buffer.from(a.files["eval.onnx"])), noise).toBe(true);
      expect(b.manifest.params).toEqual(a.manifest.params);
      expect(b.manifest.gate_groups).toEqual(a.manifest.gate_groups);
      expect(Buffer.from(b.files["train.onnx"]).equals(Buffer.from(a.files["train.onnx"])), noise).toBe(false);
    }
  });

  it("a spec that does not write noise compiles to the bytes of one that writes per_step, except for the spec itself", () => {
    const { spec } = zooSpec("mssm.mssm");
    expect(spec.gates.noise).toBeUndefined();
    const plain = lowerSpec(spec, { mode: "train" });
    const written = lowerSpec(withNoise(spec, "per_step"), { mode: "train" });
    expect(Buffer.from(emitModel(written, { seed: 7, params: "inputs" })).equals(Buffer.from(emitModel(plain, { seed: 7, params: "inputs" })))).toBe(true);
  });
});

describe("checks of gates.noise", () => {
  const check = (text: string) =>
    loadSpec("m.mssm", (p) => {
      if (p !== "m.mssm") throw new Error(`no file ${p}`);
      return text;
    }).diagnostics.map((d) => `${d.severity} ${d.code} ${d.span ? `${d.span.start}` : ""}: ${d.message}`);
  const model = (body: string) => `fields { x numeric(dim: 2), c categorical(dim: 2) }
tasks { a binary(label: ya), b binary(label: yb) }
model m {
  groups a, b
${body}
}
`;

  it("an unknown value is one invalid-value error on the value, with a suggestion", () => {
    const text = model("  level 1 { experts: mlp[3], connect: cssm }\n  towers { tower: mlp[] }\n  gates { noise: per_exampel }");
    const r = loadSpec("m.mssm", () => text);
    expect(r.spec).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([["invalid-value", "'per_exampel' is not a valid noise for the 'gates' section; did you mean 'per_example'?"]]);
    expect(r.diagnostics[0]!.span!.start).toBe(text.indexOf("per_exampel"));
  });

  it("per_example with granularity weight is option-not-applicable on the granularity", () => {
    const text = model("  level 1 { experts: mlp[3], connect: cssm(granularity: weight) }\n  towers { tower: mlp[] }\n  gates { noise: per_example }");
    const r = loadSpec("m.mssm", () => text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["option-not-applicable"]);
    expect(r.diagnostics[0]!.message).toContain("'noise: per_example' does not apply to a cssm connection with 'granularity: weight'");
    expect(r.diagnostics[0]!.span!.start).toBe(text.indexOf("granularity"));
    const fieldsOnly = text.replace("per_example", "per_example_fields").replace("  groups a, b", "  groups a, b\n  select fields per group");
    expect(check(fieldsOnly).filter((d) => d.startsWith("error"))).toEqual([]);
  });

  it("per_example_fields on a model without field gates warns that its gates are drawn per step", () => {
    const text = model("  level 1 { experts: mlp[3], connect: cssm }\n  towers { tower: mlp[] }\n  gates { noise: per_example_fields }");
    const r = loadSpec("m.mssm", () => text);
    expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([["warning", "unused-regularizer"]]);
    expect(r.diagnostics[0]!.span!.start).toBe(text.indexOf("noise"));
  });

  it("noise on a model without L0 gates warns like the other hard-concrete settings", () => {
    const r = loadSpec("m.mssm", () => model("  level 1 { experts: mlp[3] }\n  towers { tower: mlp[] }\n  gates { noise: per_example }"));
    expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([["warning", "unused-regularizer"]]);
  });
});
