import type { Span } from "./span.js";

export type Severity = "error" | "warning";

/** Another place a diagnostic points at (the first declaration of a duplicate, say). */
export interface RelatedSpan {
  file: string;
  span: Span;
  message: string;
}

/** A problem in a spec, as data: a stable code, a full-sentence message and where it is. */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  /** Path of the file the span refers to. */
  file: string;
  span: Span;
  related?: RelatedSpan[];
}

/** Builds an error diagnostic. */
export function error(code: string, message: string, file: string, span: Span, related?: RelatedSpan[]): Diagnostic {
  return related ? { code, severity: "error", message, file, span, related } : { code, severity: "error", message, file, span };
}

/** Builds a warning diagnostic. */
export function warning(code: string, message: string, file: string, span: Span, related?: RelatedSpan[]): Diagnostic {
  return related ? { code, severity: "warning", message, file, span, related } : { code, severity: "warning", message, file, span };
}

/** True when any diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Orders diagnostics by file, then position, then code, so output is stable. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.span.start - b.span.start ||
      a.span.end - b.span.end ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

/** Raised for a broken internal assumption: a bug in mssmc, never a user mistake. */
export class InvariantError extends Error {
  override name = "InvariantError";
}

/** Fails with an internal error when a condition that must hold does not. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
