import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection, type PublishDiagnosticsParams } from "vscode-languageserver/node.js";

// A minimal LSP client for the tests and the benchmark: it starts `mssmc lsp --stdio` as a child
// process (from dist/, which `npm test` builds first) and speaks JSON-RPC to it.

export const root = join(import.meta.dirname, "..", "..");

/** A running server and helpers to drive it. */
export interface Client {
  connection: MessageConnection;
  child: ChildProcessWithoutNullStreams;
  /** Internal errors the server logged; a test expects none. */
  errors: string[];
  /** Waits for the diagnostics of `uri` (at `version`, when given). */
  diagnostics(uri: string, version?: number): Promise<PublishDiagnosticsParams>;
  /** Calls `f` with every diagnostics notification (the connection allows one handler per method). */
  onDiagnostics(f: (p: PublishDiagnosticsParams) => void): void;
  open(uri: string, text: string, version?: number): void;
  change(uri: string, version: number, text: string): void;
  stop(): Promise<void>;
}

/** The file URI of a path relative to the repository root. */
export function uriOf(relativePath: string): string {
  return pathToFileURL(join(root, relativePath)).href;
}

/** The text of a file relative to the repository root. */
export function readRoot(relativePath: string): string {
  return readFileSync(join(root, relativePath), "utf8");
}

/** Starts the server and completes the initialize handshake, with `workspace` (a folder; none for null) as the workspace. */
export async function startClient(workspace: string | null = root): Promise<Client> {
  const child = spawn(process.execPath, [join(root, "dist", "cli", "mssmc.js"), "lsp", "--stdio"], { stdio: "pipe" });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const errors: string[] = [];
  const listeners: ((p: PublishDiagnosticsParams) => void)[] = [];
  const waiters: { uri: string; version: number | undefined; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  connection.onNotification("window/logMessage", (p: { type: number; message: string }) => {
    if (p.type === 1) errors.push(p.message);
  });
  connection.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
    for (const f of listeners) f(p);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (w.uri === p.uri && (w.version === undefined || w.version === p.version)) {
        waiters.splice(i, 1);
        w.resolve(p);
      }
    }
  });
  connection.listen();
  // A server that dies while starting fails the test with what it printed, instead of hanging it.
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()));
  const died = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`mssmc lsp exited with ${code} while starting:\n${stderr}`))));
  await Promise.race([died, connection.sendRequest("initialize", { processId: null, rootUri: workspace === null ? null : pathToFileURL(workspace).href, capabilities: {} })]);
  await connection.sendNotification("initialized", {});
  return {
    connection,
    child,
    errors,
    onDiagnostics: (f) => void listeners.push(f),
    diagnostics: (uri, version) => new Promise((resolve) => waiters.push({ uri, version, resolve })),
    open: (uri, text, version = 1) => void connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "mssm", version, text } }),
    change: (uri, version, text) => void connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] }),
    stop: async () => {
      await connection.sendRequest("shutdown");
      const exited = new Promise((resolve) => child.once("exit", resolve));
      await connection.sendNotification("exit");
      await exited;
      connection.dispose();
    },
  };
}
