import type { CancellationToken, Connection, Location } from "vscode-languageserver/node.js";
import type { OpenDocuments } from "./documents.js";
import { occurrences, type Occurrence } from "./occurrences.js";
import type { ParsedDoc } from "./parsed-doc.js";
import { toRange } from "./positions.js";
import type { WorkspaceIndex } from "./workspace-index.js";

// What every feature provider shares: the server's state, a guard that keeps an internal failure
// from crashing the server, and the view of the file a request is about.

/** The server's state, as the providers see it. */
export interface Services {
  connection: Connection;
  documents: OpenDocuments;
  index: WorkspaceIndex;
}

/** Runs `f`, logging an internal failure to the client and returning `fallback` instead of crashing. */
export function guard<R>(connection: Connection, what: string, fallback: R, f: () => R): R {
  try {
    return f();
  } catch (e) {
    connection.console.error(`mssmc lsp: internal error in ${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return fallback;
  }
}

/** A request handler run under `guard`. */
export function guarded<P, R>(connection: Connection, what: string, fallback: R, handler: (params: P, token: CancellationToken) => R) {
  return (params: P, token: CancellationToken): R => guard(connection, what, fallback, () => handler(params, token));
}

/** An open file as a request sees it: parsed, with its project and the names written in it. */
export interface View {
  path: string;
  main: ParsedDoc;
  /** The file and everything it imports; the file first. */
  docs: ParsedDoc[];
  names: Occurrence[];
}

/** The view of an open document, or undefined when the client has not opened it. */
export function viewOf(s: Services, uri: string): View | undefined {
  if (!s.documents.all.get(uri)) return undefined;
  const path = s.documents.toPath(uri);
  const docs = s.index.project(path);
  const main = docs[0];
  return main ? { path, main, docs, names: occurrences(docs) } : undefined;
}

/** Where an occurrence is written, as the client names files. */
export function locationOf(s: Services, o: Occurrence): Location | undefined {
  const doc = s.index.doc(o.file);
  return doc ? { uri: s.documents.toUri(o.file), range: toRange(doc.table, o.span) } : undefined;
}
