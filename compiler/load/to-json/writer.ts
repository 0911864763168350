import type * as A from "../../../grammar/ast.js";
import { error, type Diagnostic } from "../../../base/source/diagnostic.js";
import type { Span } from "../../../base/source/span.js";
import { child, type SourceMap } from "../source-map.js";

/** A value of the canonical JSON. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** An object of the canonical JSON. */
export type JsonObject = { [key: string]: Json };

/**
 * Writes canonical JSON from the syntax of one file: every value it converts, and every origin or
 * problem it records, is in `file`.
 */
export interface FileWriter {
  readonly file: string;
  /** Records that the value at `pointer` came from `span` (and its property name from `key`). */
  note(pointer: string, span: Span, key?: Span): void;
  /** Reports a lowering error at `span`. */
  report(code: string, message: string, span: Span): void;
  /** Converts a value: `relu` → "relu", `true` → true, `adam(lr: 1)` → { kind: "adam", lr: 1 }. */
  value(v: A.Value, pointer: string, key?: Span): Json;
  /** `kind(arg, key: value)` → { ...base, kind, key: value }; positional args take the names in `positional`. */
  call(t: A.TypeExpr, pointer: string, positional: string[], base?: JsonObject): JsonObject;
}

/** A writer for `file` that records origins in `map` and problems in `diagnostics`. */
export function fileWriter(file: string, map: SourceMap, diagnostics: Diagnostic[]): FileWriter {
  const note = (pointer: string, span: Span, key?: Span) => map.set(pointer, key ? { file, span, key } : { file, span });
  const report = (code: string, message: string, span: Span) => diagnostics.push(error(code, message, file, span));

  const value = (v: A.Value, pointer: string, key?: Span): Json => {
    note(pointer, v.span, key);
    switch (v.kind) {
      case "number": return v.value;
      case "string": return v.value;
      case "list": return v.items.map((item, i) => value(item, child(pointer, i)));
      // `0.7 * click.auc + buy.auc` → [{ task: "click", metric: "auc", weight: 0.7 }, { task: "buy", metric: "auc" }]
      case "metric-sum":
        return v.terms.map((t, i) => {
          const at = child(pointer, i);
          note(at, t.span);
          note(child(at, "task"), t.task.span);
          const term: { [key: string]: Json } = { task: t.task.text, metric: t.metric?.text ?? "" };
          if (t.metric) note(child(at, "metric"), t.metric.span);
          if (t.weight) {
            note(child(at, "weight"), t.weight.span);
            term["weight"] = t.weight.value;
          }
          return term;
        });
      case "type": {
        if (!v.args) {
          if (v.name.text === "true") return true;
          if (v.name.text === "false") return false;
          return v.name.text;
        }
        return call(v, pointer, []);
      }
    }
  };

  const call = (t: A.TypeExpr, pointer: string, positional: string[], base: JsonObject = {}): JsonObject => {
    const out: JsonObject = { ...base, kind: t.name.text };
    note(child(pointer, "kind"), t.name.span);
    let next = 0;
    for (const arg of t.args ?? []) {
      if (!arg.value) continue;
      let key = arg.key?.text;
      if (key === undefined) {
        key = positional[next++];
        if (key === undefined) {
          report("unexpected-argument", `'${t.name.text}' takes no positional argument here; write it as 'name: value'.`, arg.span);
          continue;
        }
      }
      if (key in out && key !== "kind") {
        report("duplicate-option", `The option '${key}' is given twice.`, arg.key?.span ?? arg.span);
        continue;
      }
      out[key] = value(arg.value, child(pointer, key), arg.key?.span);
    }
    return out;
  };

  return { file, note, report, value, call };
}
