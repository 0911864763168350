import { loadSpec } from "../compiler/index.js";
import type { Diagnostic } from "../base/source/diagnostic.js";
import type { SourceFile } from "../base/source/source-file.js";
import { formatText, summary, toJsonDiagnostics, useColor } from "./report.js";

export interface CheckOptions {
  format: "text" | "json";
}

/** `mssmc check FILE...`: prints diagnostics; returns the exit code (0 clean, 1 errors). */
export function runCheck(paths: string[], options: CheckOptions): number {
  const all: Diagnostic[] = [];
  const files = new Map<string, SourceFile>();
  for (const path of paths) {
    const result = loadSpec(path);
    all.push(...result.diagnostics);
    for (const [p, f] of result.files) files.set(p, f);
  }
  // A file imported by two checked specs reports its problems once.
  const seen = new Set<string>();
  const unique = all.filter((d) => {
    const key = `${d.file}:${d.span.start}:${d.span.end}:${d.code}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (options.format === "json") {
    process.stdout.write(JSON.stringify(toJsonDiagnostics(unique, files), null, 2) + "\n");
  } else if (unique.length > 0) {
    process.stderr.write(formatText(unique, files, useColor(process.stderr)) + "\n\n" + summary(unique) + "\n");
  }
  return unique.some((d) => d.severity === "error") ? 1 : 0;
}
