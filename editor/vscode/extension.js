// The client half of the mssm extension: it starts `mssmc lsp --stdio` and connects VS Code to
// it. Everything the language does lives in the server (editor/lsp/ in the mssmc package).
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

/** Starts the language server for .mssm files. */
function activate(context) {
  const config = vscode.workspace.getConfiguration("mssm");
  const command = config.get("server.command", "mssmc");
  const args = [...config.get("server.args", []), "lsp"];
  // TransportKind.stdio makes the client append `--stdio`.
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient("mssm", "mssm language server", { run: server, debug: server }, {
    documentSelector: [{ scheme: "file", language: "mssm" }, { scheme: "untitled", language: "mssm" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.mssm") },
  });
  context.subscriptions.push(client);
  return client.start();
}

/** Stops the server with the extension. */
function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
