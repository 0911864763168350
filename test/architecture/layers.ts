// The layering of the source tree as data, and a checker over an import graph. The folders stack
// (each may import those below it, never those above):
//
//   base/      spans, diagnostics, the seeded generator, UserError, atomic writes
//   grammar/   the .mssm parser and printer
//   compiler/  loading, checking, lowering, autodiff, ONNX emission, export passes
//   runtime/   data, training, evaluation, checkpoints, export files
//   editor/    the language server (beside runtime: it needs the compiler, never the runtime)
//   cli/       the commands
//
// Outside compiler/, the compiler is reached only through its entry, compiler/index.ts, and no
// two files import each other, directly or around a loop (type-only imports count too).

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** The source folders, and which folders each may import. */
export const LAYERS: Record<string, readonly string[]> = {
  base: ["base"],
  grammar: ["base", "grammar"],
  compiler: ["base", "grammar", "compiler"],
  runtime: ["base", "grammar", "compiler", "runtime"],
  editor: ["base", "grammar", "compiler", "editor"],
  cli: ["base", "grammar", "compiler", "runtime", "editor", "cli"],
};

/** The compiler's entry: the only compiler file code outside compiler/ may import. */
export const COMPILER_ENTRY = "compiler/index.ts";

/** Repository-relative .ts file -> the repository-relative .ts files it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']/g;

/** The relative imports of one file's text, resolved to repository-relative .ts paths. */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (!spec.startsWith(".")) continue;
    out.push(join(dirname(file), spec).replace(/\.js$/, ".ts"));
  }
  return out;
}

/** The import graph of every .ts file under the given folders of `root`. */
export function importGraph(root: string, folders: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(resolve(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path);
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        graph.set(path, importsOf(path, readFileSync(resolve(root, path), "utf8")));
      }
    }
  };
  for (const f of folders) walk(f);
  return graph;
}

const folderOf = (file: string): string => file.split("/")[0]!;

/** Every broken layering rule and every import cycle of a graph, one sentence each. */
export function violations(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [file, imports] of graph) {
    const from = folderOf(file);
    const allowed = LAYERS[from];
    if (!allowed) continue;
    for (const target of imports) {
      const to = folderOf(target);
      if (!(to in LAYERS)) continue;
      if (!allowed.includes(to)) out.push(`${file} imports ${target}: ${from}/ may not import ${to}/`);
      else if (to === "compiler" && from !== "compiler" && target !== COMPILER_ENTRY) out.push(`${file} imports ${target}: outside compiler/, import ${COMPILER_ENTRY} only`);
    }
  }
  for (const cycle of cycles(graph)) out.push(`import cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
  return out;
}

/** The import cycles of a graph: each strongly connected set of two or more files (or a self-import), in a stable order. */
export function cycles(graph: ImportGraph): string[][] {
  // Tarjan's algorithm, iterative so that deep chains cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { node: string; edges: readonly string[]; at: number }[] = [];
    const open = (node: string): void => {
      index.set(node, next);
      low.set(node, next++);
      stack.push(node);
      onStack.add(node);
      work.push({ node, edges: (graph.get(node) ?? []).filter((t) => graph.has(t)), at: 0 });
    };
    open(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      if (top.at < top.edges.length) {
        const target = top.edges[top.at++]!;
        if (!index.has(target)) open(target);
        else if (onStack.has(target)) low.set(top.node, Math.min(low.get(top.node)!, index.get(target)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) !== index.get(top.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== top.node);
      if (component.length > 1 || (graph.get(top.node) ?? []).includes(top.node)) found.push(component.sort());
    }
  }
  return found.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/** The repository root, from this file's location (test/architecture/). */
export const REPOSITORY = resolve(dirname(new URL(import.meta.url).pathname), "..", "..");

/** The repository-relative path of an absolute one. */
export const repositoryPath = (path: string): string => relative(REPOSITORY, path);
