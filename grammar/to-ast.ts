import type { CstNode, IToken } from "chevrotain";
import type * as A from "./ast.js";
import type { Span } from "../base/source/span.js";

// Turns chevrotain's concrete syntax tree into the AST. The tree may be partial after error
// recovery: every accessor here tolerates missing children and returns `undefined` for them.

type Child = CstNode | IToken;
const isToken = (c: Child): c is IToken => (c as IToken).image !== undefined;
const nodes = (n: CstNode, key: string): CstNode[] => (n.children[key] ?? []).filter((c): c is CstNode => !isToken(c));
const tokens = (n: CstNode, key: string): IToken[] => (n.children[key] ?? []).filter(isToken).filter((t) => !isNaN(t.startOffset));
// `node` and `token` run for every child of every node: they search without building arrays.
const node = (n: CstNode, key: string): CstNode | undefined => n.children[key]?.find((c): c is CstNode => !isToken(c));
const token = (n: CstNode, key: string): IToken | undefined => n.children[key]?.find((c): c is IToken => isToken(c) && !isNaN(c.startOffset));

const tokenSpan = (t: IToken): Span => ({ start: t.startOffset, end: t.startOffset + t.image.length });

/** The span of a CST node from the tokens it holds (recovered nodes have no location). */
function spanOf(n: CstNode): Span {
  // chevrotain tracks node offsets while parsing (nodeLocationTracking: "onlyOffset"; endOffset is
  // inclusive); only nodes touched by error recovery lack them and need the walk below.
  const loc = n.location;
  if (loc && Number.isFinite(loc.startOffset) && Number.isFinite(loc.endOffset)) return { start: loc.startOffset, end: loc.endOffset! + 1 };
  const s = extent(n);
  return s ? { start: s.start, end: s.end } : { start: 0, end: 0 };
}

// Spans are asked for at every level of the tree; remembering each node's extent keeps the
// whole conversion linear (walking every subtree again made this the slowest stage of a check).
// A Map emptied after each `toAst`, not a WeakMap: thousands of WeakMap inserts per parse cost
// more than the walk they save.
const extents = new Map<CstNode, Span | null>();

/** The offsets covered by a node's real tokens (recovery inserts virtual ones), or null. */
function extent(n: CstNode): Span | null {
  const known = extents.get(n);
  if (known !== undefined) return known;
  let start = Infinity;
  let end = -Infinity;
  // Object.keys, not Object.values: chevrotain's prototype-less `children` objects make the
  // latter several times slower, and this runs for every node of every parse.
  for (const key of Object.keys(n.children)) {
    for (const child of n.children[key]!) {
      if (isToken(child)) {
        if (isNaN(child.startOffset)) continue;
        start = Math.min(start, child.startOffset);
        end = Math.max(end, child.startOffset + child.image.length);
      } else {
        const s = extent(child);
        if (s) {
          start = Math.min(start, s.start);
          end = Math.max(end, s.end);
        }
      }
    }
  }
  const out = start === Infinity ? null : { start, end };
  extents.set(n, out);
  return out;
}

/** Decodes the body of a double-quoted string; unknown escapes keep the escaped character. */
export function unescapeString(raw: string): string {
  // The final quote closes the string unless an odd number of backslashes escapes it ("a\\").
  const closed = raw.length >= 2 && /(?:^|[^\\])(?:\\\\)*"$/.test(raw.slice(1));
  const body = raw.slice(1, closed ? -1 : undefined);
  return body.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) => {
    switch (e[0]) {
      case "n": return "\n";
      case "t": return "\t";
      case "r": return "\r";
      case "u": return e.length === 5 ? String.fromCharCode(parseInt(e.slice(1), 16)) : e;
      default: return e;
    }
  });
}

function stringLit(n: CstNode): A.StringLit | undefined {
  const t = token(n, "StringLiteral") ?? token(n, "UnterminatedString");
  return t && { kind: "string", value: unescapeString(t.image), raw: t.image, span: tokenSpan(t) };
}

function numberLit(t: IToken): A.NumberLit {
  return { kind: "number", raw: t.image, value: Number(t.image), span: tokenSpan(t) };
}

function nameOf(n: CstNode | undefined): A.Name | undefined {
  if (!n) return undefined;
  const id = token(n, "Identifier");
  if (id) return { kind: "name", text: id.image, quoted: false, span: tokenSpan(id) };
  const s = node(n, "string");
  const lit = s && stringLit(s);
  return lit && { kind: "name", text: lit.value, quoted: true, span: lit.span };
}

function value(n: CstNode | undefined): A.Value | undefined {
  if (!n) return undefined;
  const sum = node(n, "metricSum");
  if (sum) return { kind: "metric-sum", terms: nodes(sum, "metricTerm").flatMap(metricTerm), span: spanOf(sum) };
  const num = token(n, "NumberLiteral");
  if (num) return numberLit(num);
  const s = node(n, "string");
  if (s) return stringLit(s);
  const l = node(n, "list");
  if (l) return { kind: "list", items: nodes(l, "value").map(value).filter((v): v is A.Value => !!v), span: spanOf(l) };
  return typeExpr(node(n, "typeExpr"));
}

function metricTerm(n: CstNode): A.MetricTerm[] {
  const num = token(n, "NumberLiteral");
  const [task, metric] = nodes(n, "name").map(nameOf);
  return task ? [{ kind: "metric-term", weight: num && numberLit(num), task, metric, span: spanOf(n) }] : [];
}

/** The `(key: value, ...)` of a node that may have them; `undefined` without parentheses. */
function argsOf(n: CstNode): A.Arg[] | undefined {
  return token(n, "LParen")
    ? nodes(n, "arg").map((a): A.Arg => ({ kind: "arg", key: nameOf(node(a, "name")), value: value(node(a, "value")), span: spanOf(a) }))
    : undefined;
}

function typeExpr(n: CstNode | undefined): A.TypeExpr | undefined {
  const id = n && token(n, "Identifier");
  if (!n || !id) return undefined;
  const args = argsOf(n);
  return { kind: "type", name: { kind: "name", text: id.image, quoted: false, span: tokenSpan(id) }, args, span: spanOf(n) };
}

function property(n: CstNode): A.Property | undefined {
  const key = nameOf(node(n, "name"));
  return key && { kind: "property", key, value: value(node(n, "value")), span: spanOf(n) };
}

function mlpSpec(n: CstNode | undefined): A.MlpSpec | undefined {
  if (!n) return undefined;
  const numbers = tokens(n, "NumberLiteral").map(numberLit);
  const hasCount = tokens(n, "X").length > 0;
  const act = token(n, "Identifier");
  return {
    kind: "mlp",
    count: hasCount ? numbers[0] : undefined,
    widths: hasCount ? numbers.slice(1) : numbers,
    activation: act && { kind: "name", text: act.image, quoted: false, span: tokenSpan(act) },
    span: spanOf(n),
  };
}

function connectEntry(n: CstNode): A.ConnectEntry {
  return { kind: "connect", type: typeExpr(node(n, "typeExpr")), span: spanOf(n) };
}

function decls(n: CstNode): A.Decl[] {
  const out: A.Decl[] = [];
  for (const d of nodes(n, "decl")) {
    const name = nameOf(node(d, "name"));
    if (name) out.push({ kind: "decl", name, type: typeExpr(node(d, "typeExpr")), span: spanOf(d) });
  }
  return out;
}

function names(n: CstNode | undefined): A.Name[] {
  return n ? nodes(n, "name").map(nameOf).filter((x): x is A.Name => !!x) : [];
}

function levelEntry(n: CstNode): A.LevelBlock["entries"][number] | undefined {
  if (token(n, "Experts")) {
    const all = mlpSpec(node(n, "mlpSpec"));
    const perGroup = token(n, "LCurly")
      ? nodes(n, "namedExperts").flatMap((e): A.NamedExperts[] => {
          const name = nameOf(node(e, "name"));
          return name ? [{ kind: "named-experts", name, spec: mlpSpec(node(e, "mlpSpec")), span: spanOf(e) }] : [];
        })
      : undefined;
    return { kind: "experts", all, perGroup, span: spanOf(n) };
  }
  const c = node(n, "connectEntry");
  if (c) return connectEntry(c);
  const p = node(n, "property");
  return p && property(p);
}

function modelEntry(n: CstNode): A.ModelEntry | undefined {
  const [key, child] = Object.entries(n.children)[0] ?? [];
  const c = child?.[0];
  if (!c || isToken(c)) return undefined;
  const span = spanOf(c);
  switch (key) {
    case "groupsEntry": return { kind: "groups", names: names(node(c, "nameList")), span };
    case "modelTasks": return { kind: "model-tasks", names: names(node(c, "nameList")), span };
    case "selectEntry": return { kind: "select", args: argsOf(c), span };
    case "levelBlock": {
      const idx = token(c, "NumberLiteral");
      const entries = nodes(c, "levelEntry").map(levelEntry).filter((e) => !!e);
      return { kind: "level", index: idx && numberLit(idx), entries, span };
    }
    case "towersBlock": {
      const entries = nodes(c, "towerEntry").flatMap((e): A.TowersBlock["entries"] => {
        const conn = node(e, "connectEntry");
        if (conn) return [connectEntry(conn)];
        const name = nameOf(node(e, "name"));
        return name ? [{ kind: "tower", name, spec: mlpSpec(node(e, "mlpSpec")), span: spanOf(e) }] : [];
      });
      return { kind: "towers", entries, span };
    }
    case "property": return property(c);
    case "section": {
      const name = nameOf(node(c, "name"));
      if (!name) return undefined;
      const properties = nodes(c, "property").map(property).filter((p): p is A.Property => !!p);
      return { kind: "section", name, properties, span };
    }
    default: return undefined;
  }
}

function item(n: CstNode): A.Item | undefined {
  const [key, child] = Object.entries(n.children)[0] ?? [];
  const c = child?.[0];
  if (!c || isToken(c)) return undefined;
  const span = spanOf(c);
  switch (key) {
    case "importDecl": {
      const t = token(c, "StringLiteral");
      return { kind: "import", path: t && { kind: "string", value: unescapeString(t.image), raw: t.image, span: tokenSpan(t) }, span };
    }
    case "fieldsBlock": return { kind: "fields", decls: decls(c), span };
    case "tasksBlock": return { kind: "tasks", decls: decls(c), span };
    case "modelDecl": {
      const entries = nodes(c, "modelEntry").map(modelEntry).filter((e): e is A.ModelEntry => !!e);
      return { kind: "model", name: nameOf(node(c, "name")), entries, span };
    }
    default: return undefined;
  }
}

/** Builds the AST of a document from its CST and the comment tokens the lexer set aside. */
export function toAst(cst: CstNode, comments: IToken[], textLength: number): A.Document {
  try {
    return {
      kind: "document",
      items: nodes(cst, "item").map(item).filter((i): i is A.Item => !!i),
      comments: comments.map((t) => ({ kind: "comment", text: t.image, span: tokenSpan(t) })),
      span: { start: 0, end: textLength },
    };
  } finally {
    extents.clear();
  }
}
