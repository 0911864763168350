import type { DocumentFormattingParams, TextEdit } from "vscode-languageserver/node.js";
import { formatSource } from "../../grammar/print.js";
import { lineTable, toRange } from "./positions.js";
import { guarded, type Services } from "./request.js";

// Formatting: `mssmc fmt`'s formatter, as one edit replacing the whole buffer. A file with syntax
// errors is left alone, as is one already formatted.

/** Answers document formatting requests. */
export function registerFormatting(s: Services): void {
  s.connection.onDocumentFormatting(
    guarded(s.connection, "formatting", [], (p: DocumentFormattingParams): TextEdit[] => {
      const text = s.documents.all.get(p.textDocument.uri)?.getText();
      if (text === undefined) return [];
      const { formatted } = formatSource(text, s.documents.toPath(p.textDocument.uri));
      if (formatted === undefined || formatted === text) return [];
      return [{ range: toRange(lineTable(text), { start: 0, end: text.length }), newText: formatted }];
    }),
  );
}
