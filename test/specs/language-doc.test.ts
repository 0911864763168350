import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../base/package-root.js";
import { rules } from "../../compiler/check/rules/index.js";
import { DEFAULT_DIM, DEFAULT_GATES, DEFAULT_GATE_OPTIMIZER, OPTIMIZER_DEFAULTS } from "../../compiler/load/normalize.js";

// The reference manual must list every diagnostic code the sources can produce, so a new code
// cannot ship undocumented. Codes are found the way a reader would grep for them: the first
// argument of `error(...)`, `warning(...)` and `report(...)` calls, and `code: "..."` of the rules.

const root = packageRoot();
const manual = readFileSync(join(root, "specs", "language.md"), "utf8");

/** Every .ts file under a folder of the package. */
function sources(folder: string): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) visit(path);
      else if (name.endsWith(".ts")) out.push(path);
    }
  };
  visit(join(root, folder));
  return out;
}

// Not `console.error(...)`: a method call is not a diagnostic constructor.
const CALL = /(?<![.\w])(?:error|warning|report)\(\s*"([a-z][a-z0-9]*(?:-[a-z0-9]+)*)"/g;
const RULE_CODE = /\bcode:\s*"([a-z][a-z0-9]*(?:-[a-z0-9]+)*)"/g;
/** Severities passed to a rule's `report`, not codes. */
const SEVERITIES = new Set(["error", "warning"]);

/** The diagnostic codes that appear in the compiler's sources, sorted. */
function codesInSources(): string[] {
  const codes = new Set<string>();
  for (const file of ["grammar", "compiler", "cli"].flatMap(sources)) {
    const text = readFileSync(file, "utf8");
    for (const re of [CALL, RULE_CODE]) for (const m of text.matchAll(re)) if (!SEVERITIES.has(m[1]!)) codes.add(m[1]!);
  }
  for (const rule of rules) codes.add(rule.code);
  return [...codes].sort();
}

/** A code is documented as a `### code` heading or as a table row starting with it in backticks. */
const documented = (code: string) => new RegExp(`^(?:### \`?${code}\`?\\s*$|\\| \`${code}\` \\|)`, "m").test(manual);

describe("specs/language.md", () => {
  it("finds the codes of every stage in the sources", () => {
    const codes = codesInSources();
    for (const code of ["syntax-error", "unterminated-string", "import-cycle", "duplicate-option", "unknown-option", "missing-option", "duplicate-name"]) {
      expect(codes).toContain(code);
    }
  });

  it.each(codesInSources())("documents the diagnostic code %s", (code) => {
    expect(documented(code), `add a row | \`${code}\` | severity | meaning | to the Diagnostics section`).toBe(true);
  });

  it("documents no code the sources do not have", () => {
    const section = manual.slice(manual.indexOf("## Diagnostics"), manual.indexOf("## The model zoo"));
    const listed = [...section.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]!);
    expect(listed.filter((c) => !codesInSources().includes(c))).toEqual([]);
  });

  it("gives each check rule the severity it reports with", () => {
    for (const rule of rules) {
      const row = new RegExp(`^\\| \`${rule.code}\` \\| (error|warning) \\|`, "m").exec(manual.slice(manual.indexOf("### Check rules")));
      expect(row, rule.code).not.toBeNull();
      const text = readFileSync(join(root, "compiler", "check", "rules", `${rule.code}.ts`), "utf8");
      const severities = [...text.matchAll(/report\(\s*"(error|warning)"/g)].map((m) => m[1]);
      expect(severities, rule.code).toContain(row![1]);
    }
  });

  it("marks the rules that also run on libraries", () => {
    for (const rule of rules) {
      const row = new RegExp(`^\\| \`${rule.code}\` \\| \\w+ \\| ([\\w, ]+) \\|`, "m").exec(manual.slice(manual.indexOf("### Check rules")));
      expect(row?.[1], rule.code).toBe(rule.appliesToLibraries ? "models, libraries" : "models");
    }
  });

  it("states the defaults that normalize.ts fills", () => {
    expect(manual).toContain(`| all kinds | \`dim\` | \`${DEFAULT_DIM}\` |`);
    expect(manual).toContain(`| \`gamma\` | \`${DEFAULT_GATES.gamma}\` |`);
    expect(manual).toContain(`| \`zeta\` | \`${DEFAULT_GATES.zeta}\` |`);
    expect(manual).toContain(`| \`init_drop\` | \`${DEFAULT_GATES.init_drop}\` |`);
    expect(manual).toContain(`(${DEFAULT_GATES.beta})`);
    expect(manual).toContain(`| \`gate_optimizer\` | \`${DEFAULT_GATE_OPTIMIZER.kind}(lr: ${DEFAULT_GATE_OPTIMIZER.lr})\` |`);
    expect(DEFAULT_GATE_OPTIMIZER.lr).toBe(0.2);
    const row = (kind: string) => new RegExp(`^\\| \`${kind}\` \\| \`([^\`]+)\` \\| (.*) \\|$`, "m").exec(manual);
    for (const [kind, defaults] of Object.entries(OPTIMIZER_DEFAULTS)) {
      const m = row(kind);
      expect(m, kind).not.toBeNull();
      expect(Number(m![1]), `${kind} lr`).toBe(defaults.lr);
      const others = Object.fromEntries([...m![2]!.matchAll(/`(\w+): ([^`]+)`/g)].map((o) => [o[1]!, JSON.parse(o[2]!) as unknown]));
      const { lr: _lr, ...rest } = defaults;
      expect(others, kind).toEqual(rest);
    }
  });
});
