import type * as A from "../../grammar/ast.js";
import type { Span } from "../../base/source/span.js";
import type { ParsedDoc } from "./parsed-doc.js";

// Every place a field, task or group name is written, which definition, references, rename and
// hover are built on. A file's occurrences are computed once per parse of it.

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

const perFile = new WeakMap<ParsedDoc, Occurrence[]>();

/** Every occurrence of a field, task or group name in the given files, in file then text order. */
export function occurrences(docs: readonly ParsedDoc[]): Occurrence[] {
  return docs.flatMap(occurrencesIn);
}

/** The occurrences written in one file, in text order. */
function occurrencesIn(doc: ParsedDoc): Occurrence[] {
  const hit = perFile.get(doc);
  if (hit) return hit;
  const out: Occurrence[] = [];
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
  perFile.set(doc, out);
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
