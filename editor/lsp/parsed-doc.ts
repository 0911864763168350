import { dirname, resolve } from "node:path";
import type * as A from "../../grammar/ast.js";
import { parse } from "../../grammar/parse.js";
import { lineTable, type LineTable } from "./positions.js";

// One parsed .mssm file as the editor holds it: its text, syntax tree and line table. The parser
// recovers from errors, so a half-typed buffer still has a tree to navigate.

/** One parsed file. */
export interface ParsedDoc {
  path: string;
  text: string;
  document: A.Document;
  table: LineTable;
}

/** Parses the text of a file. */
export function parseDoc(path: string, text: string): ParsedDoc {
  return { path, text, document: parse(text, path).document, table: lineTable(text) };
}

/** The path an import item points at, resolved against the importing file. */
export function importTarget(from: string, item: A.ImportDecl): string | undefined {
  return item.path ? resolve(dirname(from), item.path.value) : undefined;
}

/** The paths a file imports, in the order written. */
export function importsOf(doc: ParsedDoc): string[] {
  return doc.document.items.flatMap((item) => (item.kind === "import" ? (importTarget(doc.path, item) ?? []) : []));
}
