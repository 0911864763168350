import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { root } from "./lsp-client.js";

// The TextMate grammar, run by a small tokenizer that follows TextMate's rules for the subset the
// grammar uses (match rules, begin/end rules that may span lines, includes): at each position
// the earliest match wins, ties go to the pattern listed first.

interface Rule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  include?: string;
  patterns?: Rule[];
}

const grammar = JSON.parse(readFileSync(join(root, "editor", "vscode", "syntaxes", "mssm.tmLanguage.json"), "utf8")) as { patterns: Rule[]; repository: Record<string, Rule> };

/** The top-level rules with includes expanded, in order. */
function flatten(rules: Rule[]): Rule[] {
  return rules.flatMap((r) => {
    if (r.include) return flatten([grammar.repository[r.include.slice(1)]!]);
    if (!r.match && !r.begin && r.patterns) return flatten(r.patterns);
    return [r];
  });
}
const rules = flatten(grammar.patterns);

/** Scoped tokens of a text: [text, scope]. */
function tokenize(text: string): [string, string][] {
  const out: [string, string][] = [];
  let open: { rule: Rule; text: string } | undefined;
  for (const line of text.split("\n")) {
    let pos = 0;
    while (pos <= line.length) {
      if (open) {
        const end = new RegExp(open.rule.end!, "g");
        end.lastIndex = pos;
        const m = end.exec(line);
        // An inner pattern (a string's escapes) that starts before the end consumes its text first.
        const inner = (open.rule.patterns ?? []).map((r) => {
          const re = new RegExp(r.match!, "g");
          re.lastIndex = pos;
          return re.exec(line);
        }).find((x) => x && (!m || x.index < m.index));
        if (inner) {
          open.text += line.slice(pos, inner.index + inner[0].length);
          pos = inner.index + inner[0].length;
          continue;
        }
        const stop = m ? m.index + m[0].length : line.length;
        open.text += line.slice(pos, stop);
        pos = stop;
        if (m) {
          out.push([open.text, open.rule.name!]);
          open = undefined;
        } else {
          open.text += "\n";
          break;
        }
        continue;
      }
      let best: { rule: Rule; index: number; length: number } | undefined;
      for (const rule of rules) {
        const re = new RegExp(rule.match ?? rule.begin!, "g");
        re.lastIndex = pos;
        const m = re.exec(line);
        if (m && m[0].length > 0 && (!best || m.index < best.index)) best = { rule, index: m.index, length: m[0].length };
      }
      if (!best) break;
      const unscoped = line.slice(pos, best.index);
      if (unscoped.trim()) out.push([unscoped.trim(), ""]);
      pos = best.index + best.length;
      if (best.rule.begin) open = { rule: best.rule, text: line.slice(best.index, pos) };
      else out.push([line.slice(best.index, pos), best.rule.name!]);
    }
    if (!open && line.slice(pos).trim()) out.push([line.slice(pos).trim(), ""]);
  }
  if (open) out.push([open.text, open.rule.name!]);
  return out;
}

const zoo = join(root, "specs", "zoo");
const specs = readdirSync(zoo).filter((f) => f.endsWith(".mssm")).sort();
const scopeOf = (tokens: [string, string][], text: string) => tokens.filter(([t]) => t === text).map(([, s]) => s);

describe("TextMate grammar on the zoo specs", () => {
  test.each(specs)("%s: every character outside whitespace has a scope", (file) => {
    const unscoped = tokenize(readFileSync(join(zoo, file), "utf8")).filter(([, s]) => s === "");
    expect(unscoped).toEqual([]);
  });

  test("mssm.mssm: keywords, strings, numbers, comments, kinds", () => {
    const t = tokenize(readFileSync(join(zoo, "mssm.mssm"), "utf8"));
    expect(t[0]).toEqual(["// MSSM (Ding et al., SIGIR 2021): field-level sparse selection per group (FSCM) and cell-level", "comment.line.double-slash.mssm"]);
    expect(scopeOf(t, "import")).toEqual(["keyword.control.import.mssm"]);
    expect(scopeOf(t, '"adult.mssm"')).toEqual(["string.quoted.double.mssm"]);
    expect(scopeOf(t, "model")).toEqual(["keyword.other.mssm"]);
    expect(scopeOf(t, "level")).toEqual(["keyword.other.mssm", "keyword.other.mssm"]);
    expect(scopeOf(t, "1e-5")).toEqual(["constant.numeric.mssm"]);
    expect(scopeOf(t, "1e-3")).toEqual(["constant.numeric.mssm"]);
    expect(scopeOf(t, "64")).toEqual(["constant.numeric.mssm"]);
    expect(scopeOf(t, "cssm")).toEqual(["support.function.connection.mssm", "support.function.connection.mssm"]);
    expect(scopeOf(t, "adam")).toEqual(["support.function.optimizer.mssm"]);
    expect(scopeOf(t, "relu").every((s) => s === "support.constant.activation.mssm")).toBe(true);
    expect(scopeOf(t, "regularize")).toEqual(["storage.type.section.mssm"]);
    expect(scopeOf(t, "adult_mssm")).toEqual(["variable.other.mssm"]);
  });

  test("adult.mssm: dashed names are one name, never a number or a keyword", () => {
    const t = tokenize(readFileSync(join(zoo, "adult.mssm"), "utf8"));
    expect(scopeOf(t, "education-num")).toEqual(["variable.other.mssm"]);
    expect(scopeOf(t, "marital-status")).toEqual(["variable.other.mssm"]);
    expect(scopeOf(t, "numeric").every((s) => s === "support.type.field.mssm")).toBe(true);
    expect(scopeOf(t, "binary")).toEqual(["support.type.task.mssm", "support.type.task.mssm"]);
    expect(scopeOf(t, '">50K."')).toEqual(["string.quoted.double.mssm"]);
    expect(scopeOf(t, "label")).toEqual(["variable.other.property.mssm", "variable.other.property.mssm"]);
  });

  test("a monitor's metric sum: operators, the task before the dot, the metric after it", () => {
    expect(tokenize('train { monitor: 0.7 * click.auc +0.3 * "my task".rmse + buy-2.logloss, patience: .5 }')).toEqual([
      ["train", "storage.type.section.mssm"],
      ["{", "punctuation.section.braces.mssm"],
      ["monitor", "variable.other.property.mssm"],
      [":", "punctuation.separator.key-value.mssm"],
      ["0.7", "constant.numeric.mssm"],
      ["*", "keyword.operator.arithmetic.mssm"],
      ["click", "variable.other.object.mssm"],
      [".", "punctuation.accessor.mssm"],
      ["auc", "support.constant.metric.mssm"],
      // "+0.3 *" is the sum's plus and a weight, as the parser reads it.
      ["+", "keyword.operator.arithmetic.mssm"],
      ["0.3", "constant.numeric.mssm"],
      ["*", "keyword.operator.arithmetic.mssm"],
      ['"my task"', "string.quoted.double.mssm"],
      [".", "punctuation.accessor.mssm"],
      ["rmse", "support.constant.metric.mssm"],
      ["+", "keyword.operator.arithmetic.mssm"],
      ["buy-2", "variable.other.object.mssm"],
      [".", "punctuation.accessor.mssm"],
      ["logloss", "support.constant.metric.mssm"],
      [",", "punctuation.separator.mssm"],
      ["patience", "variable.other.property.mssm"],
      [":", "punctuation.separator.key-value.mssm"],
      [".5", "constant.numeric.mssm"],
      ["}", "punctuation.section.braces.mssm"],
    ]);
    // A signed number elsewhere keeps its sign.
    expect(tokenize("lr: +1e-3")).toEqual([
      ["lr", "variable.other.property.mssm"],
      [":", "punctuation.separator.key-value.mssm"],
      ["+1e-3", "constant.numeric.mssm"],
    ]);
  });

  test("a block comment spans lines; an escape stays inside its string", () => {
    expect(tokenize('/* a\n  b */ level 1 "x\\"y" -2.5e3')).toEqual([
      ["/* a\n  b */", "comment.block.mssm"],
      ["level", "keyword.other.mssm"],
      ["1", "constant.numeric.mssm"],
      ['"x\\"y"', "string.quoted.double.mssm"],
      ["-2.5e3", "constant.numeric.mssm"],
    ]);
  });
});
