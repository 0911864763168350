import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "../../grammar/parse.js";
import { error, hasErrors, sortDiagnostics, type Diagnostic } from "../../base/source/diagnostic.js";
import { sourceFile, type SourceFile } from "../../base/source/source-file.js";
import { runRules, runWrittenRules, type Rule } from "../check/rule.js";
import { rules } from "../check/rules/index.js";
import { parseJsonSource } from "./json-source.js";
import { normalize } from "./normalize.js";
import { validateSchema } from "./schema.js";
import { SourceMap } from "./source-map.js";
import { toJson, type ParsedFile } from "./to-json.js";
import { topology } from "./topology.js";
import type { Spec } from "./types.js";

/** Reads a file's text; the editor passes one that sees unsaved buffers. */
export type ReadText = (path: string) => string;

/** The outcome of loading a spec: the checked spec when there are no errors, and every diagnostic. */
export interface LoadResult {
  spec: Spec | undefined;
  /** The canonical JSON before defaults, when it could be built. */
  json: Record<string, unknown> | undefined;
  map: SourceMap;
  diagnostics: Diagnostic[];
  /** Every file read, by path, for rendering code frames. */
  files: Map<string, SourceFile>;
  /** True for a file with fields and tasks but no model (a file for others to import). */
  library: boolean;
}

const readUtf8: ReadText = (path) => readFileSync(path, "utf8");

/** Parses, validates and checks the spec at `path` (.mssm or .json), following its imports. */
export function loadSpec(path: string, readText: ReadText = readUtf8): LoadResult {
  const files = new Map<string, SourceFile>();
  const diagnostics: Diagnostic[] = [];
  const read = (p: string): SourceFile | undefined => {
    if (files.has(p)) return files.get(p);
    let text: string;
    try {
      text = readText(p);
    } catch {
      return undefined;
    }
    const f = sourceFile(p, text);
    files.set(p, f);
    return f;
  };
  let library = false;
  // A file without a model runs only the rules that apply to libraries.
  const applicable = (): readonly Rule[] => (library ? rules.filter((r) => r.appliesToLibraries) : rules);
  const done = (spec: Spec | undefined, json: Record<string, unknown> | undefined, map: SourceMap): LoadResult => ({
    spec: library ? undefined : spec,
    json,
    map,
    diagnostics: sortDiagnostics(diagnostics),
    files,
    library,
  });

  const main = read(path);
  if (!main) {
    diagnostics.push(error("file-not-found", `Cannot read '${path}'.`, path, { start: 0, end: 0 }));
    return done(undefined, undefined, new SourceMap());
  }

  let json: Record<string, unknown> | undefined;
  let map: SourceMap;
  if (path.endsWith(".json")) {
    const parsed = parseJsonSource(main.text, path);
    diagnostics.push(...parsed.diagnostics);
    map = parsed.map;
    if (parsed.value !== undefined && (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value))) {
      diagnostics.push(error("invalid-type", "A JSON spec must be an object.", path, { start: 0, end: main.text.length }));
    } else json = parsed.value as Record<string, unknown> | undefined;
  } else {
    const parsedMain = parse(main.text, path);
    diagnostics.push(...parsedMain.diagnostics);
    const imported = resolveImports({ path, document: parsedMain.document }, read, diagnostics);
    // A tree repaired by error recovery would only produce follow-on noise below.
    if (hasErrors(diagnostics)) return done(undefined, undefined, new SourceMap());
    const lowered = toJson({ path, document: parsedMain.document }, imported);
    json = lowered.json;
    map = lowered.map;
    library = lowered.library;
    diagnostics.push(...lowered.diagnostics, ...runWrittenRules(applicable(), lowered.written));
  }
  // Later stages assume a well-formed tree: stop at the first stage that reports errors.
  if (!json || hasErrors(diagnostics)) return done(undefined, json, map);
  diagnostics.push(...validateSchema(json, map, path));
  if (hasErrors(diagnostics)) return done(undefined, json, map);
  const spec = normalize(json);
  const stages = topology(spec);
  diagnostics.push(...runRules(applicable(), spec, map, stages, path));
  return done(hasErrors(diagnostics) ? undefined : spec, json, map);
}

/** Parses the files `main` imports, depth first, each once; reports missing files and cycles. */
function resolveImports(main: ParsedFile, read: (p: string) => SourceFile | undefined, diagnostics: Diagnostic[]): ParsedFile[] {
  const out: ParsedFile[] = [];
  const seen = new Set<string>([main.path]);
  const visit = (f: ParsedFile, stack: string[]) => {
    for (const item of f.document.items) {
      if (item.kind !== "import" || !item.path) continue;
      const target = resolve(dirname(f.path), item.path.value);
      if (stack.includes(target)) {
        diagnostics.push(error("import-cycle", `Importing '${item.path.value}' here makes a cycle: ${[...stack, target].join(" -> ")}.`, f.path, item.path.span));
        continue;
      }
      if (seen.has(target)) continue;
      seen.add(target);
      const src = read(target);
      if (!src) {
        diagnostics.push(error("import-not-found", `Cannot read the imported file '${item.path.value}' (looked for ${target}).`, f.path, item.path.span));
        continue;
      }
      const parsed = parse(src.text, target);
      diagnostics.push(...parsed.diagnostics);
      const pf = { path: target, document: parsed.document };
      visit(pf, [...stack, target]);
      out.push(pf);
    }
  };
  visit(main, [main.path]);
  return out;
}
