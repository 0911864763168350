import { basename } from "node:path";
import { loadSpec } from "../../../compiler/load/load.js";
import { lineColumn } from "../../../base/source/source-file.js";

/** A diagnostic as a test asserts it: code, severity, message, where it starts and what it covers. */
export interface Found {
  code: string;
  severity: string;
  message: string;
  /** `line:column` (1-based) of the span's start, prefixed with the file name when not the main file. */
  at: string;
  /** The source text the span covers. */
  text: string;
}

/** A library most snippets import: two fields and two binary tasks. */
export const LIB = `fields {
  age numeric
  job categorical(dim: 4)
}
tasks {
  click binary(label: clicked)
  buy binary(label: bought)
}
`;

const DIR = "/virtual";

/** Loads `main` as /virtual/main.mssm, serving `files` (name -> text; `lib.mssm` is LIB unless given) from memory, and returns every diagnostic. */
export function diagnose(main: string, files: Record<string, string> = {}): Found[] {
  const texts = new Map<string, string>(Object.entries({ "lib.mssm": LIB, ...files, "main.mssm": main }).map(([name, text]) => [`${DIR}/${name}`, text]));
  const result = loadSpec(`${DIR}/main.mssm`, (path) => {
    const text = texts.get(path);
    if (text === undefined) throw new Error(`no file ${path}`);
    return text;
  });
  return result.diagnostics.map((d) => {
    const file = result.files.get(d.file)!;
    const { line, column } = lineColumn(file, d.span.start);
    const name = basename(d.file);
    return { code: d.code, severity: d.severity, message: d.message, at: `${name === "main.mssm" ? "" : `${name}:`}${line}:${column}`, text: file.text.slice(d.span.start, d.span.end) };
  });
}

/** A model over LIB: `body` is placed inside `model m { ... }` starting on line 3, after `import "lib.mssm"`. */
export function model(body: string): string {
  return `import "lib.mssm"\nmodel m {\n${body}\n}\n`;
}
