import type { IToken } from "chevrotain";
import { CompletionItemKind, type CompletionItem, type CompletionParams } from "vscode-languageserver/node.js";
import { mssmLexer } from "../../grammar/tokens.js";
import type { Occurrence } from "./occurrences.js";
import { toOffset } from "./positions.js";
import { guarded, viewOf, type Services } from "./request.js";
import { ACTIVATIONS, KINDS, kindInfo, SECTIONS, sectionInfo, type KindContext, type OptionInfo } from "./schema-info.js";

// Completion from the tokens before the cursor rather than the AST: while a word is half typed
// the tree is at its most broken, but the brackets still say where the cursor is (which block,
// which kind's argument list) and the last token or two say what may come next.

/** An open bracket and the words before it (`level 1 {`, `categorical(`). */
interface Scope {
  open: string;
  head: IToken[];
}

const WORD = /^[A-Za-z_]/;

/** Answers completion requests. */
export function registerCompletion(s: Services): void {
  s.connection.onCompletion(
    guarded(s.connection, "completion", [], (p: CompletionParams): CompletionItem[] => {
      const v = viewOf(s, p.textDocument.uri);
      return v ? completeAt(v.main.text, toOffset(v.main.table, p.position), v.names) : [];
    }),
  );
}

/** Completion items at `offset` of `text`; `names` are the fields, tasks and groups in scope. */
export function completeAt(text: string, offset: number, names: readonly Occurrence[]): CompletionItem[] {
  const lexed = mssmLexer.tokenize(text);
  // No completion inside a comment or a string.
  const inside = (t: IToken) => t.startOffset < offset && offset < t.startOffset + t.image.length;
  if ((lexed.groups["comments"] ?? []).some((t) => inside(t) || (t.image.startsWith("//") && t.startOffset < offset && offset === t.startOffset + t.image.length))) return [];
  if (lexed.tokens.some((t) => t.image.startsWith('"') && (inside(t) || (t.tokenType.name === "UnterminatedString" && offset === t.startOffset + t.image.length)))) return [];
  let tokens = lexed.tokens.filter((t) => t.startOffset + t.image.length <= offset);
  // The word being typed is what completion replaces, not context.
  const last = tokens[tokens.length - 1];
  if (last && last.startOffset + last.image.length === offset && WORD.test(last.image)) tokens = tokens.slice(0, -1);

  const stack: Scope[] = [];
  let scopeStart = 0;
  const starts: number[] = [];
  tokens.forEach((t, i) => {
    if (t.image === "{" || t.image === "(" || t.image === "[") {
      stack.push({ open: t.image, head: tokens.slice(Math.max(0, i - 2), i) });
      starts.push(scopeStart);
      scopeStart = i + 1;
    } else if ((t.image === "}" || t.image === ")" || t.image === "]") && stack.length) {
      stack.pop();
      scopeStart = starts.pop() ?? 0;
    }
  });
  const scope = stack[stack.length - 1];
  const inScope = tokens.slice(scopeStart);
  const prev = inScope[inScope.length - 1];
  const prev2 = inScope[inScope.length - 2];
  const lineBreakAfter = (t: IToken) => /[\n\r]/.test(text.slice(t.startOffset + t.image.length, offset));
  const entryStart = !prev || prev.image === "," || prev.image === ";" || prev.image === "}" || lineBreakAfter(prev);

  const taskNames = unique(names.filter((o) => o.role === "task").map((o) => o.name));
  const groupNames = unique(names.filter((o) => o.role === "group").map((o) => o.name));
  const headWord = (s: Scope | undefined, back = 1) => s?.head[s.head.length - back]?.image;

  if (!scope) return entryStart || prev?.tokenType.name === "StringLiteral" ? keywords(["import", "fields", "tasks", "model"]) : [];
  const head = headWord(scope);
  const outer = stack[stack.length - 2];

  if (scope.open === "(") {
    const context = argContext(scope, outer);
    const info = context && head ? kindInfo(context, head) : undefined;
    if (!info) return [];
    if (prev?.image === ":" && prev2) return values(info.options.find((o) => o.name === prev2.image));
    if (!prev || prev.image === "," || prev.image === "(" || lineBreakAfter(prev)) return info.options.map(optionItem);
    return [];
  }
  if (scope.open !== "{") return [];

  if (head === "fields" || head === "tasks") {
    const context: KindContext = head === "fields" ? "field" : "task";
    const name = prev && (prev.tokenType.name === "StringLiteral" || WORD.test(prev.image));
    const nameStartsEntry = !prev2 || prev2.image === "," || prev2.image === ";" || prev2.image === "{" || (prev && /[\n\r]/.test(text.slice(prev2.startOffset + prev2.image.length, prev.startOffset)));
    if (prev && name && nameStartsEntry && !lineBreakAfter(prev)) return KINDS[context].map((k) => kindItem(context, k));
    return [];
  }
  if (headWord(scope, 2) === "model") {
    // Inside a `groups a, b` or `tasks a, b` list: walk back over the names and commas. Commas
    // also separate entries, so the list is tried before the start of a new entry.
    let i = inScope.length - 1;
    while (i >= 0 && (inScope[i]!.image === "," || inScope[i]!.tokenType.name === "StringLiteral" || WORD.test(inScope[i]!.image)) && !["groups", "tasks"].includes(inScope[i]!.image)) i--;
    const listHead = inScope[i]?.image;
    if ((listHead === "groups" || listHead === "tasks") && (prev?.image === "," || prev === inScope[i]) && !lineBreakAfter(prev!)) {
      const written = new Set(inScope.slice(i + 1).map((t) => t.image));
      const candidates = listHead === "groups" ? [...taskNames, "shared"] : taskNames;
      return candidates.filter((n) => !written.has(n)).map((n) => nameItem(n, "task"));
    }
    return entryStart ? keywords(["groups", "tasks", "select fields per group", "level", "towers", ...SECTIONS]) : [];
  }
  if (headWord(scope, 2) === "level" || head === "experts" || head === "towers") {
    if (prev?.image === "]") return ACTIVATIONS.map((a) => ({ label: a, kind: CompletionItemKind.EnumMember, detail: "activation" }));
    if (prev?.image === ":" && prev2?.image === "connect") return KINDS.connection.map((k) => kindItem("connection", k));
    if (prev?.image === ":") return [mlpItem(), ...(head === "experts" ? keywords(["none"]) : [])];
    if (!entryStart) return [];
    if (head === "experts") return groupNames.map((n) => nameItem(n, "group"));
    if (head === "towers") return [...keywords(["tower", "connect"]), ...taskNames.map((n) => nameItem(n, "task"))];
    return keywords(["experts", "connect"]);
  }
  const section = head && sectionInfo(head);
  if (section && head) {
    if (prev?.image === ":" && prev2) {
      if (/optimizer$/.test(prev2.image)) return KINDS.optimizer.map((k) => kindItem("optimizer", k));
      return values(section.options.find((o) => o.name === prev2.image));
    }
    return entryStart || prev?.image === "{" ? section.options.map(optionItem) : [];
  }
  return [];
}

/** Which kind family an argument list belongs to, from the block around it. */
function argContext(scope: Scope, outer: Scope | undefined): KindContext | undefined {
  const before = scope.head[scope.head.length - 2]?.image;
  if (before === ":") {
    // `connect: cssm(`, `optimizer: adam(`: the key is two tokens before the kind word; the head
    // holds only two tokens, so the kind tells the family.
    const kind = scope.head[scope.head.length - 1]?.image ?? "";
    if (KINDS.connection.includes(kind)) return "connection";
    if (KINDS.optimizer.includes(kind)) return "optimizer";
    return undefined;
  }
  const block = outer?.head[outer.head.length - 1]?.image;
  return block === "fields" ? "field" : block === "tasks" ? "task" : undefined;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function keywords(words: string[]): CompletionItem[] {
  return words.map((w) => ({ label: w, kind: CompletionItemKind.Keyword }));
}

function kindItem(context: KindContext, kind: string): CompletionItem {
  const info = kindInfo(context, kind);
  return { label: kind, kind: CompletionItemKind.Class, detail: `${context} kind`, ...(info?.description ? { documentation: info.description } : {}) };
}

function optionItem(o: OptionInfo): CompletionItem {
  const detail = o.default !== undefined ? `default ${JSON.stringify(o.default)}` : undefined;
  return { label: o.name, kind: CompletionItemKind.Property, insertText: `${o.name}: `, ...(detail ? { detail } : {}), ...(o.description ? { documentation: o.description } : {}) };
}

function values(o: OptionInfo | undefined): CompletionItem[] {
  const vs = o?.values ?? (o?.name === "nesterov" ? ["true", "false"] : []);
  return vs.map((v) => ({ label: v, kind: CompletionItemKind.EnumMember, ...(JSON.stringify(o?.default) === JSON.stringify(v) ? { detail: "default" } : {}) }));
}

function nameItem(name: string, what: "task" | "group"): CompletionItem {
  return { label: name, kind: CompletionItemKind.Variable, detail: what };
}

function mlpItem(): CompletionItem {
  return { label: "mlp", kind: CompletionItemKind.Keyword, detail: "[N x] mlp[w1, w2] activation", insertText: "mlp[" };
}
