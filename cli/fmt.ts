import { chmodSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { formatSource } from "../grammar/print.js";
import { error, type Diagnostic } from "../compiler/source/diagnostic.js";
import { sourceFile, type SourceFile } from "../compiler/source/source-file.js";
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
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      problems.push(error("file-not-found", `Cannot read '${path}'.`, path, { start: 0, end: 0 }));
      continue;
    }
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

/**
 * Replaces a file's contents through a temporary file in the same folder and a rename, so a
 * crash leaves either the old text or the new one, never a truncated file. A symbolic link is
 * followed, so the link stays a link; the file's permissions are kept. Returns why it failed.
 */
function writeAtomically(path: string, text: string): string | undefined {
  let temp: string | undefined;
  try {
    const target = realpathSync(path);
    temp = join(dirname(target), `.${basename(target)}.${process.pid}.fmt.tmp`);
    writeFileSync(temp, text, { flush: true });
    chmodSync(temp, statSync(target).mode & 0o7777);
    renameSync(temp, target);
    return undefined;
  } catch (e) {
    if (temp) {
      try {
        unlinkSync(temp);
      } catch {
        // The temporary file was never created.
      }
    }
    return e instanceof Error ? e.message : String(e);
  }
}
