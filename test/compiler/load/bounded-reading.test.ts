import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadSpec } from "../../../compiler/load/load.js";
import { MAX_IMPORT_DEPTH } from "../../../compiler/load/read-source.js";

const dir = mkdtempSync(join(tmpdir(), "mssmc-bounded-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const codes = (path: string) => loadSpec(path).diagnostics.map((d) => `${d.code}: ${d.message}`);

describe("reading specs is bounded", () => {
  it("refuses to import anything but a .mssm file, without reading it", () => {
    const main = join(dir, "passwd.mssm");
    writeFileSync(main, `import "/etc/passwd"\nimport "/proc/self/environ"\n`);
    let read = 0;
    const result = loadSpec(main, (p) => {
      read++;
      if (p !== main) throw new Error(`read ${p}`);
      return `import "/etc/passwd"\nimport "/proc/self/environ"\n`;
    });
    expect(read).toBe(1);
    expect(result.diagnostics.map((d) => d.message)).toEqual([
      "An import names a .mssm file; '/etc/passwd' is not one, so it was not read.",
      "An import names a .mssm file; '/proc/self/environ' is not one, so it was not read.",
    ]);
    expect([...result.files.keys()]).toEqual([main]);
  });

  it("refuses a named pipe, a device and a folder before reading them, as the main file or an import", () => {
    const fifo = join(dir, "pipe.mssm");
    execFileSync("mkfifo", [fifo]);
    const folder = join(dir, "folder.mssm");
    execFileSync("mkdir", [folder]);
    expect(codes(fifo)).toEqual([`unreadable-file: Cannot read '${fifo}': is a named pipe; spec files must be regular files.`]);
    const main = join(dir, "imports-pipe.mssm");
    writeFileSync(main, `import "pipe.mssm"\nimport "folder.mssm"\nimport "/dev/zero.mssm"\nfields { a numeric }\n`);
    expect(codes(main)).toEqual([
      "unreadable-file: Cannot read the imported file 'pipe.mssm': is a named pipe; spec files must be regular files.",
      "unreadable-file: Cannot read the imported file 'folder.mssm': is a folder; spec files must be regular files.",
      "import-not-found: Cannot read the imported file '/dev/zero.mssm' (looked for /dev/zero.mssm).",
    ]);
    expect(codes("/dev/zero")).toEqual(["unreadable-file: Cannot read '/dev/zero': is a device; spec files must be regular files."]);
  });

  it("refuses a spec larger than 1 MiB", () => {
    const big = join(dir, "big.mssm");
    writeFileSync(big, "// " + "x".repeat(1024 * 1024));
    expect(codes(big)).toEqual([`unreadable-file: Cannot read '${big}': is ${1024 * 1024 + 3} bytes; spec files may be at most ${1024 * 1024}.`]);
  });

  it("follows a chain of 20,000 imports without exhausting the stack, stopping at the depth limit", () => {
    const files = new Map<string, string>();
    for (let i = 0; i < 20_000; i++) files.set(`/c/f${i}.mssm`, `import "f${i + 1}.mssm"\n`);
    files.set("/c/f20000.mssm", "fields { a numeric }\n");
    const result = loadSpec("/c/f0.mssm", (p) => {
      const t = files.get(p);
      if (t === undefined) throw new Error("ENOENT");
      return t;
    });
    expect(result.diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual([`/c/f${MAX_IMPORT_DEPTH - 1}.mssm import-too-deep`]);
    expect(result.files.size).toBe(MAX_IMPORT_DEPTH);
  });
});
