// Reading a spec's text, bounded: only a regular file (a FIFO would block forever, /dev/zero
// never ends), of at most MAX_SPEC_BYTES, and an import only when it names a .mssm file, checked
// before anything is read (an `import "/etc/passwd"` must not read the file, let alone show it).

import { readRegularFile } from "../../base/regular-file.js";
import { error, type Diagnostic } from "../../base/source/diagnostic.js";
import type { Span } from "../../base/source/span.js";
import { UserError } from "../../base/user-error.js";

/** Reads a file's text; the editor passes one that sees unsaved buffers. Throws when it cannot. */
export type ReadText = (path: string) => string;

/** The largest spec file read: far above any real model description (the zoo's are under 2 KB, a 10,000-field spec about 250 KB), and small enough that checking one takes seconds. */
export const MAX_SPEC_BYTES = 1024 * 1024;

/** How deep a chain of imports may go (a imports b imports c ...). */
export const MAX_IMPORT_DEPTH = 64;

/** Reads a spec file from disk: a regular file of at most MAX_SPEC_BYTES. */
export const readSpecFile: ReadText = (path) => readRegularFile(path, "spec files", MAX_SPEC_BYTES);

/** Why a read failed, when the reader said (a refused file), else undefined (missing, unreadable). */
function refusal(e: unknown): string | undefined {
  return e instanceof UserError ? e.message : undefined;
}

/** The text of the spec named on the command line (or opened in the editor), or the diagnostic saying why not. */
export function readMainSpec(path: string, readText: ReadText = readSpecFile): { text: string } | { diagnostic: Diagnostic } {
  try {
    return { text: readText(path) };
  } catch (e) {
    const why = refusal(e);
    const at = { start: 0, end: 0 };
    return { diagnostic: why ? error("unreadable-file", `Cannot read '${path}': ${why.replace(`${path}: `, "")}.`, path, at) : error("file-not-found", `Cannot read '${path}'.`, path, at) };
  }
}

/** The text of an imported file (`target`, written as `written` at `span` of `from`), or the diagnostic saying why not. */
export function readImport(target: string, written: string, from: string, span: Span, readText: ReadText): { text: string } | { diagnostic: Diagnostic } {
  if (!target.endsWith(".mssm")) return { diagnostic: error("import-not-mssm", `An import names a .mssm file; '${written}' is not one, so it was not read.`, from, span) };
  try {
    return { text: readText(target) };
  } catch (e) {
    const why = refusal(e);
    if (why) return { diagnostic: error("unreadable-file", `Cannot read the imported file '${written}': ${why.replace(`${target}: `, "")}.`, from, span) };
    return { diagnostic: error("import-not-found", `Cannot read the imported file '${written}' (looked for ${target}).`, from, span) };
  }
}
