import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../base/package-root.js";

// These run the built CLI (npm test compiles with tsc before vitest).
const cli = join(packageRoot(), "dist", "cli", "mssmc.js");
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

function tempSpec(text: string, name = "model.mssm"): string {
  const dir = mkdtempSync(join(tmpdir(), "mssmc-cli-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const clean = `fields { age numeric }\ntasks { y regression(label: target) }\nmodel m {\n  groups shared\n  level 1 { experts: mlp[8] relu }\n  towers { tower: mlp[4] relu }\n}\n`;

describe("mssmc check", () => {
  it("exits 0 and prints nothing for a clean spec", () => {
    const r = run("check", tempSpec(clean));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
  });

  it("prints file:line:col, the code, the message and a code frame with a caret, and exits 1", () => {
    const path = tempSpec(clean.replace("mlp[8] relu", "mlp[8] rleu"));
    const r = run("check", path);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      [
        `${path}:5:29: error[invalid-value]: 'rleu' is not a valid activation for the experts of 'shared' in level 1; did you mean 'relu'?`,
        "  |",
        "5 |   level 1 { experts: mlp[8] rleu }",
        "  |                             ^^^^",
        "",
        "1 error, 0 warnings",
        "",
      ].join("\n"),
    );
  });

  it("gives JSON for tools with --format json", () => {
    const path = tempSpec(clean.replace("age numeric", "age numeric(dim: x)"));
    const r = run("check", "--format", "json", path);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([
      { file: path, line: 1, column: 27, endLine: 1, endColumn: 28, severity: "error", code: "invalid-type", message: "'dim' of field 'age' must be a whole number, not 'x'." },
    ]);
  });

  it("exits 2 on usage errors", () => {
    expect(run("check").status).toBe(2);
    expect(run("check", "--format", "xml", "a.mssm").status).toBe(2);
    expect(run("frobnicate").status).toBe(2);
  });

  it("says clearly when a file cannot be read", () => {
    const r = run("check", "/nonexistent/model.mssm");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("/nonexistent/model.mssm: error[file-not-found]: Cannot read '/nonexistent/model.mssm'.");
  });

  it("prints help for the program and for a command", () => {
    const top = run("--help");
    expect(top.status).toBe(0);
    expect(top.stdout).toContain("Usage: mssmc");
    expect(top.stdout).toContain("check");
    const sub = run("help", "check");
    expect(sub.status).toBe(0);
    expect(sub.stdout).toContain("--format <format>");
    const unknown = run("help", "nope");
    expect([unknown.status, unknown.stdout, unknown.stderr]).toEqual([2, "", "error: unknown command 'nope'\n(run with --help for usage)\n"]);
  });
});

describe("mssmc json", () => {
  it("prints the canonical JSON with defaults, which checks clean as a .json spec", () => {
    const r = run("json", tempSpec(clean));
    expect(r.status).toBe(0);
    const spec = JSON.parse(r.stdout);
    expect(Object.keys(spec).slice(0, 3)).toEqual(["$schema", "mssm", "model"]);
    expect(spec.fields[0]).toEqual({ name: "age", kind: "numeric", column: "age", dim: 8, transform: "none" });
    const again = run("check", tempSpec(r.stdout, "spec.json"));
    expect(again.status).toBe(0);
  });
});
