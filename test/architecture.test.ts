import { describe, expect, it } from "vitest";
import { cycles, importGraph, importsOf, LAYERS, REPOSITORY, violations } from "./architecture/layers.js";

describe("the source tree's layering", () => {
  it("holds: folders import only downward, the compiler only through compiler/index.ts, no import cycles", () => {
    const graph = importGraph(REPOSITORY, Object.keys(LAYERS));
    expect(graph.size).toBeGreaterThan(100);
    expect(violations(graph)).toEqual([]);
  });
});

describe("the layering checker", () => {
  it("reads static, re-export, type-only and dynamic imports, resolved from the importing file", () => {
    const text = [
      'import { a } from "./a.js";',
      'import type { B } from "../compiler/b.js";',
      'export { c } from "./c.js";',
      'export * from "../base/d.js";',
      'const e = await import("./e.js");',
      'import "./f.js";',
      'import { readFileSync } from "node:fs";',
    ].join("\n");
    expect(importsOf("runtime/x.ts", text)).toEqual(["runtime/a.ts", "compiler/b.ts", "runtime/c.ts", "base/d.ts", "runtime/e.ts", "runtime/f.ts"]);
  });

  it("reports an upward import, a reach inside the compiler and a cycle", () => {
    const graph = new Map<string, string[]>([
      ["runtime/train.ts", ["cli/mssmc.ts", "compiler/ir/graph.ts", "compiler/index.ts"]],
      ["cli/mssmc.ts", ["runtime/train.ts"]],
      ["compiler/index.ts", ["compiler/a.ts"]],
      ["compiler/a.ts", ["compiler/b.ts"]],
      ["compiler/b.ts", ["compiler/a.ts", "base/x.ts"]],
      ["base/x.ts", []],
      ["compiler/ir/graph.ts", []],
    ]);
    expect(violations(graph)).toEqual([
      "runtime/train.ts imports cli/mssmc.ts: runtime/ may not import cli/",
      "runtime/train.ts imports compiler/ir/graph.ts: outside compiler/, import compiler/index.ts only",
      "import cycle: cli/mssmc.ts -> runtime/train.ts -> cli/mssmc.ts",
      "import cycle: compiler/a.ts -> compiler/b.ts -> compiler/a.ts",
    ]);
  });

  it("finds a cycle through many files without overflowing the stack", () => {
    const n = 50_000;
    const graph = new Map(Array.from({ length: n }, (_, i) => [`base/f${i}.ts`, [`base/f${(i + 1) % n}.ts`]] as const));
    const found = cycles(graph);
    expect(found).toHaveLength(1);
    expect(found[0]).toHaveLength(n);
  });

  it("finds no cycle in a chain", () => {
    expect(cycles(new Map([["a", ["b"]], ["b", ["c"]], ["c", []]]))).toEqual([]);
  });
});
