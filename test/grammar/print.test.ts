import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../base/package-root.js";
import { parse } from "../../grammar/parse.js";
import { format, formatSource, quoteString } from "../../grammar/print.js";
import { commentTexts, lowered, stripped } from "./same-tree.js";

/** Formats a text that must parse cleanly. */
function fmt(text: string): string {
  const { formatted, diagnostics } = formatSource(text, "m.mssm");
  expect(diagnostics).toEqual([]);
  expect(formatted).toBeDefined();
  return formatted!;
}

/** Formatting keeps the tree, the meaning and the comments, and a second pass changes nothing. */
function expectFaithful(text: string): string {
  const out = fmt(text);
  const before = parse(text, "m.mssm").document;
  const after = parse(out, "m.mssm").document;
  expect(stripped(after)).toEqual(stripped(before));
  expect(lowered(after)).toEqual(lowered(before));
  expect(commentTexts(after)).toEqual(commentTexts(before));
  expect(fmt(out)).toBe(out);
  return out;
}

const zooDir = join(packageRoot(), "specs", "zoo");
const zoo = readdirSync(zooDir).filter((f) => f.endsWith(".mssm")).sort();

describe("format on the model zoo", () => {
  it("finds the zoo", () => {
    expect(zoo).toContain("mssm.mssm");
    expect(zoo).toContain("adult.mssm");
  });

  it.each(zoo)("%s: re-parses to the same tree and is idempotent", (name) => {
    expectFaithful(readFileSync(join(zooDir, name), "utf8"));
  });
});

/** [what, input, expected output] */
const golden: [string, string, string][] = [
  [
    "aligns fields in two columns, quoting only names that are not identifiers",
    'fields { age numeric; "education-num" numeric, "native country" categorical(dim:8) }',
    ["fields {", "  age               numeric", "  education-num     numeric", '  "native country"  categorical(dim: 8)', "}", ""].join("\n"),
  ],
  [
    "prints blocks of simple entries on one line when they fit, one entry per line otherwise",
    [
      "model m {",
      "  groups   a ,b",
      "  level 1 {",
      "    experts: mlp[64] relu",
      "    connect: cssm",
      "  }",
      "  level 2 { experts: 2 x mlp[256, 128, 64] relu; connect: cssm(granularity: block, sources: all) }",
      "  towers { tower: mlp[32] relu; connect: softmax_gate(sources: own_and_shared) }",
      "  train { optimizer: adam(lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0), batch: 1024 }",
      "}",
    ].join("\n"),
    [
      "model m {",
      "  groups a, b",
      "  level 1 { experts: mlp[64] relu, connect: cssm }",
      "  level 2 { experts: 2 x mlp[256, 128, 64] relu, connect: cssm(granularity: block, sources: all) }",
      "  towers { tower: mlp[32] relu, connect: softmax_gate(sources: own_and_shared) }",
      "  train {",
      "    optimizer: adam(lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0)",
      "    batch: 1024",
      "  }",
      "}",
      "",
    ].join("\n"),
  ],
  [
    "keeps comments where they were: leading, trailing, after a brace, before a closing brace",
    [
      "// header",
      "",
      'import "a.mssm" // why',
      'import "b.mssm"',
      "fields { // inputs",
      "  /* before */ age numeric",
      "",
      "",
      "  b categorical(dim: /* eight */ 8) // trailing   ",
      "  // last",
      "}",
      "// the end",
    ].join("\n"),
    [
      "// header",
      "",
      'import "a.mssm" // why',
      'import "b.mssm"',
      "",
      "fields { // inputs",
      "  /* before */",
      "  age  numeric",
      "",
      "  /* eight */",
      "  b    categorical(dim: 8) // trailing",
      "  // last",
      "}",
      "// the end",
      "",
    ].join("\n"),
  ],
  [
    "prints a block holding a comment one entry per line",
    "model m { level 1 { experts: mlp[8] relu /* wide enough */, connect: dense } towers { tower: mlp[4] } }",
    [
      "model m {",
      "  level 1 {",
      "    experts: mlp[8] relu /* wide enough */",
      "    connect: dense",
      "  }",
      "  towers { tower: mlp[4] }",
      "}",
      "",
    ].join("\n"),
  ],
  [
    "moves comments out of a block's header and keeps a blank line between top-level items",
    "model /* a */ m // b\n{ level /* c */ 1 { connect: dense } } tasks { y regression(label: t) }",
    ["/* a */", "// b", "model m {", "  /* c */", "  level 1 { connect: dense }", "}", "", "tasks {", "  y  regression(label: t)", "}", ""].join("\n"),
  ],
  [
    "prints per-group experts as a block and `none` for a group without experts",
    "model m { level 2 { experts { a: mlp[1], b: none } connect: cssm } }",
    ["model m {", "  level 2 {", "    experts { a: mlp[1], b: none }", "    connect: cssm", "  }", "}", ""].join("\n"),
  ],
  [
    "keeps the quotes a name needs in its position",
    'model m { "towers" { a: 1 } level 1 { "experts": 1, "connect": x, "level": 2 } towers { "tower": mlp[1], tower: mlp[2], "connect": mlp[3] } }',
    [
      "model m {",
      '  "towers" { a: 1 }',
      '  level 1 { "experts": 1, "connect": x, level: 2 }',
      '  towers { "tower": mlp[1], tower: mlp[2], "connect": mlp[3] }',
      "}",
      "",
    ].join("\n"),
  ],
  [
    "re-escapes strings and prints numbers as written",
    'fields { a categorical(vocabulary: ["q\\"q", "tab\\there", "\\u0041", "back\\\\", "\\z"], dim: 1e1, min_count: +2) b numeric(dim: .5) }',
    ["fields {", '  a  categorical(vocabulary: ["q\\"q", "tab\\there", "A", "back\\\\", "z"], dim: 1e1, min_count: +2)', "  b  numeric(dim: .5)", "}", ""].join("\n"),
  ],
  [
    "prints empty blocks as {}",
    "fields { } model m { level 1 { } towers { } train { } }",
    ["fields {}", "", "model m {", "  level 1 {}", "  towers {}", "  train {}", "}", ""].join("\n"),
  ],
  ["prints a file of comments only", "  // nothing yet  \n\n\n/* later */", "// nothing yet\n\n/* later */\n"],
  ["prints an empty file as nothing", " \n\n ", ""],
];

describe("format style", () => {
  it.each(golden)("%s", (_what, input, expected) => {
    expect(expectFaithful(input)).toBe(expected);
  });

  it("refuses a file with syntax errors instead of printing a repaired tree", () => {
    const text = "fields { age numeric\nmodel m { }\n";
    const { document } = parse(text, "m.mssm");
    expect(format(document, text)).toBeUndefined();
    const r = formatSource(text, "m.mssm");
    expect(r.formatted).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.span.start])).toEqual([["syntax-error", 29]]);
    expect(formatSource('import "a.mssm\n', "m.mssm").formatted).toBeUndefined();
    expect(formatSource("fields { a numeric } @", "m.mssm").formatted).toBeUndefined();
  });

  it("quotes strings so they read back as the same value", () => {
    for (const s of ["", 'a"b', "a\\", "\\\\", "line\nbreak\r\t", "\u0001\u007f", "ünï €"]) {
      const { document, diagnostics } = parse(`import ${quoteString(s)}`, "m.mssm");
      expect(diagnostics).toEqual([]);
      expect(document.items[0]).toMatchObject({ kind: "import", path: { value: s } });
    }
  });
});
