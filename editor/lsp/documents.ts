import { fileURLToPath, pathToFileURL } from "node:url";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { TextDocuments } from "vscode-languageserver/node.js";
import type { OpenBuffers } from "./workspace-index.js";

// The documents the client has open, reachable by path as the compiler and the index name files,
// and by URI as the client does. A URI that is no file (an untitled buffer) serves as its own path.

/** The open documents, by path and by URI. */
export interface OpenDocuments extends OpenBuffers {
  /** The client's documents, by URI. */
  all: TextDocuments<TextDocument>;
  /** The path of a URI. */
  toPath(uri: string): string;
  /** The URI of a path: the one the client opened it under, else its file URI. */
  toUri(path: string): string;
}

/** Tracks the paths of the client's documents; register it before anything else listens to them. */
export function openDocuments(all: TextDocuments<TextDocument>): OpenDocuments {
  const uriOf = new Map<string, string>();
  const toPath = (uri: string): string => (uri.startsWith("file:") ? fileURLToPath(uri) : uri);
  const isUri = (path: string) => path.includes(":") && !path.startsWith("/") && !/^[A-Za-z]:/.test(path);
  all.onDidOpen((e) => uriOf.set(toPath(e.document.uri), e.document.uri));
  all.onDidChangeContent((e) => uriOf.set(toPath(e.document.uri), e.document.uri));
  all.onDidClose((e) => uriOf.delete(toPath(e.document.uri)));
  return {
    all,
    toPath,
    toUri: (path) => uriOf.get(path) ?? (isUri(path) ? path : pathToFileURL(path).href),
    text: (path) => {
      const uri = uriOf.get(path);
      return uri ? all.get(uri)?.getText() : undefined;
    },
    paths: () => uriOf.keys(),
  };
}
