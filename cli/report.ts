import type { Diagnostic } from "../base/source/diagnostic.js";
import { renderDiagnostic } from "../base/source/render.js";
import { lineColumn, type SourceFile } from "../base/source/source-file.js";

/** Whether to color output for a stream: a TTY, and NO_COLOR unset. */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return !!stream.isTTY && !process.env["NO_COLOR"];
}

/** Diagnostics as the text a user reads: one block per diagnostic, then a count. */
export function formatText(diagnostics: Diagnostic[], files: Map<string, SourceFile>, color: boolean): string {
  const shown = diagnostics.slice(0, MAX_SHOWN).map((d) => renderDiagnostic(d, files.get(d.file), { color }));
  if (diagnostics.length > MAX_SHOWN) shown.push(`... and ${diagnostics.length - MAX_SHOWN} more (--format json lists them all)`);
  return shown.join("\n\n");
}

/** How many diagnostics the text output shows: a file of garbage yields thousands, and the first ones are the useful ones. */
export const MAX_SHOWN = 50;

/** A diagnostic with 1-based line and column, for `--format json`. */
export interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: string;
  code: string;
  message: string;
  related?: { file: string; line: number; column: number; message: string }[];
}

/** Adds line and column to diagnostics for tools. */
export function toJsonDiagnostics(diagnostics: Diagnostic[], files: Map<string, SourceFile>): JsonDiagnostic[] {
  return diagnostics.map((d) => {
    const f = files.get(d.file);
    const s = f ? lineColumn(f, d.span.start) : { line: 1, column: 1 };
    const e = f ? lineColumn(f, d.span.end) : { line: 1, column: 1 };
    const out: JsonDiagnostic = { file: d.file, line: s.line, column: s.column, endLine: e.line, endColumn: e.column, severity: d.severity, code: d.code, message: d.message };
    if (d.related) {
      out.related = d.related.map((r) => {
        const rf = files.get(r.file);
        const at = rf ? lineColumn(rf, r.span.start) : { line: 1, column: 1 };
        return { file: r.file, line: at.line, column: at.column, message: r.message };
      });
    }
    return out;
  });
}

/** "2 errors, 1 warning" */
export function summary(diagnostics: Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}
