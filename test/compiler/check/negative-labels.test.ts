import { describe, expect, it } from "vitest";
import { loadSpec } from "../../../compiler/load/load.js";
import { formatSource } from "../../../grammar/print.js";
import { parse } from "../../../grammar/parse.js";
import { diagnose } from "./helpers.js";
import { lowered } from "../../grammar/same-tree.js";

// A binary task's `positive` and `negative` label values: one string is a list of one, and the
// negative list must name a class of its own (negative-labels).

const error = (code: string, message: string, at: string, text: string) => ({ code, severity: "error", message, at, text });

/** A model with one field and the tasks `tasks`, each task on its own line from line 3. */
const withTasks = (...tasks: string[]): string => `fields { a numeric }\ntasks {\n${tasks.map((t) => `  ${t}\n`).join("")}}\nmodel m { towers { tower: mlp[4] } }\n`;

/** Loads a spec from memory (`main.mssm` or `main.json`). */
function load(name: string, text: string) {
  return loadSpec(`/virtual/${name}`, () => text);
}

describe("positive and negative as one string", () => {
  it("reads `positive: \"yes\"` as the list [\"yes\"], in .mssm and in .json, and the canonical form writes the list", () => {
    const mssm = load("main.mssm", withTasks('t binary(label: y, positive: "yes", negative: "no")', "u binary(label: z)"));
    expect(mssm.diagnostics).toEqual([]);
    expect(mssm.spec!.tasks).toEqual([
      { name: "t", kind: "binary", label: "y", weight: 1, positive: ["yes"], negative: ["no"] },
      { name: "u", kind: "binary", label: "z", weight: 1, positive: ["1"] },
    ]);
    const json = load(
      "main.json",
      JSON.stringify({ mssm: 1, model: "m", fields: [{ name: "a", kind: "numeric" }], tasks: [{ name: "t", kind: "binary", label: "y", positive: "yes", negative: ["no", "n"] }], towers: { tasks: { t: { widths: [4] } } } }),
    );
    expect(json.diagnostics).toEqual([]);
    expect(json.spec!.tasks).toEqual([{ name: "t", kind: "binary", label: "y", weight: 1, positive: ["yes"], negative: ["no", "n"] }]);
  });

  it("is printed by the formatter as written, and reads back as the same tree", () => {
    const text = withTasks('t binary(label: y, positive: "yes", negative: ["no", "n"])');
    const { formatted } = formatSource(text, "m.mssm");
    expect(formatted).toContain('t  binary(label: y, positive: "yes", negative: ["no", "n"])');
    expect(lowered(parse(formatted!, "m.mssm").document)).toEqual(lowered(parse(text, "m.mssm").document));
    expect(formatSource(formatted!, "m.mssm").formatted).toBe(formatted);
  });

  it("refuses a number, and negative on a task of another kind", () => {
    expect(diagnose(withTasks("t binary(label: y, positive: 1)", "r regression(label: z, negative: [\"0\"])"))).toEqual([
      error("invalid-type", "'positive' of task 't' must be a list or a string, not 1.", "3:32", "1"),
      error("unknown-option", "'negative' applies only to binary tasks, not to regression ones (task 'r').", "4:26", "negative"),
    ]);
  });
});

describe("negative-labels", () => {
  it("reports a value listed as both positive and negative, at the negative one", () => {
    expect(diagnose(withTasks('t binary(label: y, positive: ["yes", "ok"], negative: ["no", "ok"])', 'u binary(label: z, negative: "1")'))).toEqual([
      error("negative-labels", `The binary task 't' lists the label value "ok" as both positive and negative; a value belongs to one class.`, "3:64", '"ok"'),
      error("negative-labels", `The binary task 'u' lists the label value "1" as both positive and negative; a value belongs to one class.`, "4:32", '"1"'),
    ]);
  });

  it("reports an empty negative list", () => {
    expect(diagnose(withTasks("t binary(label: y, negative: [])"))).toEqual([
      error("negative-labels", "The binary task 't' lists no negative value, so every row would be bad; list at least one, or leave 'negative' out to count every value that is not positive as negative.", "3:32", "[]"),
    ]);
  });

  it("accepts disjoint lists, and no negative list at all", () => {
    expect(diagnose(withTasks('t binary(label: y, positive: [">50K", ">50K."], negative: ["<=50K", "<=50K."])', "u binary(label: z)"))).toEqual([]);
  });
});
