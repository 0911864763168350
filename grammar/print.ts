import type { IToken } from "chevrotain";
import type * as A from "./ast.js";
import { parse } from "./parse.js";
import { parseCst } from "./parser.js";
import { Identifier } from "./tokens.js";
import { hasErrors, type Diagnostic } from "../base/source/diagnostic.js";
import type { Span } from "../base/source/span.js";

// The .mssm formatter: prints an AST in one canonical style and keeps every comment.
//
// Style: two-space indent, one entry per line, `fields`/`tasks` blocks in two aligned columns, a
// `level`, `towers`, `experts { }` or section block on one line (`{ a, b }`) when its entries are
// all simple, it holds no comment and the line fits in MAX_WIDTH; at most one blank line kept
// where the user left blank lines; a blank line between top-level items (consecutive imports
// stay together unless the user separated them).
//
// Comments live beside the tree, with spans. Each is attached to the entry it trails on the same
// line, else to the entry it precedes; a comment inside an entry printed on one line moves above
// that entry; what is left prints before the closing brace or at the end of the file.

const MAX_WIDTH = 100;
const INDENT = "  ";

/** A name prints bare only when the lexer reads it back as one identifier. */
const IDENTIFIER = new RegExp(`^(?:${(Identifier.PATTERN as RegExp).source})$`);

/** An entry after layout: comments moved out of it, and its lines (unindented at its own level). */
interface Rendered {
  hoisted: A.Comment[];
  lines: string[];
}

/** An entry of a block, laid out lazily so nested blocks claim their comments first. */
interface Entry {
  span: Span;
  /** The one-line form when the entry may join a one-line block; undefined for a nested block. */
  flat: string | undefined;
  render(depth: number): Rendered;
}

/** Thrown inside the printer when the tree is incomplete; `format` turns it into `undefined`. */
class Incomplete extends Error {}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Incomplete();
  return value;
}

/** Prints a string literal with the escapes `unescapeString` in to-ast.ts reads back. */
export function quoteString(value: string): string {
  const escaped = value.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => {
    switch (c) {
      case "\\": return "\\\\";
      case '"': return '\\"';
      case "\n": return "\\n";
      case "\t": return "\\t";
      case "\r": return "\\r";
      default: return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    }
  });
  return `"${escaped}"`;
}

/**
 * Prints a name, quoted when it is not an identifier. `reserved` lists the words that would read
 * back as something else in this position (`connect` in towers is the connect entry), and
 * `meaningful` the ones whose quotes change the meaning (`"tower"` is a task, `tower` the default).
 */
function printName(name: A.Name, reserved: readonly string[] = [], meaningful: readonly string[] = []): string {
  const bare = IDENTIFIER.test(name.text) && !reserved.includes(name.text) && !(name.quoted && meaningful.includes(name.text));
  return bare ? name.text : quoteString(name.text);
}

function printValue(v: A.Value): string {
  switch (v.kind) {
    case "number": return v.raw;
    case "string": return quoteString(v.value);
    case "list": return `[${v.items.map(printValue).join(", ")}]`;
    case "type": return printType(v);
    // A weight written "+0.3" (lexed as a signed number) prints without its sign after " + ".
    case "metric-sum": return v.terms.map((t) => `${t.weight ? `${t.weight.raw.replace(/^\+/, "")} * ` : ""}${printName(t.task)}.${printName(need(t.metric))}`).join(" + ");
  }
}

function printType(t: A.TypeExpr): string {
  return t.name.text + printArgs(t.args);
}

/** `(key: value, ...)`, or nothing when written without parentheses. */
function printArgs(args: A.Arg[] | undefined): string {
  if (!args) return "";
  return `(${args.map((a) => (a.key ? `${printName(a.key)}: ` : "") + printValue(need(a.value))).join(", ")})`;
}

function printMlp(m: A.MlpSpec): string {
  const count = m.count ? `${m.count.raw} x ` : "";
  const activation = m.activation ? ` ${m.activation.text}` : "";
  return `${count}mlp[${m.widths.map((w) => w.raw).join(", ")}]${activation}`;
}

/** The printer's view of the source: its comments (each printed once) and its brace tokens. */
class Source {
  private readonly used: boolean[];
  private readonly opens: number[];

  constructor(
    readonly text: string,
    private readonly comments: A.Comment[],
    tokens: IToken[],
  ) {
    this.used = comments.map(() => false);
    this.opens = tokens.filter((t) => t.tokenType.name === "LCurly").map((t) => t.startOffset);
  }

  /** Claims the comments not yet printed that lie inside [start, end). */
  take(start: number, end: number): A.Comment[] {
    const out: A.Comment[] = [];
    this.comments.forEach((c, i) => {
      if (!this.used[i] && c.span.start >= start && c.span.end <= end) {
        this.used[i] = true;
        out.push(c);
      }
    });
    return out;
  }

  /** Whether any comment lies inside [start, end). */
  hasComment(start: number, end: number): boolean {
    return this.comments.some((c) => c.span.start >= start && c.span.end <= end);
  }

  /** The offset of the first `{` inside a span. */
  openBrace(span: Span): number {
    const at = this.opens.find((o) => o >= span.start && o < span.end);
    if (at === undefined || this.text[span.end - 1] !== "}") throw new Incomplete();
    return at;
  }

  /** The number of line breaks in [start, end). */
  breaks(start: number, end: number): number {
    let n = 0;
    for (let i = start; i < end; i++) {
      const c = this.text.charCodeAt(i);
      if (c === 10 || (c === 13 && this.text.charCodeAt(i + 1) !== 10)) n++;
    }
    return n;
  }
}

/** A comment as printed: line comments lose trailing blanks, block comments are kept verbatim. */
const commentText = (c: A.Comment): string => (c.text.startsWith("//") ? c.text.trimEnd() : c.text);

/** An entry printed on one line; comments inside it move above it. */
function leaf(src: Source, span: Span, text: string): Entry {
  return { span, flat: text, render: () => ({ hoisted: src.take(span.start, span.end), lines: [text] }) };
}

/**
 * Lays out the entries of a region (a block's inside, or the whole file) at nesting `depth`:
 * attaches the region's loose comments and keeps one blank line where the source had some.
 * Lines come back indented one step inside a block and not at all for the file; the caller adds
 * its own indentation. `braceComments` gets the comments on the line of the opening brace.
 */
function layout(
  src: Source,
  entries: Entry[],
  region: Span,
  depth: number,
  options: { brace: boolean; blankBefore?: (i: number) => boolean },
): { braceComments: A.Comment[]; lines: string[] } {
  const rendered = entries.map((e) => e.render(depth));
  const loose = src.take(region.start, region.end);
  const indent = options.brace ? INDENT : "";
  const leading: A.Comment[][] = entries.map(() => []);
  const trailing: A.Comment[][] = entries.map(() => []);
  const braceComments: A.Comment[] = [];
  const dangling: A.Comment[] = [];
  for (const c of loose) {
    let prev = -1;
    entries.forEach((e, i) => {
      if (e.span.end <= c.span.start) prev = i;
    });
    const next = entries.findIndex((e) => e.span.start >= c.span.end);
    if (prev >= 0 && src.breaks(entries[prev]!.span.end, c.span.start) === 0) trailing[prev]!.push(c);
    else if (prev < 0 && options.brace && src.breaks(region.start, c.span.start) === 0) braceComments.push(c);
    else if (next >= 0) leading[next]!.push(c);
    else dangling.push(c);
  }

  const lines: string[] = [];
  // `end` is where the last printed piece ended in the source; blank lines are looked for
  // between it and the next piece. Nothing counts before the first piece of a block.
  let end = -1;
  const blankSince = (start: number) => end >= 0 && src.breaks(end, start) >= 2;
  const push = (text: string) => lines.push(indent + text);
  entries.forEach((e, i) => {
    const forced = i > 0 && !!options.blankBefore?.(i);
    let first = true;
    for (const c of leading[i]!) {
      if ((first && forced) || blankSince(c.span.start)) lines.push("");
      push(commentText(c));
      end = c.span.end;
      first = false;
    }
    if ((first && forced) || blankSince(e.span.start)) lines.push("");
    const out = rendered[i]!;
    for (const c of out.hoisted) push(commentText(c));
    const body = [...out.lines];
    const tail = trailing[i]!;
    if (tail.length) body[body.length - 1] += " " + tail.map(commentText).join(" ");
    for (const line of body) push(line);
    end = tail.length ? tail[tail.length - 1]!.span.end : e.span.end;
  });
  for (const c of dangling) {
    if (blankSince(c.span.start)) lines.push("");
    push(commentText(c));
    end = c.span.end;
  }
  // Indented blank lines would be trailing whitespace.
  return { braceComments, lines: lines.map((l) => (l.trim() === "" ? "" : l)) };
}

/**
 * A braced block `head { entries }`. Comments between the block's start and its `{` move above
 * it. With `oneLine`, a block of flat entries without comments prints as `head { a, b }`.
 */
function block(src: Source, span: Span, head: string, entries: Entry[], oneLine: boolean): Entry {
  const render = (depth: number): Rendered => {
    const open = src.openBrace(span);
    const close = span.end - 1;
    const hoisted = src.take(span.start, open);
    const quiet = !src.hasComment(open, close);
    if (quiet && entries.length === 0) return { hoisted, lines: [`${head} {}`] };
    const flats = entries.map((e) => e.flat);
    if (oneLine && quiet && flats.every((f) => f !== undefined)) {
      const line = `${head} { ${flats.join(", ")} }`;
      if (INDENT.length * depth + line.length <= MAX_WIDTH) return { hoisted, lines: [line] };
    }
    const inner = layout(src, entries, { start: open + 1, end: close }, depth + 1, { brace: true });
    const brace = inner.braceComments.length ? " " + inner.braceComments.map(commentText).join(" ") : "";
    return { hoisted, lines: [`${head} {${brace}`, ...inner.lines, "}"] };
  };
  return { span, flat: undefined, render };
}

/** `fields { }` and `tasks { }`: names padded to the longest so the kinds form a column. */
function declBlock(src: Source, item: A.FieldsBlock | A.TasksBlock): Entry {
  const names = item.decls.map((d) => printName(d.name));
  const width = Math.max(0, ...names.map((n) => n.length));
  const entries = item.decls.map((d, i) => leaf(src, d.span, `${names[i]!.padEnd(width)}  ${printType(need(d.type))}`));
  return block(src, item.span, item.kind, entries, false);
}

function levelEntry(src: Source, e: A.LevelBlock["entries"][number]): Entry {
  switch (e.kind) {
    case "experts": {
      if (e.all) return leaf(src, e.span, `experts: ${printMlp(e.all)}`);
      const named = need(e.perGroup).map((n) => leaf(src, n.span, `${printName(n.name)}: ${n.spec ? printMlp(n.spec) : "none"}`));
      return block(src, e.span, "experts", named, true);
    }
    case "connect": return leaf(src, e.span, `connect: ${printType(need(e.type))}`);
    case "property": return leaf(src, e.span, `${printName(e.key, ["experts", "connect"])}: ${printValue(need(e.value))}`);
  }
}

function towerEntry(src: Source, e: A.TowersBlock["entries"][number]): Entry {
  if (e.kind === "connect") return leaf(src, e.span, `connect: ${printType(need(e.type))}`);
  return leaf(src, e.span, `${printName(e.name, ["connect"], ["tower"])}: ${printMlp(need(e.spec))}`);
}

function modelEntry(src: Source, e: A.ModelEntry): Entry {
  switch (e.kind) {
    case "groups": return leaf(src, e.span, `groups ${e.names.map((n) => printName(n)).join(", ")}`);
    case "model-tasks": return leaf(src, e.span, `tasks ${e.names.map((n) => printName(n)).join(", ")}`);
    case "select": return leaf(src, e.span, `select fields per group${printArgs(e.args)}`);
    case "level": return block(src, e.span, `level ${need(e.index).raw}`, e.entries.map((x) => levelEntry(src, x)), true);
    case "towers": return block(src, e.span, "towers", e.entries.map((x) => towerEntry(src, x)), true);
    // An unquoted `groups: ...` would read back as another entry.
    case "property": return leaf(src, e.span, `${printName(e.key, ["groups", "tasks", "select", "level", "towers"])}: ${printValue(need(e.value))}`);
    case "section": {
      const props = e.properties.map((p) => leaf(src, p.span, `${printName(p.key)}: ${printValue(need(p.value))}`));
      // An unquoted `towers {` would read back as the towers block.
      return block(src, e.span, printName(e.name, ["towers"]), props, true);
    }
  }
}

function item(src: Source, i: A.Item): Entry {
  switch (i.kind) {
    case "import": return leaf(src, i.span, `import ${quoteString(need(i.path).value)}`);
    case "fields":
    case "tasks":
      return declBlock(src, i);
    case "model": return block(src, i.span, `model ${printName(need(i.name))}`, i.entries.map((e) => modelEntry(src, e)), false);
  }
}

/**
 * Prints a document in the canonical style, keeping every comment. `text` is the source the
 * document was parsed from. Returns undefined when the text has syntax errors: a tree repaired
 * by error recovery must not overwrite what the user wrote.
 */
export function format(document: A.Document, text: string): string | undefined {
  const cst = parseCst(text);
  if (cst.lexErrors.length || cst.parseErrors.length || cst.tokens.some((t) => t.tokenType.name === "UnterminatedString")) return undefined;
  const src = new Source(text, document.comments, cst.tokens);
  const items = document.items;
  try {
    const entries = items.map((i) => item(src, i));
    const { lines } = layout(src, entries, { start: 0, end: text.length }, 0, {
      brace: false,
      blankBefore: (i) => !(items[i]!.kind === "import" && items[i - 1]!.kind === "import"),
    });
    return lines.length ? lines.join("\n") + "\n" : "";
  } catch (e) {
    if (e instanceof Incomplete) return undefined;
    throw e;
  }
}

/** Parses and formats a text: the formatted text, or undefined with the syntax errors that prevent it. */
export function formatSource(text: string, path: string): { formatted: string | undefined; diagnostics: Diagnostic[] } {
  const { document, diagnostics } = parse(text, path);
  if (hasErrors(diagnostics)) return { formatted: undefined, diagnostics };
  return { formatted: format(document, text), diagnostics };
}
