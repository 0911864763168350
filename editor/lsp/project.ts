import { dirname, resolve } from "node:path";
import type * as A from "../../grammar/ast.js";
import { parse } from "../../grammar/parse.js";
import type { Span } from "../../base/source/span.js";
import { lineTable, type LineTable } from "./positions.js";

// The editor's view of a file and the files it imports: parsed syntax trees (cached by text, so
// a request after a keystroke re-parses only the buffer that changed) and every occurrence of a
// field, task or group name, which definition, references, rename and hover are built on.

/** Reads a file's current text (an open buffer before the disk), or undefined when unreadable. */
export type Reader = (path: string) => string | undefined;

/** One parsed file. */
export interface ParsedDoc {
  path: string;
  text: string;
  document: A.Document;
  table: LineTable;
}

/**
 * Names live in two namespaces: fields, and tasks-with-groups (a group named after a task belongs
 * to that task, so renaming one must rename the other).
 */
export type Namespace = "field" | "unit";

/** What an occurrence of a name is. */
export type Role = "field" | "task" | "group" | "task-ref" | "group-ref";

/** A place where a field, task or group name is written. */
export interface Occurrence {
  namespace: Namespace;
  role: Role;
  name: string;
  file: string;
  /** The name's span, quotes included. */
  span: Span;
  declaration: boolean;
}

const cache = new Map<string, ParsedDoc>();

/** Parses a text, reusing the previous tree when the text of that path has not changed. */
export function parseCached(path: string, text: string): ParsedDoc {
  const hit = cache.get(path);
  if (hit && hit.text === text) return hit;
  const doc: ParsedDoc = { path, text, document: parse(text, path).document, table: lineTable(text) };
  cache.set(path, doc);
  return doc;
}

/** The path an import item points at, resolved against the importing file. */
export function importTarget(from: string, item: A.ImportDecl): string | undefined {
  return item.path ? resolve(dirname(from), item.path.value) : undefined;
}

/** A file and everything it imports, transitively, each once; the file itself comes first. */
export function project(path: string, read: Reader): ParsedDoc[] {
  const out: ParsedDoc[] = [];
  const seen = new Set<string>();
  const visit = (p: string) => {
    if (seen.has(p)) return;
    seen.add(p);
    const text = read(p);
    if (text === undefined) return;
    const doc = parseCached(p, text);
    out.push(doc);
    for (const item of doc.document.items) {
      const target = item.kind === "import" ? importTarget(p, item) : undefined;
      if (target) visit(target);
    }
  };
  visit(path);
  return out;
}

/** Every occurrence of a field, task or group name in the given files, in file then text order. */
export function occurrences(docs: readonly ParsedDoc[]): Occurrence[] {
  const out: Occurrence[] = [];
  for (const doc of docs) {
    const add = (name: A.Name, namespace: Namespace, role: Role, declaration: boolean) =>
      out.push({ namespace, role, name: name.text, file: doc.path, span: name.span, declaration });
    for (const item of doc.document.items) {
      if (item.kind === "fields") for (const d of item.decls) add(d.name, "field", "field", true);
      if (item.kind === "tasks") for (const d of item.decls) add(d.name, "unit", "task", true);
      if (item.kind !== "model") continue;
      for (const entry of item.entries) {
        if (entry.kind === "groups") for (const n of entry.names) add(n, "unit", "group", true);
        if (entry.kind === "model-tasks") for (const n of entry.names) add(n, "unit", "task-ref", false);
        if (entry.kind === "level") {
          for (const e of entry.entries) if (e.kind === "experts") for (const g of e.perGroup ?? []) add(g.name, "unit", "group-ref", false);
        }
        if (entry.kind === "towers") {
          // `tower` (unquoted) is the default tower of every task, not a task's name.
          for (const e of entry.entries) if (e.kind === "tower" && (e.name.quoted || e.name.text !== "tower")) add(e.name, "unit", "task-ref", false);
        }
      }
    }
  }
  return out;
}

/** The occurrence whose name contains the offset (its end included, where a cursor after a word sits). */
export function occurrenceAt(all: readonly Occurrence[], file: string, offset: number): Occurrence | undefined {
  return all.find((o) => o.file === file && o.span.start <= offset && offset <= o.span.end);
}

/** The declarations an occurrence refers to: for a task-or-group name, task declarations first. */
export function declarationsOf(all: readonly Occurrence[], target: Occurrence): Occurrence[] {
  const decls = all.filter((o) => o.declaration && o.namespace === target.namespace && o.name === target.name);
  const rank = (o: Occurrence) => (o.role === "task" || o.role === "field" ? 0 : 1);
  return decls.sort((a, b) => rank(a) - rank(b));
}

/** Every occurrence of the same name in the same namespace. */
export function referencesOf(all: readonly Occurrence[], target: Occurrence): Occurrence[] {
  return all.filter((o) => o.namespace === target.namespace && o.name === target.name);
}
