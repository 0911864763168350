import { dirname, relative } from "node:path";
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from "vscode-languageserver/node.js";
import type { Diagnostic } from "../../base/source/diagnostic.js";
import { lineColumn } from "../../base/source/source-file.js";
import { loadSpec, topology, type LoadResult, type Stage } from "../../compiler/index.js";
import { importTarget, type ParsedDoc } from "./parsed-doc.js";
import { toRange } from "./positions.js";
import { guard, type Services } from "./request.js";

// Diagnostics run the whole pipeline (parse, imports, schema, check rules) through loadSpec, which
// reads files through the workspace index (open buffers before the disk). Checking is debounced
// per document and a result is published only if its document has not changed since, so a burst
// of keystrokes costs one check; checks of several documents run one per macrotask, so requests
// in between are answered without waiting for all of them.

/** Milliseconds a document must be quiet before it is checked. */
export const DEBOUNCE_MS = 15;

/** A document's last check, valid for one version of its text. */
export interface Checked {
  version: number;
  load: LoadResult;
  stages: Stage[] | undefined;
}

/** The most diagnostics published for one document. */
export const MAX_PUBLISHED = 200;

/** Checks open documents and publishes their diagnostics. */
export class Checker {
  private readonly checked = new Map<string, Checked>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** A checker that reads through the server's index and publishes through its connection. */
  constructor(private readonly s: Services) {}

  /** The check of an open document's current text, computed now if the last one is stale. */
  current(uri: string): Checked | undefined {
    const doc = this.s.documents.all.get(uri);
    if (!doc) return undefined;
    const hit = this.checked.get(uri);
    if (hit && hit.version === doc.version) return hit;
    const load = loadSpec(this.s.documents.toPath(uri), (path) => {
      const text = this.s.index.read(path);
      if (text === undefined) throw new Error(`cannot read ${path}`);
      return text;
    });
    const result = { version: doc.version, load, stages: load.spec ? topology(load.spec) : undefined };
    this.checked.set(uri, result);
    return result;
  }

  /** Checks a document once it has been quiet for DEBOUNCE_MS, then publishes its diagnostics. */
  schedule(uri: string): void {
    clearTimeout(this.timers.get(uri));
    const publish = () => {
      this.timers.delete(uri);
      this.publish(uri);
    };
    this.timers.set(uri, setTimeout(publish, DEBOUNCE_MS));
  }

  /** Forgets a closed document and clears its diagnostics. */
  close(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.checked.delete(uri);
    this.recheckDependents(this.s.documents.toPath(uri));
    void this.s.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  /** Checks again the open documents that read a file whose text changed (or that was closed). */
  recheckDependents(path: string): void {
    for (const [other, c] of [...this.checked]) {
      if (this.s.documents.toPath(other) === path || !c.load.files.has(path)) continue;
      this.checked.delete(other);
      this.schedule(other);
    }
  }

  private publish(uri: string): void {
    guard(this.s.connection, "diagnostics", undefined, () => {
      const result = this.current(uri);
      if (!result) return;
      const path = this.s.documents.toPath(uri);
      void this.s.connection.sendDiagnostics({ uri, version: result.version, diagnostics: toLspDiagnostics(this.s, path, result.load) });
      this.recheckDependents(path);
    });
  }
}

/** LSP diagnostics for a file; problems inside imported files are shown at the import. */
function toLspDiagnostics(s: Services, path: string, load: LoadResult): LspDiagnostic[] {
  const main = load.files.get(path);
  if (!main) return [];
  // A file of garbage yields tens of thousands; an editor needs the first ones.
  return load.diagnostics.slice(0, MAX_PUBLISHED).map((d: Diagnostic) => {
    const related = (d.related ?? []).flatMap((r) => {
      const f = load.files.get(r.file);
      return f ? [{ location: { uri: s.documents.toUri(r.file), range: toRange(f, r.span) }, message: r.message }] : [];
    });
    const severity = d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;
    if (d.file === path) return { range: toRange(main, d.span), severity, code: d.code, source: "mssmc", message: d.message, ...(related.length ? { relatedInformation: related } : {}) };
    const f = load.files.get(d.file);
    const at = f ? lineColumn(f, d.span.start) : { line: 1, column: 1 };
    const doc = s.index.doc(path);
    const via = doc && importLeadingTo(s, doc, d.file);
    return {
      range: toRange(main, via ?? { start: 0, end: 0 }),
      severity,
      code: d.code,
      source: "mssmc",
      message: `In ${relative(dirname(path), d.file)}:${at.line}:${at.column}: ${d.message}`,
      relatedInformation: [...(f ? [{ location: { uri: s.documents.toUri(d.file), range: toRange(f, d.span) }, message: d.message }] : []), ...related],
    };
  });
}

/** The span of the import in `doc` through which `file` is reached. */
function importLeadingTo(s: Services, doc: ParsedDoc, file: string) {
  for (const item of doc.document.items) {
    const target = item.kind === "import" ? importTarget(doc.path, item) : undefined;
    if (target && s.index.project(target).some((d) => d.path === file)) return item.span;
  }
  return undefined;
}
