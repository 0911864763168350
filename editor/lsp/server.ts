import type { Readable, Writable } from "node:stream";
import {
  createConnection,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeParams,
  type ServerCapabilities,
} from "vscode-languageserver/node.js";
import { TextDocument } from "vscode-languageserver-textdocument";
import { registerCompletion } from "./completion.js";
import { registerDefinition } from "./definition.js";
import { Checker } from "./diagnostics.js";
import { openDocuments } from "./documents.js";
import { registerFormatting } from "./formatting.js";
import { validFrames } from "./framing.js";
import { registerHover } from "./hover.js";
import { registerOutline } from "./outline.js";
import { registerReferences } from "./references.js";
import { registerRename } from "./rename.js";
import { guard, type Services } from "./request.js";
import { WorkspaceIndex } from "./workspace-index.js";

// The .mssm language server: it wires the connection, the open documents, the workspace index and
// the checker together, and hands each request to the provider of its feature.

const CAPABILITIES: ServerCapabilities = {
  textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: true },
  hoverProvider: true,
  // "." and "+" also start a monitor's metric and next term (`monitor: click.auc + buy.auc`).
  completionProvider: { triggerCharacters: [":", "(", ",", ".", "+"] },
  definitionProvider: true,
  referencesProvider: true,
  documentSymbolProvider: true,
  renameProvider: { prepareProvider: true },
  documentFormattingProvider: true,
};

/** Serves the language server protocol on the given streams until the client says exit. */
export function startLanguageServer(input: Readable, output: Writable): Connection {
  const framed = input.pipe(validFrames((reason) => process.stderr.write(`mssmc lsp: dropped ${reason}\n`)));
  const connection = createConnection(new StreamMessageReader(framed), new StreamMessageWriter(output));
  const documents = openDocuments(new TextDocuments(TextDocument));
  const s: Services = { connection, documents, index: new WorkspaceIndex(documents) };
  const checker = new Checker(s);
  let init: InitializeParams | undefined;
  connection.onInitialize((params) => {
    init = params;
    return { capabilities: CAPABILITIES, serverInfo: { name: "mssmc" } };
  });
  connection.onInitialized(() => guard(connection, "indexing the workspace", undefined, () => indexWorkspace(s, init)));
  followFiles(s, checker);
  registerHover(s, checker);
  registerCompletion(s);
  registerDefinition(s);
  registerReferences(s);
  registerRename(s);
  registerOutline(s);
  registerFormatting(s);
  documents.all.listen(connection);
  connection.listen();
  return connection;
}

/** Indexes the workspace folders, and asks a client that can for events about their .mssm files. */
function indexWorkspace(s: Services, init: InitializeParams | undefined): void {
  const folders = init?.workspaceFolders?.map((f) => f.uri) ?? (init?.rootUri ? [init.rootUri] : []);
  for (const uri of folders) s.index.addRoot(s.documents.toPath(uri));
  if (init?.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration) {
    void s.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: "**/*.mssm" }] });
  }
}

/** Keeps the index and the diagnostics current as documents open, change, save and close, and as files change on disk. */
function followFiles(s: Services, checker: Checker): void {
  const { connection, documents, index } = s;
  const path = (uri: string) => documents.toPath(uri);
  documents.all.onDidOpen((e) => guard(connection, "indexing", undefined, () => index.opened(path(e.document.uri))));
  documents.all.onDidChangeContent((e) => checker.schedule(e.document.uri));
  documents.all.onDidSave((e) => guard(connection, "indexing", undefined, () => index.refresh(path(e.document.uri))));
  documents.all.onDidClose((e) =>
    guard(connection, "indexing", undefined, () => {
      index.closed(path(e.document.uri));
      checker.close(e.document.uri);
    }),
  );
  connection.onDidChangeWatchedFiles((p) =>
    guard(connection, "file events", undefined, () => {
      for (const change of p.changes) {
        if (change.type === FileChangeType.Deleted) index.remove(path(change.uri));
        else index.refresh(path(change.uri));
        checker.recheckDependents(path(change.uri));
      }
    }),
  );
}
