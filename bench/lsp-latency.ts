import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type PublishDiagnosticsParams } from "vscode-languageserver/node.js";

// How long from an edit to its published diagnostics, for a 2,000-line spec, through the real
// server process over stdio (debounce included). Prints the median; the target is under 50 ms.
// Run: npm run bench:lsp

const ROUNDS = 60;
/** Rounds run first and not counted, so the numbers are for a warmed-up server. */
const WARMUP = 10;
const root = join(import.meta.dirname, "..", "..");

/** A 2,000-line spec: fields, two tasks and an MSSM-like model. */
function bigSpec(): string {
  const lines = ["fields {"];
  const n = 1985;
  for (let i = 0; i < n; i++) lines.push(i % 3 === 0 ? `  f${i} numeric(transform: log1p)` : `  f${i} categorical(dim: 8)`);
  lines.push("}", "tasks {", "  a binary(label: ya)", "  b regression(label: yb)", "}");
  lines.push("model big {", "  groups a, b, shared", "  select fields per group", "  level 1 { experts: mlp[64] relu, connect: cssm }");
  lines.push("  level 2 { experts { a: mlp[32] relu, b: mlp[32] relu }, connect: cssm }", "  towers { tower: mlp[16] relu }", "  regularize { l0: 1e-4 }");
  lines.push("  train { optimizer: adam(lr: 1e-3), batch: 512 }", "}");
  return lines.join("\n") + "\n";
}

const dir = mkdtempSync(join(tmpdir(), "mssm-lsp-"));
const path = join(dir, "big.mssm");
const text = bigSpec();
writeFileSync(path, text);
const uri = pathToFileURL(path).href;

const child = spawn(process.execPath, [join(root, "dist", "cli", "mssmc.js"), "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
const waiting = new Map<number, (p: PublishDiagnosticsParams) => void>();
connection.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => waiting.get(p.version ?? -1)?.(p));
connection.listen();
await connection.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {} });
await connection.sendNotification("initialized", {});

const until = (version: number) => new Promise<PublishDiagnosticsParams>((resolve) => waiting.set(version, resolve));
let ready = until(1);
await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "mssm", version: 1, text } });
await ready;

// Each round edits one field's width on a line in the middle: a small incremental change.
const line = 1001;
const times: number[] = [];
let errors = 0;
for (let v = 2; v < WARMUP + ROUNDS + 2; v++) {
  const character = "  f1000 categorical(dim: ".length;
  ready = until(v);
  const t0 = performance.now();
  await connection.sendNotification("textDocument/didChange", {
    textDocument: { uri, version: v },
    contentChanges: [{ range: { start: { line, character }, end: { line, character: character + 1 } }, text: v % 2 ? "8" : "9" }],
  });
  const published = await ready;
  if (v >= WARMUP + 2) times.push(performance.now() - t0);
  errors += published.diagnostics.length;
}
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
console.log(`| spec lines | rounds | median ms | p90 ms | min ms | diagnostics |`);
console.log(`|---:|---:|---:|---:|---:|---:|`);
console.log(`| ${text.split("\n").length - 1} | ${ROUNDS} | ${at(0.5).toFixed(1)} | ${at(0.9).toFixed(1)} | ${at(0).toFixed(1)} | ${errors} |`);
console.log("(change sent -> publishDiagnostics received, including the server's debounce; target: median < 50 ms)");
await connection.sendRequest("shutdown");
await connection.sendNotification("exit");
connection.dispose();
rmSync(dir, { recursive: true, force: true });
