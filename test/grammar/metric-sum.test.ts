import { describe, expect, it } from "vitest";
import { parse } from "../../grammar/parse.js";
import { formatSource } from "../../grammar/print.js";
import { loadSpec } from "../../compiler/load/load.js";
import { writeTemp } from "../runtime/helpers.js";

// `train { monitor: 0.7 * click.auc + 0.3 * buy.auc }`: a sum of weighted task metrics, parsed
// into terms, printed in the canonical spacing and read back unchanged, and written to the
// canonical JSON as a list of { task, metric, weight } (weight 1 when not written).

const model = (train: string) => `tasks {\n  click  binary(label: c)\n  buy    binary(label: b)\n}\n\nfields {\n  x  numeric\n}\n\nmodel m {\n  towers { tower: mlp[4] }\n  train { ${train} }\n}\n`;

describe("a metric sum", () => {
  it("parses one metric, a weighted sum, and a weight written +0.3 (a signed number)", () => {
    for (const [text, terms] of [
      ["monitor: click.auc", [[undefined, "click", "auc"]]],
      ["monitor: 0.7 * click.auc + 0.3 * buy.logloss", [["0.7", "click", "auc"], ["0.3", "buy", "logloss"]]],
      ["monitor: 0.7*click.auc +0.3*buy.auc", [["0.7", "click", "auc"], ["+0.3", "buy", "auc"]]],
      ['monitor: "click".auc + buy.auc', [[undefined, "click", "auc"], [undefined, "buy", "auc"]]],
    ] as const) {
      const { document, diagnostics } = parse(model(text), "m.mssm");
      expect(diagnostics, text).toEqual([]);
      const m = document.items.find((i) => i.kind === "model");
      const train = m?.kind === "model" ? m.entries.find((e) => e.kind === "section") : undefined;
      const value = train?.kind === "section" ? train.properties[0]!.value : undefined;
      expect(value?.kind === "metric-sum" && value.terms.map((t) => [t.weight?.raw, t.task.text, t.metric?.text]), text).toEqual(terms);
    }
  });

  it("leaves numbers, names and calls as they were: 8, 0.5, adam(lr: 1e-3)", () => {
    const { diagnostics } = parse(model("batch: 8, monitor: click.auc, optimizer: adam(lr: 1e-3), schedule: cosine"), "m.mssm");
    expect(diagnostics).toEqual([]);
  });

  it("prints the canonical spacing and reads back to the same text", () => {
    const { formatted } = formatSource(model("monitor: 0.7*click.auc +0.3*buy.auc"), "m.mssm");
    expect(formatted).toContain("train { monitor: 0.7 * click.auc + 0.3 * buy.auc }");
    expect(formatSource(formatted!, "m.mssm").formatted).toBe(formatted);
  });

  it("is a list of terms in the canonical JSON, weight 1 when not written", () => {
    const spec = loadSpec(writeTemp("m.mssm", model("monitor: 0.7 * click.auc + buy.logloss"))).spec!;
    expect(spec.train.monitor).toEqual([
      { task: "click", metric: "auc", weight: 0.7 },
      { task: "buy", metric: "logloss", weight: 1 },
    ]);
    expect(loadSpec(writeTemp("m.mssm", model("batch: 8"))).spec!.train.monitor).toBeUndefined();
  });

  it("a dot without a metric is a syntax error at the end of the term", () => {
    const { diagnostics } = parse(model("monitor: click."), "m.mssm");
    expect(diagnostics.map((d) => d.code)).toEqual(["syntax-error"]);
  });
});
