import type { Document } from "../../grammar/ast.js";
import { runWrittenRules } from "../../compiler/check/rule.js";
import { rules } from "../../compiler/check/rules/index.js";
import { toJson } from "../../compiler/load/to-json.js";

// Helpers for formatter tests: what must survive formatting. Spans move, string escapes and name
// quotes are re-chosen by the printer, so they are dropped; everything else must be equal, and
// the canonical JSON (which sees the one quote that matters, `"tower"` in towers) as well.

/** The AST without spans, string source text and name quoting. */
export function stripped(document: Document): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      if (k === "span" || (k === "raw" && o["kind"] === "string") || (k === "quoted" && o["kind"] === "name")) continue;
      if (k === "comments") continue;
      out[k] = strip(x);
    }
    return out;
  };
  return strip(document);
}

/** The canonical JSON and the lowering messages of a document (the rules' on the names it writes too), as a model file with no imports. */
export function lowered(document: Document): unknown {
  const r = toJson({ path: "m.mssm", document }, []);
  const diagnostics = [...r.diagnostics, ...runWrittenRules(rules, r.written)];
  return { json: r.json, messages: diagnostics.map((d) => `${d.code}: ${d.message}`), library: r.library };
}

/** Comment texts in order, line comments without trailing blanks, as the formatter prints them. */
export function commentTexts(document: Document): string[] {
  return document.comments.map((c) => (c.text.startsWith("//") ? c.text.trimEnd() : c.text));
}
