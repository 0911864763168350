// The joint loss weighs the field gates' expected L0 by λF (regularize.l0_fields) and the cell
// gates' by λ0 (regularize.l0): checked against the formula on hand-set log α values through the
// reference evaluator.

import { describe, expect, it } from "vitest";
import { lowerSpec } from "../../../compiler/lower/lower-spec.js";
import { evaluate, type RefTensor } from "../ir/reference.js";
import { paramFeeds, randomFeeds, specFromText } from "./helpers.js";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const shift = (2 / 3) * Math.log(0.1 / 1.1);

const spec = (regularize: string) =>
  specFromText(`fields { x numeric(dim: 2), c categorical(dim: 3), d categorical(dim: 2) }
tasks {
  p  binary(label: y1)
  q  binary(label: y2, weight: 0.5)
}
model m {
  groups p, q
  select fields per group(form: l0)
  level 1 { experts: mlp[3] relu, connect: cssm }
  towers { tower: mlp[] }
  regularize { ${regularize} }
}
`).spec!;

function run(regularize: string) {
  const s = spec(regularize);
  const graph = lowerSpec(s, { mode: "train" });
  // Distinct log α values, so that a wrong split between field and cell gates changes the sum.
  const overrides: Record<string, number[]> = {
    "select/p/gates/fields/log_alpha": [2.4, -1, 0.5],
    "select/q/gates/fields/log_alpha": [-3, 1.5, 0],
  };
  const values = evaluate(graph, { ...randomFeeds(graph, s, 3), ...paramFeeds(graph, 5, overrides) });
  const data = (name: string) => (values.get(name) as RefTensor).data as number[];
  const logAlphas = graph.params.filter((p) => p.value.name.endsWith("/log_alpha")).map((p) => p.value.name);
  const open = (names: string[]) => names.flatMap((n) => data(n)).reduce((a, la) => a + sigmoid(la - shift), 0);
  const fieldNames = logAlphas.filter((n) => n.includes("/gates/fields/"));
  const cellNames = logAlphas.filter((n) => !n.includes("/gates/fields/"));
  return { graph, data, fields: open(fieldNames), cells: open(cellNames), fieldNames, cellNames };
}

describe("the L0 weights of field and cell gates", () => {
  it("adds λ0 · L0(cells) + λF · L0(fields) to the task losses, and outputs L0 over all gates", () => {
    const { data, fields, cells, fieldNames, cellNames } = run("l0: 0.01, l0_fields: 0.2");
    expect(fieldNames).toEqual(["select/p/gates/fields/log_alpha", "select/q/gates/fields/log_alpha"]);
    expect(cellNames.length).toBeGreaterThan(0);
    expect(data("l0")[0]).toBeCloseTo(fields + cells, 5);
    const tasks = data("loss/p")[0]! + 0.5 * data("loss/q")[0]!;
    expect(data("loss")[0]).toBeCloseTo(tasks + 0.01 * cells + 0.2 * fields, 5);
  });

  it("weighs every gate alike, with no separate field term, when λF equals λ0", () => {
    const { graph, data, fields, cells } = run("l0: 0.05, l0_fields: 0.05");
    expect(graph.nodes.some((n) => n.outputs.some((o) => o.name.startsWith("gates/fields/")))).toBe(false);
    const tasks = data("loss/p")[0]! + 0.5 * data("loss/q")[0]!;
    expect(data("loss")[0]).toBeCloseTo(tasks + 0.05 * (cells + fields), 5);
  });

  it("leaves the field gates unpenalized with l0_fields: 0 while the cells keep λ0", () => {
    const { data, cells } = run("l0: 0.01, l0_fields: 0");
    const tasks = data("loss/p")[0]! + 0.5 * data("loss/q")[0]!;
    expect(data("loss")[0]).toBeCloseTo(tasks + 0.01 * cells, 5);
  });
});
