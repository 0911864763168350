import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES, validFrames } from "../../editor/lsp/framing.js";
import { startLanguageServer } from "../../editor/lsp/server.js";

const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** Feeds `input` to the filter in chunks of `size` bytes; what came out and what was dropped. */
async function filter(input: string, size: number): Promise<{ out: string; dropped: string[] }> {
  const dropped: string[] = [];
  const t = validFrames((reason) => dropped.push(reason));
  const chunks: Buffer[] = [];
  t.on("data", (c: Buffer) => chunks.push(c));
  const bytes = Buffer.from(input);
  for (let i = 0; i < bytes.length; i += size) t.write(bytes.subarray(i, i + size));
  t.end();
  await new Promise((resolve) => t.on("end", resolve));
  return { out: Buffer.concat(chunks).toString(), dropped };
}

describe("the language server's framing filter", () => {
  const good1 = frame('{"jsonrpc":"2.0","id":1,"method":"a"}');
  const good2 = frame('{"jsonrpc":"2.0","id":2,"method":"é"}');

  it("passes well-formed messages through byte for byte, however the input is cut", async () => {
    for (const size of [1, 3, 7, 1000]) expect(await filter(good1 + good2, size)).toEqual({ out: good1 + good2, dropped: [] });
  });

  it("drops a bad Content-Length, a body that is not JSON and an oversized message, and goes on", async () => {
    const input = good1 + "Content-Length: abc\r\n\r\n{}" + "Content-Length: 5\r\n\r\n{bad}" + `Content-Length: ${MAX_MESSAGE_BYTES + 1}\r\n\r\n` + good2;
    for (const size of [1, 5, 4096]) {
      expect(await filter(input, size)).toEqual({
        out: good1 + good2,
        dropped: ['a header without a valid Content-Length: "Content-Length: abc"', "a message whose 5-byte body is not JSON", `a message of ${MAX_MESSAGE_BYTES + 1} bytes (at most ${MAX_MESSAGE_BYTES})`],
      });
    }
  });

  it("keeps a server answering after a bad message", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let written = "";
    output.on("data", (c: Buffer) => (written += c.toString()));
    const connection = startLanguageServer(input, output);
    input.write(frame(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { processId: null, rootUri: null, capabilities: {} } })));
    input.write("Content-Length: abc\r\n\r\n{}");
    input.write("Content-Length: 5\r\n\r\n{bad}");
    input.write(frame(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "shutdown" })));
    for (let i = 0; i < 100 && !written.includes('"id":2'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(written).toContain('"id":1');
    expect(written).toContain('"id":2');
    connection.dispose();
  });
});
