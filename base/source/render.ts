import type { Diagnostic } from "./diagnostic.js";
import { lineColumn, lineText, type SourceFile } from "./source-file.js";

/** Options for rendering diagnostics for a terminal. */
export interface RenderOptions {
  color?: boolean;
}

const paint = (on: boolean, code: string, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

/** `file:line:col: error[code]: message` followed by a code frame with a caret under the span. */
export function renderDiagnostic(d: Diagnostic, file: SourceFile | undefined, options: RenderOptions = {}): string {
  const color = options.color ?? false;
  const sev = d.severity === "error" ? paint(color, "1;31", "error") : paint(color, "1;33", "warning");
  if (!file) return `${d.file}: ${sev}[${d.code}]: ${d.message}`;
  const start = lineColumn(file, d.span.start);
  const lines = [`${d.file}:${start.line}:${start.column}: ${sev}[${d.code}]: ${paint(color, "1", d.message)}`];
  lines.push(...codeFrame(file, d.span.start, d.span.end, color));
  for (const r of d.related ?? []) {
    if (r.file !== file.path) {
      lines.push(`  note: ${r.message} (${r.file})`);
      continue;
    }
    const at = lineColumn(file, r.span.start);
    lines.push(`  note: ${r.message} (${r.file}:${at.line}:${at.column})`);
  }
  return lines.join("\n");
}

/** The most characters of a line a code frame shows: a minified or generated line can be megabytes. */
export const FRAME_COLUMNS = 120;

/** The lines of a code frame: the offending line with its number, and carets under the span. */
export function codeFrame(file: SourceFile, startOffset: number, endOffset: number, color = false): string[] {
  const start = lineColumn(file, startOffset);
  const end = lineColumn(file, Math.max(startOffset, endOffset));
  const whole = lineText(file, start.line);
  const gutter = String(start.line);
  const pad = " ".repeat(gutter.length);
  // Only the first line of a multi-line span is underlined; that is where the eye goes.
  const lastColumn = end.line === start.line ? end.column : whole.length + 1;
  // A long line is shown as a window of FRAME_COLUMNS characters that starts a little before the span.
  const from = whole.length <= FRAME_COLUMNS ? 0 : Math.max(0, Math.min(start.column - 1 - 20, whole.length - FRAME_COLUMNS));
  const to = Math.min(whole.length, from + FRAME_COLUMNS);
  const text = (from > 0 ? "…" : "") + whole.slice(from, to) + (to < whole.length ? "…" : "");
  const width = Math.max(1, Math.min(lastColumn, to + 1) - start.column);
  const prefix = (from > 0 ? " " : "") + whole.slice(from, start.column - 1).replace(/[^\t]/g, " ");
  return [
    `${pad} |`,
    `${gutter} | ${text.replace(/\t/g, "\t")}`,
    `${pad} | ${prefix}${paint(color, "1;31", "^".repeat(width))}`,
  ];
}
