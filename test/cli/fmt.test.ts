import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, chmodSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../base/package-root.js";

// These run the built CLI (npm test compiles with tsc before vitest).
const cli = join(packageRoot(), "dist", "cli", "mssmc.js");
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

function tempSpec(text: string, name = "model.mssm"): string {
  const dir = mkdtempSync(join(tmpdir(), "mssmc-fmt-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const formatted = "fields {\n  age  numeric // years\n}\n";
const messy = "fields { age numeric // years\n}";

describe("mssmc fmt", () => {
  it("--check exits 0 and prints nothing when every file is formatted", () => {
    const r = run("fmt", "--check", tempSpec(formatted));
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "", ""]);
  });

  it("--check exits 1, lists the unformatted files and writes nothing", () => {
    const good = tempSpec(formatted);
    const bad = tempSpec(messy);
    const r = run("fmt", "--check", good, bad);
    expect([r.status, r.stdout, r.stderr]).toEqual([1, `${bad}\n`, ""]);
    expect(readFileSync(bad, "utf8")).toBe(messy);
  });

  it("formats in place, keeping the file's permissions and leaving no temporary file", () => {
    const path = tempSpec(messy);
    chmodSync(path, 0o640);
    const r = run("fmt", path);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "", ""]);
    expect(readFileSync(path, "utf8")).toBe(formatted);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(dirname(path))).toEqual(["model.mssm"]);
    expect(run("fmt", "--check", path).status).toBe(0);
  });

  it("--stdout prints the formatted text and leaves the file alone", () => {
    const path = tempSpec(messy);
    const r = run("fmt", "--stdout", path);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, formatted, ""]);
    expect(readFileSync(path, "utf8")).toBe(messy);
  });

  it("reports syntax errors with a code frame, exits 1 and leaves the file untouched", () => {
    const path = tempSpec("fields { age numeric\n");
    const r = run("fmt", path);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [`${path}:1:21: error[syntax-error]: Expected '}' but found the end of the file.`, "  |", "1 | fields { age numeric", "  |                     ^", "", "1 error, 0 warnings", ""].join("\n"),
    );
    expect(readFileSync(path, "utf8")).toBe("fields { age numeric\n");
    expect(run("fmt", "--check", path).status).toBe(1);
  });

  it("exits 2 on usage errors", () => {
    expect(run("fmt").status).toBe(2);
    expect(run("fmt", "--check", "--stdout", tempSpec(formatted)).status).toBe(2);
    expect(run("fmt", "--bogus", tempSpec(formatted)).status).toBe(2);
    const json = tempSpec("{}", "spec.json");
    const r = run("fmt", json);
    expect([r.status, r.stderr]).toEqual([2, `mssmc fmt: '${json}' is a JSON spec; fmt formats .mssm files.\n`]);
  });

  it("exits 1 for a file it cannot read", () => {
    const r = run("fmt", join(tmpdir(), "mssmc-no-such-file.mssm"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[file-not-found]: Cannot read ");
  });
});
