import type { Document } from "./ast.js";
import { MissingTokenException, parseCst } from "./parser.js";
import { toAst } from "./to-ast.js";
import { error, type Diagnostic } from "../base/source/diagnostic.js";

/** Parses .mssm text into an AST and syntax diagnostics; never throws, whatever the input. */
export function parse(text: string, path: string): { document: Document; diagnostics: Diagnostic[] } {
  const out = parseCst(text);
  const diagnostics: Diagnostic[] = [];
  for (const e of out.lexErrors) {
    const ch = text.slice(e.offset, e.offset + 1);
    diagnostics.push(error("syntax-error", `Unexpected character '${ch}'.`, path, { start: e.offset, end: e.offset + Math.max(1, e.length) }));
  }
  for (const t of out.tokens) {
    if (t.tokenType.name === "NumberLiteral" && !Number.isFinite(Number(t.image))) {
      diagnostics.push(error("syntax-error", `The number ${t.image} is too large: numbers must fit a 64-bit float (at most about 1.8e308).`, path, { start: t.startOffset, end: t.startOffset + t.image.length }));
    }
    if (t.tokenType.name === "UnterminatedString") {
      diagnostics.push(error("unterminated-string", "This string has no closing quote.", path, { start: t.startOffset, end: t.startOffset + t.image.length }));
    }
  }
  for (const e of out.parseErrors) {
    // A token left out is reported where it belongs, right after the token before it; so is one
    // that recovery inserted (a virtual token, NaN offset) and one expected at the end of the file.
    const t = e.token;
    let span = isNaN(t.startOffset) || e instanceof MissingTokenException ? undefined : { start: t.startOffset, end: t.startOffset + (t.image?.length ?? 0) };
    if (!span || t.tokenType.name === "EOF") {
      const previous = (e as { previousToken?: import("chevrotain").IToken }).previousToken;
      const prev = previous && !isNaN(previous.startOffset) ? previous : undefined;
      const at = prev ? prev.startOffset + prev.image.length : text.length;
      span = { start: at, end: at };
    }
    diagnostics.push(error("syntax-error", e.message, path, span));
  }
  return { document: toAst(out.cst, out.comments, text.length), diagnostics };
}
