import type { IToken } from "chevrotain";
import { CompletionItemKind, type CompletionItem, type CompletionParams } from "vscode-languageserver/node.js";
import { LOWER_IS_BETTER, TASK_METRICS } from "../../compiler/index.js";
import { mssmLexer } from "../../grammar/tokens.js";
import type { Occurrence } from "./occurrences.js";
import type { ParsedDoc } from "./parsed-doc.js";
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
      return v ? completeAt(v.main.text, toOffset(v.main.table, p.position), v.names, taskKinds(v.docs)) : [];
    }),
  );
}

/** Where the cursor sits: the open brackets around it and the tokens before it in the innermost one. */
interface Cursor {
  text: string;
  offset: number;
  /** The open brackets, outermost first. */
  stack: Scope[];
  /** The tokens before the cursor inside the innermost bracket (the word being typed left out). */
  inScope: IToken[];
  prev: IToken | undefined;
  prev2: IToken | undefined;
  /** Whether the cursor is where a new entry may start. */
  entryStart: boolean;
  taskNames: string[];
  groupNames: string[];
  /** Each declared task's kind (`binary`, ...), for the metrics a monitor may name. */
  taskKinds: ReadonlyMap<string, string>;
}

/** Each task declared in `docs` with its kind word, as written. */
export function taskKinds(docs: readonly ParsedDoc[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const doc of docs) {
    for (const item of doc.document.items) {
      if (item.kind === "tasks") for (const d of item.decls) if (d.type && !out.has(d.name.text)) out.set(d.name.text, d.type.name.text);
    }
  }
  return out;
}

/** Completion items at `offset` of `text`; `names` are the fields, tasks and groups in scope, `tasks` the declared tasks' kinds. */
export function completeAt(text: string, offset: number, names: readonly Occurrence[], tasks: ReadonlyMap<string, string> = new Map()): CompletionItem[] {
  const c = cursorAt(text, offset, names, tasks);
  if (!c) return [];
  const scope = c.stack[c.stack.length - 1];
  if (!scope) return c.entryStart || c.prev?.tokenType.name === "StringLiteral" ? keywords(["import", "fields", "tasks", "model"]) : [];
  const head = headWord(scope);
  if (scope.open === "(") return inArguments(c, scope);
  if (scope.open !== "{") return [];
  if (head === "fields" || head === "tasks") return inDeclarations(c, head === "fields" ? "field" : "task");
  if (headWord(scope, 2) === "model") return inModel(c);
  if (headWord(scope, 2) === "level" || head === "experts" || head === "towers") return inStage(c, head);
  return head ? inSection(c, head) : [];
}

/** The cursor's context, or undefined inside a comment or a string, where nothing completes. */
function cursorAt(text: string, offset: number, names: readonly Occurrence[], taskKinds: ReadonlyMap<string, string>): Cursor | undefined {
  const lexed = mssmLexer.tokenize(text);
  const inside = (t: IToken) => t.startOffset < offset && offset < t.startOffset + t.image.length;
  if ((lexed.groups["comments"] ?? []).some((t) => inside(t) || (t.image.startsWith("//") && t.startOffset < offset && offset === t.startOffset + t.image.length))) return undefined;
  if (lexed.tokens.some((t) => t.image.startsWith('"') && (inside(t) || (t.tokenType.name === "UnterminatedString" && offset === t.startOffset + t.image.length)))) return undefined;
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
  const inScope = tokens.slice(scopeStart);
  const prev = inScope[inScope.length - 1];
  return {
    text,
    offset,
    stack,
    inScope,
    prev,
    prev2: inScope[inScope.length - 2],
    entryStart: !prev || prev.image === "," || prev.image === ";" || prev.image === "}" || lineBreakAfter({ text, offset }, prev),
    taskNames: unique(names.filter((o) => o.role === "task").map((o) => o.name)),
    groupNames: unique(names.filter((o) => o.role === "group").map((o) => o.name)),
    taskKinds,
  };
}

/** Whether a line break lies between a token and the cursor. */
function lineBreakAfter(c: Pick<Cursor, "text" | "offset">, t: IToken): boolean {
  return /[\n\r]/.test(c.text.slice(t.startOffset + t.image.length, c.offset));
}

/** The word `back` tokens before a bracket (1: the one right before it). */
function headWord(s: Scope | undefined, back = 1): string | undefined {
  return s?.head[s.head.length - back]?.image;
}

/** Inside `kind(...)`: option names at an argument's start, values after `name:`. */
function inArguments(c: Cursor, scope: Scope): CompletionItem[] {
  const { prev, prev2 } = c;
  const head = headWord(scope);
  const context = argContext(scope, c.stack[c.stack.length - 2]);
  const info = context && head ? kindInfo(context, head) : undefined;
  if (!info) return [];
  if (prev?.image === ":" && prev2) return values(info.options.find((o) => o.name === prev2.image));
  if (!prev || prev.image === "," || prev.image === "(" || lineBreakAfter(c, prev)) return info.options.map(optionItem);
  return [];
}

/** Inside `fields { }` or `tasks { }`: the kinds, right after a declaration's name. */
function inDeclarations(c: Cursor, context: KindContext): CompletionItem[] {
  const { prev, prev2 } = c;
  const name = prev && (prev.tokenType.name === "StringLiteral" || WORD.test(prev.image));
  const nameStartsEntry = !prev2 || prev2.image === "," || prev2.image === ";" || prev2.image === "{" || (prev && /[\n\r]/.test(c.text.slice(prev2.startOffset + prev2.image.length, prev.startOffset)));
  if (prev && name && nameStartsEntry && !lineBreakAfter(c, prev)) return KINDS[context].map((k) => kindItem(context, k));
  return [];
}

/** Inside a model's body: task names in a `groups` or `tasks` list, else the entry keywords. */
function inModel(c: Cursor): CompletionItem[] {
  const { inScope, prev } = c;
  // Inside a `groups a, b` or `tasks a, b` list: walk back over the names and commas. Commas
  // also separate entries, so the list is tried before the start of a new entry.
  let i = inScope.length - 1;
  while (i >= 0 && (inScope[i]!.image === "," || inScope[i]!.tokenType.name === "StringLiteral" || WORD.test(inScope[i]!.image)) && !["groups", "tasks"].includes(inScope[i]!.image)) i--;
  const listHead = inScope[i]?.image;
  if ((listHead === "groups" || listHead === "tasks") && (prev?.image === "," || prev === inScope[i]) && !lineBreakAfter(c, prev!)) {
    const written = new Set(inScope.slice(i + 1).map((t) => t.image));
    const candidates = listHead === "groups" ? [...c.taskNames, "shared"] : c.taskNames;
    return candidates.filter((n) => !written.has(n)).map((n) => nameItem(n, "task"));
  }
  return c.entryStart ? keywords(["groups", "tasks", "select fields per group", "level", "towers", ...SECTIONS]) : [];
}

/** Inside `level N { }`, `experts { }` or `towers { }`: activations, connections, MLPs and names. */
function inStage(c: Cursor, head: string | undefined): CompletionItem[] {
  const { prev, prev2 } = c;
  if (prev?.image === "]") return ACTIVATIONS.map((a) => ({ label: a, kind: CompletionItemKind.EnumMember, detail: "activation" }));
  if (prev?.image === ":" && prev2?.image === "connect") return KINDS.connection.map((k) => kindItem("connection", k));
  if (prev?.image === ":") return [mlpItem(), ...(head === "experts" ? keywords(["none"]) : [])];
  if (!c.entryStart) return [];
  if (head === "experts") return c.groupNames.map((n) => nameItem(n, "group"));
  if (head === "towers") return [...keywords(["tower", "connect"]), ...c.taskNames.map((n) => nameItem(n, "task"))];
  return keywords(["experts", "connect"]);
}

/** Inside a `regularize`, `gates` or `train` section: its keys, and values after `key:`. */
function inSection(c: Cursor, head: string): CompletionItem[] {
  const { prev, prev2 } = c;
  const section = sectionInfo(head);
  if (!section) return [];
  const monitor = head === "train" ? inMonitor(c) : undefined;
  if (monitor) return monitor;
  if (prev?.image === ":" && prev2) {
    if (/optimizer$/.test(prev2.image)) return KINDS.optimizer.map((k) => kindItem("optimizer", k));
    return values(section.options.find((o) => o.name === prev2.image));
  }
  return c.entryStart || prev?.image === "{" ? section.options.map(optionItem) : [];
}

/** The tokens a metric sum is written with (`0.7 * click.auc + 0.3 * "my task".auc`). */
const METRIC_TOKENS = new Set(["Identifier", "StringLiteral", "NumberLiteral", "Dot", "Star", "Plus"]);

/**
 * Inside `monitor: ...` (specs/language.md, "train"): a task name where a term starts (after
 * `monitor:`, `+` or `WEIGHT *`), the task's metrics after `task.`; undefined outside a monitor.
 */
function inMonitor(c: Cursor): CompletionItem[] | undefined {
  const { inScope, prev, prev2 } = c;
  if (!prev || lineBreakAfter(c, prev)) return undefined;
  let i = inScope.length - 1;
  // Keywords are names too (a task may be called `group`).
  while (i >= 0 && (METRIC_TOKENS.has(inScope[i]!.tokenType.name) || WORD.test(inScope[i]!.image))) i--;
  if (inScope[i]?.image !== ":" || inScope[i - 1]?.image !== "monitor") return undefined;
  if (prev.image === ":" || prev.image === "+" || prev.image === "*") return c.taskNames.map((n) => nameItem(n, "task"));
  if (prev.image !== "." || !prev2) return [];
  const task = prev2.tokenType.name === "StringLiteral" ? (JSON.parse(prev2.image) as string) : prev2.image;
  const kind = c.taskKinds.get(task) as keyof typeof TASK_METRICS | undefined;
  const metrics = kind && kind in TASK_METRICS ? TASK_METRICS[kind] : unique(Object.values(TASK_METRICS).flat());
  return metrics.map((m) => ({ label: m, kind: CompletionItemKind.EnumMember, detail: LOWER_IS_BETTER.has(m) ? "lower is better (counted negated)" : "higher is better" }));
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
