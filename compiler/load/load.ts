import { dirname, relative, resolve } from "node:path";
import { parse } from "../../grammar/parse.js";
import { error, hasErrors, sortDiagnostics, type Diagnostic } from "../../base/source/diagnostic.js";
import { sourceFile, type SourceFile } from "../../base/source/source-file.js";
import type { Span } from "../../base/source/span.js";
import { runRules, runWrittenRules, type Rule } from "../check/rule.js";
import { rules } from "../check/rules/index.js";
import { parseJsonSource } from "./json-source.js";
import { MAX_IMPORT_DEPTH, readImport, readMainSpec, readSpecFile, type ReadText } from "./read-source.js";
import { normalize } from "./normalize.js";
import { validateSchema } from "./schema.js";
import { SourceMap } from "./source-map.js";
import { toJson, type ParsedFile } from "./to-json.js";
import { topology } from "./topology.js";
import type { Spec } from "./types.js";


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

/** Parses, validates and checks the spec at `path` (.mssm or .json), following its imports. */
export function loadSpec(path: string, readText: ReadText = readSpecFile): LoadResult {
  const files = new Map<string, SourceFile>();
  const diagnostics: Diagnostic[] = [];
  const keep = (p: string, text: string): SourceFile => {
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

  const mainText = readMainSpec(path, readText);
  if ("diagnostic" in mainText) {
    diagnostics.push(mainText.diagnostic);
    return done(undefined, undefined, new SourceMap());
  }
  const main = keep(path, mainText.text);

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
    const imported = resolveImports({ path, document: parsedMain.document }, (target, written, from, span) => {
      const got = readImport(target, written, from, span, readText);
      if ("diagnostic" in got) {
        diagnostics.push(got.diagnostic);
        return undefined;
      }
      return keep(target, got.text);
    }, diagnostics);
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

/** Reads an imported file, reporting why it cannot (the diagnostic is the reader's to push). */
type ReadImport = (target: string, written: string, from: string, span: Span) => SourceFile | undefined;

/**
 * Parses the files `main` imports, depth first, each once; reports unreadable files, cycles and
 * chains deeper than MAX_IMPORT_DEPTH. Iterative, so a long chain cannot exhaust the stack.
 */
function resolveImports(main: ParsedFile, read: ReadImport, diagnostics: Diagnostic[]): ParsedFile[] {
  const out: ParsedFile[] = [];
  // Files are compared by their resolved paths (the main file may be given relative to the working
  // folder) and named in messages relative to the main file's folder.
  const mainPath = resolve(main.path);
  const shown = (p: string): string => relative(dirname(mainPath), p) || p;
  const seen = new Set<string>([mainPath]);
  // Each frame: a parsed file, the chain of files that led to it, and the next import to follow.
  const frames: { file: ParsedFile; chain: string[]; next: number }[] = [{ file: main, chain: [mainPath], next: 0 }];
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    const items = frame.file.document.items;
    if (frame.next >= items.length) {
      frames.pop();
      if (frames.length > 0) out.push(frame.file);
      continue;
    }
    const item = items[frame.next++]!;
    if (item.kind !== "import" || !item.path) continue;
    const f = frame.file;
    const target = resolve(dirname(f.path), item.path.value);
    if (frame.chain.includes(target)) {
      diagnostics.push(error("import-cycle", `Importing '${item.path.value}' here makes a cycle: ${[...frame.chain, target].map(shown).join(" -> ")}.`, f.path, item.path.span));
      continue;
    }
    if (seen.has(target)) continue;
    seen.add(target);
    if (frame.chain.length >= MAX_IMPORT_DEPTH) {
      diagnostics.push(error("import-too-deep", `Importing '${item.path.value}' here makes a chain of more than ${MAX_IMPORT_DEPTH} imports; it was not followed.`, f.path, item.path.span));
      continue;
    }
    const src = read(target, item.path.value, f.path, item.path.span);
    if (!src) continue;
    const parsed = parse(src.text, target);
    diagnostics.push(...parsed.diagnostics);
    frames.push({ file: { path: target, document: parsed.document }, chain: [...frame.chain, target], next: 0 });
  }
  return out;
}
