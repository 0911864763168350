import { expect, test } from "vitest";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { PublishDiagnosticsParams, Range } from "vscode-languageserver/node.js";
import { readRoot, startClient, uriOf } from "./lsp-client.js";

// Robustness: thousands of random edits (insertions, deletions, half-typed tokens) sent as
// incremental changes, with requests at random places in between. The server must never crash
// or log an internal error, and every diagnostic range must lie inside its version's text.

const EDITS = Number(process.env["FUZZ_EDITS"] ?? 3000);
const SNIPPETS = ["{", "}", "(", ")", "[", "]", ":", ",", ";", '"', "//", "/*", "*/", "\n", "\r\n", " ", "level ", "level 2 {", "mlp[", "mlp[32] relu", "3 x ", "x", "experts", "connect: ", "cssm(granularity: ", "softmax_gate", "groups ", "towers {", "income", "shared", "numeric(", "1e-", "-", "0.5", "😀", "é", "import \"", "model m {", "tasks {", "fields {", "\\"];

/** A seeded generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function inside(doc: TextDocument, range: Range): boolean {
  const ok = (p: { line: number; character: number }) => {
    if (p.line < 0 || p.line >= doc.lineCount || p.character < 0) return false;
    const start = doc.offsetAt({ line: p.line, character: 0 });
    const next = p.line + 1 < doc.lineCount ? doc.offsetAt({ line: p.line + 1, character: 0 }) : doc.getText().length;
    return p.character <= next - start;
  };
  return ok(range.start) && ok(range.end) && doc.offsetAt(range.start) <= doc.offsetAt(range.end);
}

test("a randomized editing session never crashes the server and keeps every diagnostic range inside the text", { timeout: 30_000 }, async () => {
  const c = await startClient();
  const uri = uriOf("specs/zoo/mssm.mssm");
  const next = random(20260101);
  let doc = TextDocument.create(uri, "mssm", 1, readRoot("specs/zoo/mssm.mssm"));
  const versions = new Map<number, TextDocument>([[1, doc]]);
  const bad: string[] = [];
  let checked = 0;
  c.onDiagnostics((p: PublishDiagnosticsParams) => {
    const at = p.version === undefined ? undefined : versions.get(p.version);
    if (!at) return;
    checked++;
    for (const d of p.diagnostics) if (!inside(at, d.range)) bad.push(`v${p.version}: ${JSON.stringify(d.range)} ${d.message}`);
  });
  c.open(uri, doc.getText(), 1);
  for (let v = 2; v <= EDITS + 1; v++) {
    const text = doc.getText();
    const a = Math.floor(next() * (text.length + 1));
    const deleting = next() < 0.4 && text.length > 0;
    const b = deleting ? Math.min(text.length, a + 1 + Math.floor(next() * 12)) : a;
    const insert = deleting ? "" : SNIPPETS[Math.floor(next() * SNIPPETS.length)]!;
    const range = { start: doc.positionAt(a), end: doc.positionAt(b) };
    doc = TextDocument.update(TextDocument.create(uri, "mssm", v, text), [{ range, text: insert }], v);
    versions.set(v, doc);
    void c.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version: v }, contentChanges: [{ range, text: insert }] });
    const published = v % 100 === 0 ? c.diagnostics(uri, v) : undefined;
    if (v % 25 === 0) {
      const position = doc.positionAt(Math.floor(next() * (doc.getText().length + 1)));
      const params = { textDocument: { uri }, position };
      await Promise.all([
        c.connection.sendRequest("textDocument/hover", params),
        c.connection.sendRequest("textDocument/completion", params),
        c.connection.sendRequest("textDocument/definition", params),
        c.connection.sendRequest("textDocument/references", { ...params, context: { includeDeclaration: true } }),
        c.connection.sendRequest("textDocument/prepareRename", params),
        c.connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri } }),
        c.connection.sendRequest("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } }),
      ]);
    }
    if (published) await published;
    // Keep the text from growing without bound, as a real session would not.
    if (doc.getText().length > 3000) {
      const reset = readRoot("specs/zoo/mssm.mssm");
      v++;
      doc = TextDocument.create(uri, "mssm", v, reset);
      versions.set(v, doc);
      c.change(uri, v, reset);
    }
  }
  expect(bad).toEqual([]);
  expect(checked).toBeGreaterThanOrEqual(EDITS / 100);
  expect(c.errors).toEqual([]);
  expect(c.child.exitCode).toBe(null);
  await c.stop();
});
