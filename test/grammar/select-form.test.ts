import { describe, expect, it } from "vitest";
import { parse } from "../../grammar/parse.js";
import { formatSource } from "../../grammar/print.js";

// `select fields per group(form: ...)`: parsed with its options, printed in the canonical style,
// and read back unchanged.

describe("select fields per group(...)", () => {
  const text = (select: string) => `model m {\n  groups a\n  ${select}\n}\n`;

  it("keeps its options in the tree", () => {
    const { document, diagnostics } = parse(text("select fields per group(form: l0)"), "m.mssm");
    expect(diagnostics).toEqual([]);
    const model = document.items[0]!;
    const entry = model.kind === "model" ? model.entries.find((e) => e.kind === "select") : undefined;
    expect(entry?.kind === "select" && entry.args?.map((a) => [a.key?.text, a.value?.kind === "type" ? a.value.name.text : undefined])).toEqual([["form", "l0"]]);
  });

  it("prints the canonical spacing and reads back to the same text", () => {
    const { formatted } = formatSource(text("select  fields per group ( form :learned_offset )"), "m.mssm");
    expect(formatted).toBe(text("select fields per group(form: learned_offset)"));
    expect(formatSource(formatted!, "m.mssm").formatted).toBe(formatted);
    expect(formatSource(text("select fields per group"), "m.mssm").formatted).toBe(text("select fields per group"));
  });
});
