import type { Position, Range } from "vscode-languageserver/node.js";
import { sourceFile, type SourceFile } from "../../base/source/source-file.js";
import type { Span } from "../../base/source/span.js";

// The ONE place where source offsets become LSP positions and back. Offsets in mssmc are UTF-16
// code units into the text, and LSP's `character` counts UTF-16 code units within a 0-based
// line, so the conversion is line-table arithmetic; lines end at \n, \r\n or \r in both.

/** A text with its line table, so positions can be computed both ways. */
export type LineTable = SourceFile;

/** Builds the line table of a text. */
export function lineTable(text: string): LineTable {
  return sourceFile("", text);
}

/** The LSP position (0-based line, UTF-16 character) of an offset, clamped into the text. */
export function toPosition(table: LineTable, offset: number): Position {
  const at = Math.max(0, Math.min(offset, table.text.length));
  const starts = table.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: at - starts[lo]! };
}

/** The offset of an LSP position; a line or character past the end is clamped to it. */
export function toOffset(table: LineTable, position: Position): number {
  const starts = table.lineStarts;
  if (position.line < 0) return 0;
  if (position.line >= starts.length) return table.text.length;
  const start = starts[position.line]!;
  // The end of the line's content, before its line break.
  let end = starts[position.line + 1] ?? table.text.length;
  while (end > start && (table.text[end - 1] === "\n" || table.text[end - 1] === "\r")) end--;
  return start + Math.max(0, Math.min(position.character, end - start));
}

/** The LSP range of a span. */
export function toRange(table: LineTable, span: Span): Range {
  return { start: toPosition(table, span.start), end: toPosition(table, span.end) };
}
