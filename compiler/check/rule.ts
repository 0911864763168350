import type { Diagnostic, RelatedSpan, Severity } from "../../base/source/diagnostic.js";
import type { Span } from "../../base/source/span.js";
import type { SourceMap } from "../load/source-map.js";
import type { Stage } from "../load/topology.js";
import type { Spec } from "../load/types.js";
import type { WrittenNames } from "../load/written-names.js";

/** What a rule sees: the normalized spec, where its values came from, and its wiring. */
export interface RuleContext {
  spec: Spec;
  map: SourceMap;
  stages: Stage[];
  /**
   * Reports a problem at the source of the value at `pointer` (nearest recorded ancestor);
   * `onKey` narrows it to the property's name when the source has one.
   */
  report(severity: Severity, message: string, pointer: string, options?: { onKey?: boolean; related?: { pointer: string; message: string }[] }): void;
}

/** What a rule sees of a model's text before the schema: the names its canonical JSON cannot carry. */
export interface WrittenContext {
  written: WrittenNames;
  /** Reports a problem at `span` in the model's file. */
  report(severity: Severity, message: string, span: Span): void;
}

/**
 * A check rule: one stable kebab-case code, one concern; every diagnostic with its code comes
 * from it.
 */
export interface Rule {
  code: string;
  /** One sentence for the reference manual. */
  description: string;
  /** Whether it also runs on files that only declare fields and tasks (no model). */
  appliesToLibraries?: boolean;
  check(context: RuleContext): void;
  /**
   * Checks names the model's text writes that its canonical JSON cannot carry; runs with the
   * lowering, so its errors stop loading before the schema as the lowering's own do.
   */
  checkWritten?(context: WrittenContext): void;
}

/** Runs the rules' `checkWritten` over the names a model's text writes and returns their diagnostics. */
export function runWrittenRules(rules: readonly Rule[], written: WrittenNames): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of rules) {
    rule.checkWritten?.({ written, report: (severity, message, span) => out.push({ code: rule.code, severity, message, file: written.file, span }) });
  }
  return out;
}

/** Runs rules over a normalized spec and returns their diagnostics. */
export function runRules(rules: readonly Rule[], spec: Spec, map: SourceMap, stages: Stage[], fallbackFile: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  // One value written once but expanded to several places (`experts:` for every group, the
  // default `tower:`) is reported once when a rule finds the same problem in each copy.
  const seen = new Set<string>();
  for (const rule of rules) {
    const context: RuleContext = {
      spec,
      map,
      stages,
      report(severity, message, pointer, options = {}) {
        const o = map.locate(pointer);
        const span = o ? (options.onKey && o.key ? o.key : o.span) : { start: 0, end: 0 };
        const related: RelatedSpan[] = (options.related ?? []).flatMap((r) => {
          const ro = map.locate(r.pointer);
          return ro ? [{ file: ro.file, span: ro.span, message: r.message }] : [];
        });
        const d: Diagnostic = { code: rule.code, severity, message, file: o?.file ?? fallbackFile, span };
        if (related.length) d.related = related;
        const key = JSON.stringify([d.code, d.severity, d.message, d.file, d.span.start, d.span.end]);
        if (seen.has(key)) return;
        seen.add(key);
        out.push(d);
      },
    };
    rule.check(context);
  }
  return out;
}
