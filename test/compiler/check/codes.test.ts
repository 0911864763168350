import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../../base/package-root.js";
import { rules } from "../../../compiler/check/rules/index.js";

// One rule owns its code (as graphql-js has it): every diagnostic of a kind comes from one place.
// The sources are read as syntax trees: a code is raised where a call to `error`, `warning` or
// `report` (a plain function or a method, not `console.error`) gets it as a string literal as its
// first argument, and a check rule raises the code of its `code:` property.

const root = packageRoot();
const FOLDERS = ["base", "grammar", "compiler", "runtime", "cli", "editor"];
const CODE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const SEVERITIES = new Set(["error", "warning"]);

/** Every .ts file under the source folders, relative to the package root. */
function sources(): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) visit(path);
      else if (name.endsWith(".ts")) out.push(relative(root, path));
    }
  };
  for (const folder of FOLDERS) visit(join(root, folder));
  return out;
}

/** The codes a source text raises, each once. */
function raisedCodes(text: string): string[] {
  const file = ts.createSourceFile("x.ts", text, ts.ScriptTarget.Latest, true);
  const codes = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) && !(ts.isIdentifier(callee.expression) && callee.expression.text === "console") ? callee.name.text : undefined;
      const first = node.arguments[0];
      if ((name === "error" || name === "warning" || name === "report") && first && ts.isStringLiteralLike(first) && CODE.test(first.text) && !SEVERITIES.has(first.text)) codes.add(first.text);
    }
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === "code" && ts.isStringLiteralLike(node.initializer) && CODE.test(node.initializer.text)) {
      codes.add(node.initializer.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return [...codes];
}

/** The module a file belongs to: the lowering to canonical JSON is one module over several files. */
const moduleOf = (file: string) => (file === "compiler/load/to-json.ts" || file.startsWith("compiler/load/to-json/") ? "compiler/load/to-json" : file);

/** For each code, the modules that raise it, sorted. */
function raisers(): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const file of sources()) {
    for (const code of raisedCodes(readFileSync(join(root, file), "utf8"))) {
      if (!out.has(code)) out.set(code, new Set());
      out.get(code)!.add(moduleOf(file));
    }
  }
  return new Map([...out].map(([code, modules]) => [code, [...modules].sort()]));
}

describe("diagnostic codes", () => {
  it("finds codes the way they are raised", () => {
    expect(raisedCodes(`report("a-b", "m", s); w.report("c", m); error("d-e", m); console.error("f"); report("error", m, p); x = { code: "g-h" };`).sort()).toEqual(["a-b", "c", "d-e", "g-h"]);
  });

  it("are each raised by one check rule only, from its own file", () => {
    const all = raisers();
    for (const rule of rules) expect(all.get(rule.code), rule.code).toEqual([`compiler/check/rules/${rule.code}.ts`]);
  });

  it("are each raised from one module, but for the few raised by two readers of their own", () => {
    const shared = Object.fromEntries([...raisers()].filter(([, modules]) => modules.length > 1));
    expect(shared).toEqual({
      // A JSON spec whose top level is not an object never reaches the schema.
      "invalid-type": ["compiler/load/load.ts", "compiler/load/schema.ts"],
      // The .mssm parser and the JSON reader each report their own syntax.
      "syntax-error": ["compiler/load/json-source.ts", "grammar/parse.ts"],
    });
  });
});
