import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../base/package-root.js";
import type { Diagnostic } from "../../base/source/diagnostic.js";
import { loadSpec } from "../../compiler/load/load.js";
import { parse } from "../../grammar/parse.js";
import { formatSource } from "../../grammar/print.js";
import { commentTexts, lowered, stripped } from "../grammar/same-tree.js";

// Robustness: thousands of seeded mutants of the zoo specs (tokens and characters deleted,
// inserted, swapped; lines duplicated; files truncated) go through the whole check pipeline and
// the formatter. Whatever the text, loading never throws, always finishes, and every diagnostic
// points inside the file it names; a mutant that parses cleanly formats faithfully.
// MSSMC_FUZZ_ITERATIONS and MSSMC_FUZZ_SEED override the defaults, to fuzz longer or elsewhere.

const ITERATIONS = Number(process.env["MSSMC_FUZZ_ITERATIONS"] ?? 4000);
const SEED = Number(process.env["MSSMC_FUZZ_SEED"] ?? 20210711);
/** Not a speed target: a mutant taking this long means a hang (catastrophic backtracking, a loop). */
const HANG_MS = 2000;

const zooDir = join(packageRoot(), "specs", "zoo");
const zoo = new Map(
  readdirSync(zooDir)
    .filter((f) => f.endsWith(".mssm"))
    .sort()
    .map((f) => [join(zooDir, f), readFileSync(join(zooDir, f), "utf8")] as const),
);
const specs = [...zoo.keys()];

/** mulberry32: a small seeded generator, so a failure names the iteration that reproduces it. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

// Roughly the lexer's tokens, whitespace and comments included, so a mutation can remove the
// space between two words or cut a comment open.
const TOKEN = /\s+|\/\/[^\n\r]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n\r]|\\.)*"?|[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*|[\s\S]/g;
const VOCABULARY = [
  "import", "fields", "tasks", "model", "groups", "select", "fields per group", "per", "group", "level", "experts", "connect",
  "towers", "tower", "mlp", "none", "x", "{", "}", "(", ")", "[", "]", ":", ",", ";", " ", "\n", "0", "-1", "1e400", "3",
  "1e-4", '"', '"a"', '"\\', '""', "//", "/*", "*/", "@", "\u0000", "\ufeff", "é", "😀", "\r", "mlp[]", "experts:", "level 0 {",
  "true", "false", "shared", "income", "cssm(granularity: weight)", "softmax_gate", "cross_stitch", "l0_average", 'import "adult.mssm"',
  'import "mssm.mssm"', 'import "nope.mssm"', "categorical(vocabulary: [])", "multi_hot", "numeric", "binary", "multiclass(3)",
  "/* c */", "// c\n", "/* a\n   b */", "\n\n// c\n\n", "//\n",
];
const CHARS = "{}()[]:,;\"\\/*-+.eE0123456789 \n\tax_\r#é";

type Mutation = (text: string, rnd: (n: number) => number) => string;
const tokensOf = (text: string) => text.match(TOKEN) ?? [];
const onTokens = (f: (tokens: string[], rnd: (n: number) => number) => void): Mutation => (text, rnd) => {
  const tokens = tokensOf(text);
  if (tokens.length) f(tokens, rnd);
  return tokens.join("");
};
const onLines = (f: (lines: string[], rnd: (n: number) => number) => void): Mutation => (text, rnd) => {
  const lines = text.split("\n");
  f(lines, rnd);
  return lines.join("\n");
};
const pick = <T>(xs: readonly T[], rnd: (n: number) => number): T => xs[rnd(xs.length)]!;

const mutations: Record<string, Mutation> = {
  deleteToken: onTokens((t, r) => void t.splice(r(t.length), 1)),
  insertToken: onTokens((t, r) => void t.splice(r(t.length + 1), 0, r(2) ? pick(VOCABULARY, r) : pick(t, r))),
  swapTokens: onTokens((t, r) => {
    const i = r(t.length);
    const j = r(t.length);
    [t[i], t[j]] = [t[j]!, t[i]!];
  }),
  duplicateToken: onTokens((t, r) => {
    const i = r(t.length);
    t.splice(i, 0, t[i]!);
  }),
  deleteChar: (s, r) => {
    const i = r(s.length + 1);
    return s.slice(0, i) + s.slice(i + 1);
  },
  insertChar: (s, r) => {
    const i = r(s.length + 1);
    return s.slice(0, i) + pick([...CHARS], r) + s.slice(i);
  },
  replaceChar: (s, r) => {
    const i = r(s.length + 1);
    return s.slice(0, i) + pick([...CHARS], r) + s.slice(i + 1);
  },
  duplicateLine: onLines((l, r) => {
    const i = r(l.length);
    l.splice(i, 0, l[i]!);
  }),
  deleteLine: onLines((l, r) => void l.splice(r(l.length), 1)),
  swapLines: onLines((l, r) => {
    const i = r(l.length);
    const j = r(l.length);
    [l[i], l[j]] = [l[j]!, l[i]!];
  }),
  truncate: (s, r) => s.slice(0, r(s.length + 1)),
  copySlice: (s, r) => {
    const a = r(s.length + 1);
    const b = Math.min(s.length, a + r(80));
    const at = r(s.length + 1);
    return s.slice(0, at) + s.slice(a, b) + s.slice(at);
  },
};
const mutationNames = Object.keys(mutations);

/** The problems with a diagnostic's spans, given the length of each file's text. */
function spanProblems(d: Diagnostic, length: (file: string) => number | undefined): string[] {
  const out: string[] = [];
  const check = (file: string, span: { start: number; end: number }, what: string) => {
    const n = length(file) ?? 0;
    const ok = Number.isInteger(span.start) && Number.isInteger(span.end) && 0 <= span.start && span.start <= span.end && span.end <= n;
    if (!ok) out.push(`${what} span ${span.start}..${span.end} outside ${file} (length ${n}): ${d.code}: ${d.message}`);
  };
  check(d.file, d.span, "diagnostic");
  for (const r of d.related ?? []) check(r.file, r.span, "related");
  return out;
}

/** What goes wrong when formatting a text that parses cleanly (nothing for a text with errors). */
function formatProblems(text: string): string[] {
  const before = parse(text, "m.mssm");
  if (before.diagnostics.length) return [];
  const { formatted } = formatSource(text, "m.mssm");
  if (formatted === undefined) return ["format refused a text that parses cleanly"];
  const after = parse(formatted, "m.mssm");
  if (after.diagnostics.length) return [`formatted text does not parse: ${after.diagnostics[0]!.message}\n${formatted}`];
  const problems: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(stripped(after.document), stripped(before.document))) problems.push(`formatting changed the tree:\n${formatted}`);
  if (!same(lowered(after.document), lowered(before.document))) problems.push(`formatting changed the meaning:\n${formatted}`);
  if (!same(commentTexts(after.document), commentTexts(before.document))) problems.push(`formatting lost or reordered comments:\n${formatted}`);
  if (formatSource(formatted, "m.mssm").formatted !== formatted) problems.push(`formatting is not idempotent:\n${formatted}`);
  return problems;
}

describe("fuzzing the zoo specs", () => {
  it(`survives ${ITERATIONS} mutants (seed ${SEED})`, () => {
    const rnd = prng(SEED);
    const failures: string[] = [];
    let clean = 0;
    let formatted = 0;
    for (let iteration = 0; iteration < ITERATIONS && failures.length < 5; iteration++) {
      const main = specs[iteration % specs.length]!;
      // Mostly the model file, sometimes the library it imports.
      const imported = /import "([^"]+)"/.exec(zoo.get(main)!)?.[1];
      const target = imported && rnd(4) === 0 ? join(zooDir, imported) : main;
      let text = zoo.get(target)!;
      const applied: string[] = [];
      for (let k = 1 + rnd(4); k > 0; k--) {
        const name = pick(mutationNames, rnd);
        applied.push(name);
        text = mutations[name]!(text, rnd);
      }
      const where = `iteration ${iteration} (${applied.join(", ")} on ${target})`;
      const files = new Map(zoo);
      files.set(target, text);
      const readText = (p: string): string => {
        const t = files.get(p);
        if (t === undefined) throw new Error(`ENOENT: ${p}`);
        return t;
      };

      const started = performance.now();
      let result: ReturnType<typeof loadSpec>;
      try {
        result = loadSpec(main, readText);
      } catch (e) {
        failures.push(`${where}: loadSpec threw ${e instanceof Error ? e.stack : String(e)}\n--- mutant ---\n${text}`);
        continue;
      }
      const ms = performance.now() - started;
      if (ms > HANG_MS) failures.push(`${where}: took ${ms.toFixed(0)} ms\n--- mutant ---\n${text}`);
      if (!result.diagnostics.some((d) => d.severity === "error")) clean++;
      for (const d of result.diagnostics) {
        for (const p of spanProblems(d, (f) => files.get(f)?.length ?? result.files.get(f)?.text.length)) failures.push(`${where}: ${p}\n--- mutant ---\n${text}`);
      }

      let problems: string[];
      try {
        problems = formatProblems(text);
      } catch (e) {
        problems = [`format threw ${e instanceof Error ? e.stack : String(e)}`];
      }
      if (parse(text, target).diagnostics.length === 0) formatted++;
      for (const p of problems) failures.push(`${where}: ${p}\n--- mutant ---\n${text}`);
    }
    expect(failures.slice(0, 3).join("\n\n")).toBe("");
    // The mutants must reach the late stages (rules, the formatter), not just stop in the parser:
    // about a fifth check clean and a third parse cleanly with the default seed.
    if (ITERATIONS >= 100) {
      expect(clean, "mutants that check without errors").toBeGreaterThan(ITERATIONS / 10);
      expect(formatted, "mutants that parse cleanly").toBeGreaterThan(ITERATIONS / 5);
    }
  });
});
