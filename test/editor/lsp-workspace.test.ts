import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { startClient, type Client } from "./lsp-client.js";

// The workspace index behind references and rename: it knows the workspace's files from
// initialization and from file events, not from reading the disk during a request. Each test gets
// a fresh folder: a library declaring the task `income`, a model beside it and one in a subfolder.

const LIB = "fields {\n  age numeric\n  job categorical(dim: 4)\n}\n\ntasks {\n  income binary(label: y)\n}\n";
/** A model using the library's task; `income` in `groups income` is at line 3, character 9. */
const model = (name: string, lib: string) => `import "${lib}"\n\nmodel ${name} {\n  groups income\n  level 1 { experts: mlp[8] relu, connect: dense }\n  towers { tower: mlp[4] relu }\n}\n`;
const CREATED = 1;
const CHANGED = 2;
const DELETED = 3;

let dir: string;
let c: Client;
const uri = (file: string) => pathToFileURL(join(dir, file)).href;
const write = (file: string, text: string) => writeFileSync(join(dir, file), text);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mssm-workspace-"));
  mkdirSync(join(dir, "sub"));
  write("lib.mssm", LIB);
  write("a.mssm", model("a", "lib.mssm"));
  write("sub/b.mssm", model("b", "../lib.mssm"));
});

afterEach(async () => {
  expect(c.errors).toEqual([]);
  await c.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the server on the folder (or with no workspace) and opens a.mssm. */
async function start(workspace: string | null) {
  c = await startClient(workspace);
  const checked = c.diagnostics(uri("a.mssm"), 1);
  c.open(uri("a.mssm"), readFileSync(join(dir, "a.mssm"), "utf8"));
  expect((await checked).diagnostics).toEqual([]);
}

/** The files holding a reference to `income`, asked from a.mssm, as paths relative to the folder. */
async function filesReferencingIncome(): Promise<string[]> {
  const locations = await c.connection.sendRequest<{ uri: string }[]>("textDocument/references", {
    textDocument: { uri: uri("a.mssm") },
    position: { line: 3, character: 9 },
    context: { includeDeclaration: true },
  });
  return [...new Set(locations.map((l) => relative(dir, new URL(l.uri).pathname)))].sort();
}

const fileEvent = (file: string, type: number) => c.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(file), type }] });

describe("references come from the workspace index", () => {
  test("a file never opened, in a subfolder, is found", async () => {
    await start(dir);
    expect(await filesReferencingIncome()).toEqual(["a.mssm", "lib.mssm", "sub/b.mssm"]);
  });

  test("a file created after start is found once a file event names it, and not before", async () => {
    await start(dir);
    write("c.mssm", model("c", "lib.mssm"));
    expect(await filesReferencingIncome()).toEqual(["a.mssm", "lib.mssm", "sub/b.mssm"]);
    await fileEvent("c.mssm", CREATED);
    expect(await filesReferencingIncome()).toEqual(["a.mssm", "c.mssm", "lib.mssm", "sub/b.mssm"]);
  });

  test("a deleted file's occurrences are gone, from references and from rename", async () => {
    await start(dir);
    rmSync(join(dir, "sub/b.mssm"));
    await fileEvent("sub/b.mssm", DELETED);
    expect(await filesReferencingIncome()).toEqual(["a.mssm", "lib.mssm"]);
    const rename = await c.connection.sendRequest<{ changes: Record<string, unknown[]> }>("textDocument/rename", {
      textDocument: { uri: uri("a.mssm") },
      position: { line: 3, character: 9 },
      newName: "earns",
    });
    expect(Object.keys(rename.changes).sort()).toEqual([uri("a.mssm"), uri("lib.mssm")]);
  });

  test("a file changed on disk is read again: an import removed takes its file out", async () => {
    await start(dir);
    write("sub/b.mssm", model("b", "../elsewhere.mssm"));
    await fileEvent("sub/b.mssm", CHANGED);
    expect(await filesReferencingIncome()).toEqual(["a.mssm", "lib.mssm"]);
  });

  test("without a workspace folder, the folder beside the opened file is indexed, not those below it", async () => {
    write("c.mssm", model("c", "lib.mssm"));
    await start(null);
    expect(await filesReferencingIncome()).toEqual(["a.mssm", "c.mssm", "lib.mssm"]);
  });
});

describe("diagnostics follow the index", () => {
  test("an open file is checked again when a file it imports changes on disk", async () => {
    await start(dir);
    const rechecked = c.diagnostics(uri("a.mssm"));
    write("lib.mssm", LIB.replace("age numeric", "age numerik"));
    await fileEvent("lib.mssm", CHANGED);
    expect((await rechecked).diagnostics.map((d) => d.message)).toEqual(["In lib.mssm:2:7: Unknown field kind 'numerik'; did you mean 'numeric'?"]);
  });
});
