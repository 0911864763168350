import { describe, expect, it } from "vitest";
import { lineColumn, sourceFile } from "../../base/source/source-file.js";
import type { Document } from "../../grammar/ast.js";
import { parse } from "../../grammar/parse.js";

/** The syntax errors of a text, each as its message and 1-based line and column. */
function errorsOf(text: string): { message: string; line: number; column: number }[] {
  const file = sourceFile("m.mssm", text);
  return parse(text, "m.mssm").diagnostics.map((d) => ({ message: d.message, ...lineColumn(file, d.span.start) }));
}

/** The kinds of the model's entries, levels with their number: what recovery kept of the tree. */
function modelEntries(document: Document): string[] {
  const model = document.items.find((i) => i.kind === "model");
  return model?.kind === "model" ? model.entries.map((e) => (e.kind === "level" ? `level ${e.index?.raw}` : e.kind === "section" ? e.name.text : e.kind)) : [];
}

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

describe("syntax errors: one per mistake, where the fix goes", () => {
  const model = (...lines: string[]) => ["model m {", ...lines.map((l) => `  ${l}`), "}", ""].join("\n");

  it("names the '{' a block leaves open and points where its '}' belongs, then reads on", () => {
    const text = model(
      "groups a, b",
      "level 1 { experts: mlp[64] relu, connect: cssm",
      "level 2 {",
      "  experts { a: mlp[32] relu, b: mlp[32] relu }",
      "  connect: cssm",
      "}",
      "towers { tower: mlp[16] relu }",
    );
    expect(errorsOf(text)).toEqual([{ message: "The '{' at 3:11 is not closed: expected '}' before 'level'.", line: 3, column: 49 }]);
    const { document, diagnostics } = parse(text, "m.mssm");
    expect(diagnostics[0]?.span.start).toBe(diagnostics[0]?.span.end);
    expect(modelEntries(document)).toEqual(["groups", "level 1", "level 2", "towers"]);
  });

  it("finds the open block whatever follows it: a section, a top-level block, a level after an mlp, two blocks", () => {
    expect(errorsOf(model("groups a", "towers { tower: mlp[16] relu", "regularize { l2: 1e-5 }"))).toEqual([
      { message: "The '{' at 3:10 is not closed: expected '}' before 'regularize'.", line: 3, column: 31 },
    ]);
    expect(errorsOf("fields {\n  age numeric\ntasks {\n  y binary(label: Y)\n}\n")).toEqual([
      { message: "The '{' at 1:8 is not closed: expected '}' before 'tasks'.", line: 2, column: 14 },
    ]);
    expect(errorsOf(model("groups a", "level 1 { experts: mlp[8]", "level 2 { experts: mlp[4] }"))).toEqual([
      { message: "The '{' at 3:11 is not closed: expected '}' before 'level'.", line: 3, column: 28 },
    ]);
    expect(errorsOf(model("groups a", "level 1 {", "  experts { a: mlp[8] relu", "level 2 { experts: mlp[4] }"))).toEqual([
      { message: "The '{' at 4:13 is not closed: expected '}' before 'level'.", line: 4, column: 29 },
      { message: "The '{' at 3:11 is not closed: expected '}' before 'level'.", line: 4, column: 29 },
    ]);
  });

  it("counts the '{' position in lines and UTF-16 columns as the diagnostics do, CRLF included", () => {
    const text = model("groups a", "/* 😀 */ level 1 { experts: mlp[8]", "towers { tower: mlp[4] }").replace(/\n/g, "\r\n");
    expect(errorsOf(text)).toEqual([{ message: "The '{' at 3:20 is not closed: expected '}' before 'towers'.", line: 3, column: 37 }]);
  });

  it("still says what was found when the file ends inside a block", () => {
    expect(errorsOf("fields { age numeric")).toEqual([{ message: "Expected '}' but found the end of the file.", line: 1, column: 21 }]);
  });

  it("reports a misspelt keyword once and reads the entries after it", () => {
    const text = model("groups a", "select feilds per group", "level 1 { experts: mlp[8] }", "towers { tower: mlp[4] }");
    expect(errorsOf(text)).toEqual([{ message: "Expected 'fields' after 'select'.", line: 3, column: 3 }]);
    expect(modelEntries(parse(text, "m.mssm").document)).toEqual(["groups", "level 1", "towers"]);
  });

  it("reports a token no entry starts with once", () => {
    expect(errorsOf(model("groups a", "level 1 { experts: mlp[8] 1, connect: cssm }", "towers { tower: mlp[4] }"))).toEqual([
      { message: "Expected '}' but found '1'.", line: 3, column: 29 },
    ]);
  });

  it("says what the top level holds when a top-level word is misspelt, and reads the model after it", () => {
    const text = "feilds {\n  age numeric\n}\nmodel m {\n  groups a\n}\n";
    expect(errorsOf(text)).toEqual([{ message: "Expected 'import', 'fields', 'tasks' or 'model' at the top level but found 'feilds'.", line: 1, column: 1 }]);
    expect(modelEntries(parse(text, "m.mssm").document)).toEqual(["groups"]);
  });

  it("reports a comma left out between names on one line, between the names, and keeps every name", () => {
    const text = model("groups income never_married, shared", "tasks x y");
    expect(errorsOf(text)).toEqual([
      { message: "Expected ',' between 'income' and 'never_married'.", line: 2, column: 16 },
      { message: "Expected ',' between 'x' and 'y'.", line: 3, column: 10 },
    ]);
    const entry = parse(text, "m.mssm").document.items[0];
    const groups = entry?.kind === "model" ? entry.entries.find((e) => e.kind === "groups") : undefined;
    expect(groups?.kind === "groups" && groups.names.map((n) => n.text)).toEqual(["income", "never_married", "shared"]);
  });

  it("skips the rest of a file after 200 errors: a flood is no spec with mistakes", () => {
    const messages = errorsOf(model(...Array<string>(1000).fill("select feilds per group"))).map((e) => e.message);
    expect(messages.slice(0, 200)).toEqual(Array<string>(200).fill("Expected 'fields' after 'select'."));
    expect(messages.slice(200)).toEqual(["Expected '}' but found the end of the file."]);
  });

  it("reads a name that starts the next entry, or a comma before one, as the end of the list", () => {
    expect(errorsOf(model("groups a select fields per group"))).toEqual([]);
    expect(errorsOf(model("groups a,", "train { epochs: 1 }"))).toEqual([]);
    expect(errorsOf(model("groups a,", "sample_weight: w"))).toEqual([]);
  });
});
