import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Readable, Writable } from "node:stream";
import {
  createConnection,
  DiagnosticSeverity,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type Location,
  type TextEdit,
} from "vscode-languageserver/node.js";
import { TextDocument } from "vscode-languageserver-textdocument";
import { keywords } from "../../grammar/tokens.js";
import { formatSource, quoteString } from "../../grammar/print.js";
import type { Diagnostic } from "../../base/source/diagnostic.js";
import { lineColumn } from "../../base/source/source-file.js";
import { loadSpec, topology, type LoadResult, type Stage } from "../../compiler/index.js";
import { completeAt } from "./completion.js";
import { hoverAt } from "./hover.js";
import { outline } from "./outline.js";
import { toOffset, toRange } from "./positions.js";
import { declarationsOf, importTarget, occurrenceAt, occurrences, parseCached, project, referencesOf, type Occurrence, type ParsedDoc } from "./project.js";

// The .mssm language server. Diagnostics run the whole pipeline (parse, imports, schema, check
// rules) through loadSpec with a reader that serves open buffers before the disk. Checking is
// debounced per document and a result is published only if its document has not changed since,
// so a burst of keystrokes costs one check; checks of several documents run one per macrotask,
// so requests in between are answered without waiting for all of them.

/** Milliseconds a document must be quiet before it is checked. */
export const DEBOUNCE_MS = 15;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*$/;
const KEYWORDS = new Set(keywords.map((k) => String(k.PATTERN).replace(/\//g, "")));

/** A document's last check, valid for one version of its text. */
interface Checked {
  version: number;
  load: LoadResult;
  stages: Stage[] | undefined;
}

/** Serves the language server protocol on the given streams until the client says exit. */
export function startLanguageServer(input: Readable, output: Writable): Connection {
  const connection = createConnection(new StreamMessageReader(input), new StreamMessageWriter(output));
  const documents = new TextDocuments(TextDocument);
  const checked = new Map<string, Checked>();
  const timers = new Map<string, NodeJS.Timeout>();

  const toPath = (uri: string): string => (uri.startsWith("file:") ? fileURLToPath(uri) : uri);
  const uriOf = new Map<string, string>();
  const toUri = (path: string): string => uriOf.get(path) ?? (path.includes(":") && !path.startsWith("/") && !/^[A-Za-z]:/.test(path) ? path : pathToFileURL(path).href);
  const openText = (path: string): string | undefined => {
    const uri = uriOf.get(path);
    return uri ? documents.get(uri)?.getText() : undefined;
  };
  const read = (path: string): string | undefined => {
    const open = openText(path);
    if (open !== undefined) return open;
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  };
  const readOrThrow = (path: string): string => {
    const text = read(path);
    if (text === undefined) throw new Error(`cannot read ${path}`);
    return text;
  };

  /** Runs a handler, reporting an internal failure to the client's log instead of crashing. */
  const guard = <T>(what: string, fallback: T, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      connection.console.error(`mssmc lsp: internal error in ${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return fallback;
    }
  };

  /** The check of a document's current text, computed now if the last one is stale. */
  const check = (uri: string): Checked | undefined => {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    const hit = checked.get(uri);
    if (hit && hit.version === doc.version) return hit;
    const load = loadSpec(toPath(uri), readOrThrow);
    const result = { version: doc.version, load, stages: load.spec ? topology(load.spec) : undefined };
    checked.set(uri, result);
    return result;
  };

  const publish = (uri: string) =>
    guard("diagnostics", undefined, () => {
      const doc = documents.get(uri);
      if (!doc) return;
      const result = check(uri);
      if (!result) return;
      void connection.sendDiagnostics({ uri, version: result.version, diagnostics: toLspDiagnostics(toPath(uri), result.load) });
      recheckDependents(uri);
    });

  /** Open files that import this one must see its new text (or, once closed, its text on disk). */
  const recheckDependents = (uri: string) => {
    const path = toPath(uri);
    for (const [other, c] of [...checked]) {
      if (other === uri || !c.load.files.has(path)) continue;
      checked.delete(other);
      schedule(other);
    }
  };

  const schedule = (uri: string) => {
    clearTimeout(timers.get(uri));
    timers.set(
      uri,
      setTimeout(() => {
        timers.delete(uri);
        publish(uri);
      }, DEBOUNCE_MS),
    );
  };

  /** LSP diagnostics for a file; problems inside imported files are shown at the import. */
  const toLspDiagnostics = (path: string, load: LoadResult): LspDiagnostic[] => {
    const main = load.files.get(path);
    if (!main) return [];
    return load.diagnostics.map((d: Diagnostic) => {
      const related = (d.related ?? []).flatMap((r) => {
        const f = load.files.get(r.file);
        return f ? [{ location: { uri: toUri(r.file), range: toRange(f, r.span) }, message: r.message }] : [];
      });
      const severity = d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;
      if (d.file === path) return { range: toRange(main, d.span), severity, code: d.code, source: "mssmc", message: d.message, ...(related.length ? { relatedInformation: related } : {}) };
      const f = load.files.get(d.file);
      const at = f ? lineColumn(f, d.span.start) : { line: 1, column: 1 };
      const via = importLeadingTo(parseCached(path, main.text), d.file);
      return {
        range: toRange(main, via ?? { start: 0, end: 0 }),
        severity,
        code: d.code,
        source: "mssmc",
        message: `In ${relative(dirname(path), d.file)}:${at.line}:${at.column}: ${d.message}`,
        relatedInformation: [...(f ? [{ location: { uri: toUri(d.file), range: toRange(f, d.span) }, message: d.message }] : []), ...related],
      };
    });
  };

  /** The span of the import in `doc` through which `file` is reached. */
  const importLeadingTo = (doc: ParsedDoc, file: string) => {
    for (const item of doc.document.items) {
      const target = item.kind === "import" ? importTarget(doc.path, item) : undefined;
      if (item.kind === "import" && target && project(target, read).some((d) => d.path === file)) return item.span;
    }
    return undefined;
  };

  /** The parsed file behind a request, its project, and the names in it. */
  const view = (uri: string) => {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    const path = toPath(uri);
    const docs = project(path, read);
    const main = docs[0];
    return main ? { path, main, docs, names: occurrences(docs) } : undefined;
  };

  /**
   * Every occurrence of the name under the cursor. Fields and tasks are declared once and used by
   * every file importing their declaration, so those files (open or beside either file) count;
   * a group that is no task's is local to its model.
   */
  const referenceSet = (uri: string, offset: number): { target: Occurrence; all: Occurrence[]; docs: Map<string, ParsedDoc> } | undefined => {
    const v = view(uri);
    const target = v && occurrenceAt(v.names, v.path, offset);
    if (!v || !target) return undefined;
    const docs = new Map(v.docs.map((d) => [d.path, d]));
    const home = declarationsOf(v.names, target).find((d) => d.role === "task" || d.role === "field")?.file;
    if (!home) return { target, all: referencesOf(v.names, target), docs };
    const candidates = new Set<string>([v.path, ...[...uriOf.keys()]]);
    for (const dir of new Set([dirname(v.path), dirname(home)])) {
      try {
        for (const f of readdirSync(dir)) if (f.endsWith(".mssm")) candidates.add(join(dir, f));
      } catch {
        // An unreadable folder only narrows the search.
      }
    }
    const found = new Map<string, Occurrence>();
    for (const file of [...candidates].sort()) {
      const ds = project(file, read);
      if (!ds.some((d) => d.path === home)) continue;
      for (const d of ds) docs.set(d.path, d);
      for (const o of referencesOf(occurrences(ds), target)) found.set(`${o.file}\u0000${o.span.start}`, o);
    }
    return { target, all: [...found.values()], docs };
  };

  const location = (o: Occurrence, docs: Map<string, ParsedDoc>): Location | undefined => {
    const d = docs.get(o.file);
    return d ? { uri: toUri(o.file), range: toRange(d.table, o.span) } : undefined;
  };

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      completionProvider: { triggerCharacters: [":", "(", ","] },
      definitionProvider: true,
      referencesProvider: true,
      documentSymbolProvider: true,
      renameProvider: { prepareProvider: true },
      documentFormattingProvider: true,
    },
    serverInfo: { name: "mssmc" },
  }));

  documents.onDidOpen((e) => uriOf.set(toPath(e.document.uri), e.document.uri));
  documents.onDidChangeContent((e) => {
    uriOf.set(toPath(e.document.uri), e.document.uri);
    schedule(e.document.uri);
  });
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    timers.delete(e.document.uri);
    checked.delete(e.document.uri);
    uriOf.delete(toPath(e.document.uri));
    recheckDependents(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onHover((p, token) =>
    guard("hover", null, () => {
      const v = view(p.textDocument.uri);
      if (!v || token.isCancellationRequested) return null;
      const c = check(p.textDocument.uri);
      const offset = toOffset(v.main.table, p.position);
      const h = hoverAt({ doc: v.main, docs: v.docs, occurrences: v.names, spec: c?.load.spec, stages: c?.stages }, offset);
      return h ? { contents: { kind: "markdown", value: h.markdown }, range: toRange(v.main.table, h.span) } : null;
    }),
  );

  connection.onCompletion((p) =>
    guard("completion", [], () => {
      const v = view(p.textDocument.uri);
      return v ? completeAt(v.main.text, toOffset(v.main.table, p.position), v.names) : [];
    }),
  );

  connection.onDefinition((p) =>
    guard("definition", [], () => {
      const v = view(p.textDocument.uri);
      const target = v && occurrenceAt(v.names, v.path, toOffset(v.main.table, p.position));
      if (!v || !target) return [];
      const docs = new Map(v.docs.map((d) => [d.path, d]));
      return declarationsOf(v.names, target).flatMap((o) => location(o, docs) ?? []);
    }),
  );

  connection.onReferences((p) =>
    guard("references", [], () => {
      const v = view(p.textDocument.uri);
      const set = v && referenceSet(p.textDocument.uri, toOffset(v.main.table, p.position));
      if (!set) return [];
      return set.all.filter((o) => p.context.includeDeclaration || !o.declaration).flatMap((o) => location(o, set.docs) ?? []);
    }),
  );

  connection.onDocumentSymbol((p) =>
    guard("outline", [], () => {
      const v = view(p.textDocument.uri);
      return v ? outline(v.main.document, v.main.table) : [];
    }),
  );

  connection.onPrepareRename((p) =>
    guard("rename", null, () => {
      const v = view(p.textDocument.uri);
      const target = v && occurrenceAt(v.names, v.path, toOffset(v.main.table, p.position));
      return v && target ? { range: toRange(v.main.table, target.span), placeholder: target.name } : null;
    }),
  );

  connection.onRenameRequest((p) =>
    guard("rename", null, () => {
      const v = view(p.textDocument.uri);
      const set = v && referenceSet(p.textDocument.uri, toOffset(v.main.table, p.position));
      if (!set || p.newName === "") return null;
      // A keyword is a legal name, but quoting it keeps `tower` or `none` from reading as syntax.
      const text = IDENTIFIER.test(p.newName) && !KEYWORDS.has(p.newName) ? p.newName : quoteString(p.newName);
      const changes: Record<string, TextEdit[]> = {};
      for (const o of set.all) {
        const loc = location(o, set.docs);
        if (loc) (changes[loc.uri] ??= []).push({ range: loc.range, newText: text });
      }
      return { changes };
    }),
  );

  connection.onDocumentFormatting((p) =>
    guard("formatting", [], () => {
      const doc = documents.get(p.textDocument.uri);
      if (!doc) return [];
      const text = doc.getText();
      const { formatted } = formatSource(text, toPath(p.textDocument.uri));
      if (formatted === undefined || formatted === text) return [];
      const table = parseCached(toPath(p.textDocument.uri), text).table;
      return [{ range: toRange(table, { start: 0, end: text.length }), newText: formatted }];
    }),
  );

  documents.listen(connection);
  connection.listen();
  return connection;
}
