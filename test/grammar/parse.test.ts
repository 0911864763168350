import { describe, expect, it } from "vitest";
import { parse } from "../../grammar/parse.js";

describe("parse", () => {
  it("reads names with dashes, quoted names and numbers with exponents", () => {
    const { document, diagnostics } = parse('fields {\n  education-num numeric\n  "native country" categorical(dim: 1e1)\n}\n', "a.mssm");
    expect(diagnostics).toEqual([]);
    const fields = document.items[0];
    expect(fields?.kind).toBe("fields");
    if (fields?.kind !== "fields") return;
    expect(fields.decls.map((d) => d.name.text)).toEqual(["education-num", "native country"]);
    const arg = fields.decls[1]?.type?.args?.[0];
    expect(arg?.value).toMatchObject({ kind: "number", raw: "1e1", value: 10 });
  });

  it("reports an unterminated string and still returns a tree", () => {
    const { document, diagnostics } = parse('import "a.mssm\nfields { age numeric }\n', "a.mssm");
    expect(diagnostics.map((d) => d.code)).toContain("unterminated-string");
    expect(document.items.some((i) => i.kind === "fields")).toBe(true);
  });
});
