import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { formatSource } from "../../grammar/print.js";
import { readRoot, startClient, uriOf, type Client } from "./lsp-client.js";

// End to end: `mssmc lsp --stdio` as a child process, driven over JSON-RPC like an editor would.

const MSSM = "specs/zoo/mssm.mssm";
const uri = uriOf(MSSM);
const text = readRoot(MSSM);
let c: Client;
let version = 1;

beforeAll(async () => {
  c = await startClient();
  const first = c.diagnostics(uri, 1);
  c.open(uri, text, 1);
  expect((await first).diagnostics).toEqual([]);
});

afterAll(async () => {
  expect(c.errors).toEqual([]);
  await c.stop();
});

/** Replaces the buffer and waits for its diagnostics. */
async function edit(next: string) {
  version++;
  const published = c.diagnostics(uri, version);
  c.change(uri, version, next);
  return (await published).diagnostics.map((d) => ({ code: d.code, message: d.message, range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character] }));
}

const request = <T>(method: string, line: number, character: number, extra: object = {}) =>
  c.connection.sendRequest(method, { textDocument: { uri }, position: { line, character }, ...extra }) as Promise<T>;

describe("diagnostics", () => {
  test("a schema error is reported on the offending word and clears when fixed", async () => {
    expect(await edit(text.replace("level 1 { experts: mlp[64] relu", "level 1 { experts: mlp[64] rleu"))).toEqual([
      { code: "invalid-value", message: "'rleu' is not a valid activation for the experts of 'income' in level 1; did you mean 'relu'?", range: [7, 29, 7, 33] },
    ]);
    expect(await edit(text)).toEqual([]);
  });

  test("a missing '}' is one error, at the gap where it belongs, naming its '{'", async () => {
    expect(await edit(text.replace("towers { tower: mlp[16] relu }", "towers { tower: mlp[16] relu "))).toEqual([
      { code: "syntax-error", message: "The '{' at 13:10 is not closed: expected '}' before 'regularize'.", range: [12, 30, 12, 30] },
    ]);
    expect(await edit(text)).toEqual([]);
  });

  test("columns count UTF-16 code units: an emoji before an error counts as two", async () => {
    expect((await edit(text.replace("  select fields per group", "  /* 😀 */ select fields per grup")))[0]).toEqual(
      { code: "syntax-error", message: "Expected 'group' but found 'grup'.", range: [6, 29, 6, 33] },
    );
    expect(await edit(text)).toEqual([]);
  });

  test("an error in an imported file is shown at the import", async () => {
    const lib = uriOf("specs/zoo/adult.mssm");
    const libText = readRoot("specs/zoo/adult.mssm");
    const libFirst = c.diagnostics(lib, 1);
    const dependent = c.diagnostics(uri);
    c.open(lib, libText.replace("age             numeric", "age             numerik"), 1);
    expect((await libFirst).diagnostics.map((d) => d.message)).toEqual(["Unknown field kind 'numerik'; did you mean 'numeric'?"]);
    const d = (await dependent).diagnostics;
    expect(d.map((x) => [x.message, x.range.start.line, x.range.start.character])).toEqual([["In adult.mssm:6:19: Unknown field kind 'numerik'; did you mean 'numeric'?", 2, 0]]);
    await c.connection.sendNotification("textDocument/didClose", { textDocument: { uri: lib } });
    expect(await edit(text)).toEqual([]);
  });
});

type Hover = { contents: { value: string }; range: { start: { line: number; character: number } } };

describe("hover", () => {
  test("a task name shows its kind, label, tower and group wiring with widths", async () => {
    const h = await request<Hover>("textDocument/hover", 5, 10);
    expect(h.contents.value).toContain("**task** `income`: `binary`");
    expect(h.contents.value).toContain("label column `Y`, loss weight 1, output 1 logit");
    expect(h.contents.value).toContain("tower mlp[16] relu, reads (own): `income` (32 wide)");
    expect(h.contents.value).toContain("- level 1: 1 × mlp[64] relu via `cssm`, reads (all): `income` (104 wide), `never_married` (104 wide), `shared` (104 wide)");
  });

  test("a connection kind shows its meaning and options with defaults", async () => {
    const h = await request<Hover>("textDocument/hover", 7, 45);
    expect(h.contents.value.split("\n")[0]).toMatch(/^\*\*connection\*\* `cssm`: Cell-level sparse sharing/);
    expect(h.contents.value).toContain('- `sources` (default `"auto"`) one of `auto`, `own`, `shared`, `own_and_shared`, `all`');
  });

  test("an MLP shows its shape", async () => {
    const h = await request<Hover>("textDocument/hover", 7, 22);
    expect(h.contents.value).toBe("**1 × mlp[64] relu**: one expert with hidden layers of 64 units, relu after each; output width 64.");
  });

  test("an option key shows its description and default", async () => {
    const h = await request<Hover>("textDocument/hover", 16, 16);
    expect(h.contents.value).toBe("`l2` (default `0`): λ2: weight of the squared L2 norm of dense weights.");
  });
});

describe("completion", () => {
  const labels = async (next: string, line: number, character: number) => {
    await edit(next);
    const items = await request<{ label: string }[]>("textDocument/completion", line, character);
    await edit(text);
    return items.map((i) => i.label);
  };

  test("connection kinds after connect:", async () => {
    expect(await labels(text.replace("connect: cssm }", "connect:  }"), 7, 43)).toEqual(["dense", "cssm", "l0_average", "softmax_gate", "cross_stitch"]);
  });

  test("option names inside a kind's parentheses", async () => {
    expect(await labels(text.replace("connect: cssm }", "connect: cssm() }"), 7, 49)).toEqual(["sources", "granularity"]);
  });

  test("task names in a groups list, and model keywords at an entry's start", async () => {
    expect(await labels(text.replace("groups income, never_married, shared", "groups income, "), 5, 17)).toEqual(["never_married", "shared"]);
    expect(await labels(text.replace("  select fields per group", "  se"), 6, 4)).toEqual(["groups", "tasks", "select fields per group", "level", "towers", "regularize", "gates", "train"]);
  });

  test("a monitor's task names, then the metrics of the task's kind (declared in the imported file)", async () => {
    const withMonitor = (m: string) => text.replace("seed: 7 }", `seed: 7, monitor: ${m} }`);
    const at = "  train { optimizer: adam(lr: 1e-3), batch: 1024, epochs: 10, seed: 7, monitor: ".length;
    expect(await labels(withMonitor(""), 17, at)).toEqual(["income", "never_married"]);
    expect(await labels(withMonitor("income."), 17, at + "income.".length)).toEqual(["auc", "logloss"]);
  });

  test("group names in a per-group experts block, activations after mlp[..]", async () => {
    expect(await labels(text.replace("experts { income: mlp[32] relu,", "experts { income: mlp[32] relu, n"), 9, 37)).toEqual(["income", "never_married", "shared"]);
    expect(await labels(text.replace("towers { tower: mlp[16] relu }", "towers { tower: mlp[16]  }"), 12, 26)).toContain("gelu");
  });
});

type Loc = { uri: string; range: { start: { line: number; character: number }; end: { line: number; character: number } } };
const short = (l: Loc) => `${l.uri.slice(l.uri.lastIndexOf("/") + 1)}:${l.range.start.line}:${l.range.start.character}-${l.range.end.character}`;

describe("navigation and rename", () => {
  test("definition of a group named after a task is the task's declaration in the imported file", async () => {
    expect((await request<Loc[]>("textDocument/definition", 9, 15)).map(short)).toEqual(["adult.mssm:21:2-8", "mssm.mssm:5:9-15"]);
  });

  test("references of a task span the library and every zoo model that uses it", async () => {
    const refs = (await request<Loc[]>("textDocument/references", 5, 10, { context: { includeDeclaration: true } })).map(short);
    expect(refs).toContain("adult.mssm:21:2-8");
    expect(refs).toContain("mssm.mssm:5:9-15");
    expect(refs).toContain("mssm.mssm:9:14-20");
    expect(refs).toContain("cgc.mssm:7:9-15");
  });

  test("rename of a shared group stays inside its model; a name that is no identifier is quoted", async () => {
    const r = await request<{ changes: Record<string, { range: Loc["range"]; newText: string }[]> }>("textDocument/rename", 5, 32, { newName: "common part" });
    expect(Object.keys(r.changes)).toEqual([uri]);
    expect(r.changes[uri]!.map((e) => [e.range.start.line, e.range.start.character, e.newText])).toEqual([[5, 32, '"common part"']]);
  });

  test("rename of a task edits its declaration and every use", async () => {
    const r = await request<{ changes: Record<string, { newText: string }[]> }>("textDocument/rename", 5, 20, { newName: "single" });
    expect(r.changes[uriOf("specs/zoo/adult.mssm")]!.length).toBe(1);
    expect(r.changes[uri]!.length).toBe(2);
    expect(Object.keys(r.changes).length).toBeGreaterThan(5);
  });

  test("document symbols outline the model", async () => {
    const s = await c.connection.sendRequest<{ name: string; children?: { name: string }[] }[]>("textDocument/documentSymbol", { textDocument: { uri } });
    expect(s.map((x) => x.name)).toEqual(["adult.mssm", "adult_mssm"]);
    expect(s[1]!.children!.map((x) => x.name)).toEqual(["income", "never_married", "shared", "select fields per group", "level 1", "level 2", "towers", "regularize", "train"]);
  });
});

describe("formatting", () => {
  const format = () => c.connection.sendRequest<{ newText: string }[]>("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });

  test("a messy buffer is replaced by the formatter's output; a formatted one needs no edit", async () => {
    const messy = text.replace("  groups income, never_married, shared", "groups    income,never_married ,shared");
    await edit(messy);
    const edits = await format();
    expect(edits.length).toBe(1);
    expect(edits[0]!.newText).toBe(formatSource(messy, MSSM).formatted);
    expect(edits[0]!.newText).toContain("  groups income, never_married, shared\n");
    await edit(text);
    expect(await format()).toEqual([]);
  });
});
