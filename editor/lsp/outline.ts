import { SymbolKind, type DocumentSymbol, type DocumentSymbolParams } from "vscode-languageserver/node.js";
import type * as A from "../../grammar/ast.js";
import type { Span } from "../../base/source/span.js";
import { toRange, type LineTable } from "./positions.js";
import { guarded, viewOf, type Services } from "./request.js";

// The outline of a file: imports, the fields and tasks blocks with their declarations, and the
// model with its groups, levels, towers and sections.

/** Answers document symbol requests (the outline). */
export function registerOutline(s: Services): void {
  s.connection.onDocumentSymbol(
    guarded(s.connection, "outline", [], (p: DocumentSymbolParams): DocumentSymbol[] => {
      const v = viewOf(s, p.textDocument.uri);
      return v ? outline(v.main.document, v.main.table) : [];
    }),
  );
}

/** The document symbols of a parsed file. */
export function outline(document: A.Document, table: LineTable): DocumentSymbol[] {
  const sym = (name: string, detail: string, kind: SymbolKind, span: Span, selection: Span, children?: DocumentSymbol[]): DocumentSymbol => ({
    name: name || "?",
    detail,
    kind,
    range: toRange(table, span),
    selectionRange: toRange(table, selection.start >= span.start && selection.end <= span.end ? selection : span),
    ...(children ? { children } : {}),
  });
  const decl = (d: A.Decl, kind: SymbolKind) => sym(d.name.text, d.type?.name.text ?? "", kind, d.span, d.name.span);
  const head = (span: Span, words: number): Span => ({ start: span.start, end: Math.min(span.end, span.start + words) });
  const out: DocumentSymbol[] = [];
  for (const item of document.items) {
    if (item.kind === "import") out.push(sym(item.path?.value ?? "import", "import", SymbolKind.File, item.span, item.path?.span ?? item.span));
    if (item.kind === "fields") out.push(sym("fields", "", SymbolKind.Namespace, item.span, head(item.span, 6), item.decls.map((d) => decl(d, SymbolKind.Field))));
    if (item.kind === "tasks") out.push(sym("tasks", "", SymbolKind.Namespace, item.span, head(item.span, 5), item.decls.map((d) => decl(d, SymbolKind.Event))));
    if (item.kind !== "model") continue;
    const children: DocumentSymbol[] = [];
    for (const e of item.entries) {
      if (e.kind === "groups") for (const n of e.names) children.push(sym(n.text, "group", SymbolKind.Class, n.span, n.span));
      if (e.kind === "model-tasks") children.push(sym("tasks", e.names.map((n) => n.text).join(", "), SymbolKind.Namespace, e.span, head(e.span, 5)));
      if (e.kind === "select") children.push(sym("select fields per group", "FSCM", SymbolKind.Property, e.span, e.span));
      if (e.kind === "level") children.push(sym(`level ${e.index?.raw ?? "?"}`, "", SymbolKind.Module, e.span, { start: e.span.start, end: e.index?.span.end ?? e.span.start + 5 }));
      if (e.kind === "towers") children.push(sym("towers", "", SymbolKind.Module, e.span, head(e.span, 6)));
      if (e.kind === "section") children.push(sym(e.name.text, "", SymbolKind.Struct, e.span, e.name.span, e.properties.map((p) => sym(p.key.text, "", SymbolKind.Property, p.span, p.key.span))));
    }
    out.push(sym(item.name?.text ?? "model", "model", SymbolKind.Object, item.span, item.name?.span ?? item.span, children));
  }
  return out;
}
