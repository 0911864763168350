import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codeFrame, FRAME_COLUMNS } from "../../../base/source/render.js";
import { sourceFile } from "../../../base/source/source-file.js";
import { formatText, MAX_SHOWN } from "../../../cli/report.js";
import { parseJsonSource } from "../../../compiler/load/json-source.js";
import { loadSpec } from "../../../compiler/load/load.js";

const dir = mkdtempSync(join(tmpdir(), "mssmc-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const messages = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return loadSpec(path).diagnostics.map((d) => `${d.code}: ${d.message}`);
};

describe("hostile input ends in diagnostics, not a crash", () => {
  it("refuses JSON nested 100,000 deep at the 101st level", () => {
    const text = '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000);
    const { diagnostics } = parseJsonSource(text, "deep.json");
    expect(diagnostics.map((d) => [d.code, d.message, d.span.start])).toEqual([["syntax-error", "Arrays and objects nest more than 100 levels deep here; a spec needs far fewer.", 505]]);
  });

  it("refuses a number too large for a float, in .mssm and in .json", () => {
    expect(messages("inf.mssm", "model m {\n  train { batch: 1e400 }\n}\n")).toEqual(["syntax-error: The number 1e400 is too large: numbers must fit a 64-bit float (at most about 1.8e308)."]);
    expect(messages("inf.json", '{"mssm": 1, "model": "m", "train": {"batch": -1e999}}')).toEqual(["syntax-error: The number -1e999 is too large: numbers must fit a 64-bit float (at most about 1.8e308)."]);
  });

  it("keeps a JSON key named __proto__ as data, as JSON.parse does, instead of setting the prototype", () => {
    const { value } = parseJsonSource('{"__proto__": {"polluted": 1}}', "p.json");
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value as object)).toEqual(["__proto__"]);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });

  it("shows a window of a 70 KB line in a code frame, with the caret under the span", () => {
    const line = "x".repeat(35_000) + "BAD" + "y".repeat(35_000);
    const file = sourceFile("long.mssm", line);
    const [, shown, caret] = codeFrame(file, 35_000, 35_003);
    expect(shown!.length).toBeLessThan(FRAME_COLUMNS + 10);
    expect(shown).toContain("BAD");
    expect(shown!.indexOf("BAD")).toBe(caret!.indexOf("^^^"));
  });

  it("prints the first diagnostics of a flood and says how many more there are", () => {
    const path = join(dir, "garbage.mssm");
    const text = "@ ".repeat(5000);
    writeFileSync(path, text);
    const result = loadSpec(path);
    expect(result.diagnostics.length).toBeGreaterThan(MAX_SHOWN);
    const out = formatText(result.diagnostics, result.files, false);
    expect(out.split("error[").length - 1).toBe(MAX_SHOWN);
    expect(out.endsWith(`... and ${result.diagnostics.length - MAX_SHOWN} more (--format json lists them all)`)).toBe(true);
  });
});
