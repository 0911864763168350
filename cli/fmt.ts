import { writeFileAtomic } from "../base/atomic-write.js";
import { formatSource } from "../grammar/print.js";
import type { Diagnostic } from "../base/source/diagnostic.js";
import { readMainSpec } from "../compiler/index.js";
import { sourceFile, type SourceFile } from "../base/source/source-file.js";
import { formatText, summary, useColor } from "./report.js";

export interface FmtOptions {
  /** Write nothing; list the files whose text is not formatted. */
  check: boolean;
  /** Print the formatted text instead of writing the files. */
  stdout: boolean;
}

/**
 * `mssmc fmt FILE...`: formats .mssm files in place (or checks, or prints them). A file with
 * syntax errors is reported and left untouched. Returns the exit code: 0 when every file is (now)
 * formatted, 1 when a file has errors or, with --check, is not formatted, 2 on a usage error.
 */
export function runFmt(paths: string[], options: FmtOptions): number {
  const jsonSpecs = paths.filter((p) => p.endsWith(".json"));
  if (jsonSpecs.length) {
    process.stderr.write(`mssmc fmt: '${jsonSpecs[0]}' is a JSON spec; fmt formats .mssm files.\n`);
    return 2;
  }
  const problems: Diagnostic[] = [];
  const files = new Map<string, SourceFile>();
  const unformatted: string[] = [];
  let writeFailed = false;
  for (const path of paths) {
    const read = readMainSpec(path);
    if ("diagnostic" in read) {
      problems.push(read.diagnostic);
      continue;
    }
    const text = read.text;
    files.set(path, sourceFile(path, text));
    const { formatted, diagnostics } = formatSource(text, path);
    problems.push(...diagnostics);
    if (formatted === undefined) continue;
    if (options.stdout) process.stdout.write(formatted);
    else if (formatted !== text) {
      if (options.check) unformatted.push(path);
      else {
        const failure = writeAtomically(path, formatted);
        if (failure) {
          process.stderr.write(`mssmc fmt: cannot write '${path}': ${failure}\n`);
          writeFailed = true;
        }
      }
    }
  }
  if (problems.length) process.stderr.write(formatText(problems, files, useColor(process.stderr)) + "\n\n" + summary(problems) + "\n");
  for (const path of unformatted) process.stdout.write(`${path}\n`);
  return problems.some((d) => d.severity === "error") || unformatted.length || writeFailed ? 1 : 0;
}

/** Writes through base/atomic-write.ts; returns why it failed, if it did. */
function writeAtomically(path: string, text: string): string | undefined {
  try {
    writeFileAtomic(path, text);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
