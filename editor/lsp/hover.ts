import type * as A from "../../grammar/ast.js";
import type { Span } from "../../base/source/span.js";
import { inputWidth, type Producer, type Spec, type Stage } from "../../compiler/index.js";
import type { HoverParams, Hover } from "vscode-languageserver/node.js";
import type { Checker } from "./diagnostics.js";
import { declarationsOf, occurrenceAt, type Occurrence } from "./occurrences.js";
import type { ParsedDoc } from "./parsed-doc.js";
import { toOffset, toRange } from "./positions.js";
import { guarded, viewOf, type Services } from "./request.js";
import { kindInfo, optionLine, sectionInfo, type KindContext } from "./schema-info.js";
import { nodesAt, type Node } from "./syntax.js";

// Hover text: what a field, task, group, kind, option, level or MLP is, with its defaults and,
// when the spec checks, the shapes the compiler will build (widths read and produced).

/** Answers hover requests, with the document's last check for what the compiler will build. */
export function registerHover(s: Services, checker: Checker): void {
  s.connection.onHover(
    guarded(s.connection, "hover", null, (p: HoverParams, token): Hover | null => {
      const v = viewOf(s, p.textDocument.uri);
      if (!v || token.isCancellationRequested) return null;
      const c = checker.current(p.textDocument.uri);
      const h = hoverAt({ doc: v.main, docs: v.docs, occurrences: v.names, spec: c?.load.spec, stages: c?.stages }, toOffset(v.main.table, p.position));
      return h ? { contents: { kind: "markdown", value: h.markdown }, range: toRange(v.main.table, h.span) } : null;
    }),
  );
}

/** What the hover needs: the file, its project (imports), the name index, and the checked spec if any. */
export interface HoverInput {
  doc: ParsedDoc;
  docs: readonly ParsedDoc[];
  occurrences: readonly Occurrence[];
  spec: Spec | undefined;
  stages: Stage[] | undefined;
}

/** Markdown describing what is under `offset`, and the span it describes; undefined for nothing. */
export function hoverAt(input: HoverInput, offset: number): { markdown: string; span: Span } | undefined {
  if (input.doc.document.comments.some((c) => c.span.start <= offset && offset < c.span.end)) return undefined;
  const occurrence = occurrenceAt(input.occurrences, input.doc.path, offset);
  if (occurrence) return { markdown: describeName(input, occurrence), span: occurrence.span };
  const chain = nodesAt(input.doc.document, offset);
  for (let i = chain.length - 1; i > 0; i--) {
    const node = chain[i]!;
    const parent = chain[i - 1]!;
    if (node.kind === "name" && parent.kind === "type") {
      const context = kindContext(chain.slice(0, i - 1));
      const text = context && describeKind(context, (node as A.Name).text);
      if (text) return { markdown: text, span: node.span };
    }
    if (node.kind === "name" && parent.kind === "arg") {
      const type = chain[i - 2] as A.TypeExpr | undefined;
      const context = kindContext(chain.slice(0, i - 2));
      const info = context && type ? kindInfo(context, type.name.text) : undefined;
      const o = info?.options.find((x) => x.name === (node as A.Name).text);
      if (o) return { markdown: optionLine(o).slice(2), span: node.span };
    }
    if (node.kind === "name" && parent.kind === "property") {
      const section = chain[i - 2];
      const info = section?.kind === "section" ? sectionInfo((section as A.Section).name.text) : undefined;
      const o = info?.options.find((x) => x.name === (node as A.Name).text);
      if (o) return { markdown: optionLine(o).slice(2), span: node.span };
    }
    if (node.kind === "name" && parent.kind === "section") {
      const info = sectionInfo((node as A.Name).text);
      if (info) return { markdown: [`**${(node as A.Name).text}**${info.description ? `: ${info.description}` : ""}`, "", ...info.options.map(optionLine)].join("\n"), span: node.span };
    }
    if (node.kind === "mlp") return { markdown: describeMlp(node as A.MlpSpec), span: node.span };
    if (node.kind === "level") {
      const level = node as A.LevelBlock;
      // Only the head `level N` describes the whole level; inside, the entries speak for themselves.
      const headEnd = level.index?.span.end ?? level.span.start + 5;
      if (offset <= headEnd) return { markdown: describeLevel(input, level), span: { start: level.span.start, end: headEnd } };
    }
  }
  return keywordHover(input.doc.text, offset);
}

// What each keyword introduces, for hovers on the words that are not names.
const KEYWORD_TEXT: Record<string, string> = {
  import: "`import \"path.mssm\"`: take the fields and tasks of another file, resolved relative to this one.",
  fields: "`fields { NAME KIND(options) ... }`: input fields (`categorical`, `numeric`, `multi_hot`); each reads the column of its own name unless `column` says otherwise.",
  tasks: "`tasks { NAME KIND(options) ... }` declares tasks (`binary`, `regression`, `multiclass`); inside a model, `tasks a, b` picks the ones it learns.",
  model: "`model NAME { ... }`: the network; a file without one is a library for others to import.",
  groups: "`groups a, b, shared`: the sub-network columns; a group named after a task belongs to it, any other is shared.",
  select: "`select fields per group`: field-level sparse selection (FSCM); each group gets its own gated view of every field embedding.",
  experts: "`experts: [N x] mlp[w...] act` gives every group the same experts; `experts { group: ..., other: none }` gives them per group.",
  connect: "`connect: KIND(options)`: how the sub-networks read the previous stage (`dense`, `cssm`, `l0_average`, `softmax_gate`, `cross_stitch`).",
  towers: "`towers { tower: mlp[..] act, TASK: mlp[..] act, connect: ... }`: one tower per task; `tower` is the default, a task's name overrides it.",
  tower: "`tower`: the default tower of every task that has none of its own.",
  none: "`none`: this group has no experts at this level.",
};

/** The description of the keyword under the cursor. */
function keywordHover(text: string, offset: number): { markdown: string; span: Span } | undefined {
  let start = offset;
  let end = offset;
  while (start > 0 && /[A-Za-z_]/.test(text[start - 1]!)) start--;
  while (end < text.length && /[A-Za-z_]/.test(text[end]!)) end++;
  const word = text.slice(start, end);
  const markdown = Object.hasOwn(KEYWORD_TEXT, word) ? KEYWORD_TEXT[word] : undefined;
  return markdown ? { markdown, span: { start, end } } : undefined;
}

/** Which schema definition a kind word belongs to, from the nodes around it. */
function kindContext(ancestors: Node[]): KindContext | undefined {
  const parent = ancestors[ancestors.length - 1];
  const grand = ancestors[ancestors.length - 2];
  if (parent?.kind === "decl") return grand?.kind === "fields" ? "field" : grand?.kind === "tasks" ? "task" : undefined;
  if (parent?.kind === "connect") return "connection";
  if (parent?.kind === "property" && /optimizer$/.test((parent as A.Property).key.text)) return "optimizer";
  return undefined;
}

function describeKind(context: KindContext, kind: string): string | undefined {
  const info = kindInfo(context, kind);
  if (!info) return undefined;
  const title = { field: "field kind", task: "task kind", connection: "connection", optimizer: "optimizer" }[context];
  return [`**${title}** \`${kind}\`${info.description ? `: ${info.description}` : ""}`, "", ...info.options.map(optionLine)].join("\n");
}

function describeMlp(m: A.MlpSpec): string {
  const count = m.count?.value ?? 1;
  const widths = m.widths.map((w) => w.value);
  const act = m.activation?.text ?? "relu";
  const out = widths[widths.length - 1];
  return `**${count} × mlp[${widths.join(", ")}] ${act}**: ${count === 1 ? "one expert" : `${count} experts`} with hidden layers of ${widths.join(", ") || "no"} units, ${act} after each${m.activation ? "" : " (default)"}; output width ${out ?? "(none)"}.`;
}

/** `income ×2 (64)`: a stage's producers grouped by group. */
function producers(list: Producer[]): string {
  const groups = new Map<string, { n: number; width: number }>();
  for (const p of list) {
    const key = p.input ? "input" : p.group;
    const g = groups.get(key) ?? { n: 0, width: p.width };
    g.n++;
    groups.set(key, g);
  }
  return [...groups].map(([g, { n, width }]) => `\`${g}\`${n > 1 ? ` ×${n}` : ""} (${width} wide)`).join(", ") || "nothing";
}

function describeLevel(input: HoverInput, level: A.LevelBlock): string {
  const index = level.index?.value;
  const stage = input.stages?.find((s) => s.index === index);
  const lines = [`**level ${index ?? "?"}**: a stage of expert sub-networks; \`connect\` says how they read the previous stage.`];
  if (stage) {
    lines.push("", `connect: \`${stage.connect?.kind}\``);
    for (const c of stage.consumers) lines.push(`- \`${c.name}\` reads (${c.sources}): ${producers(c.reads)}`);
    lines.push(`- offers: ${producers(stage.producers)}`);
  }
  return lines.join("\n");
}

/** The source of the declaration an occurrence refers to, for its kind and arguments. */
function declNode(input: HoverInput, o: Occurrence): A.Decl | undefined {
  const decl = declarationsOf(input.occurrences, o)[0];
  const doc = input.docs.find((d) => d.path === decl?.file);
  if (!decl || !doc) return undefined;
  for (const item of doc.document.items) {
    if (item.kind !== "fields" && item.kind !== "tasks") continue;
    const d = item.decls.find((x) => x.name.span.start === decl.span.start);
    if (d) return d;
  }
  return undefined;
}

function describeName(input: HoverInput, o: Occurrence): string {
  const spec = input.spec;
  if (o.namespace === "field") {
    const decl = declNode(input, o);
    const kind = decl?.type?.name.text;
    const lines = [`**field** \`${o.name}\`${kind ? `: \`${kind}\`` : ""}`];
    const field = spec?.fields.find((f) => f.name === o.name);
    if (field && spec) {
      lines.push("", `reads column \`${field.column}\`; embedding width ${field.dim} of the ${inputWidth(spec)}-wide input (${spec.fields.length} fields)`);
    }
    if (kind) lines.push("", ...describeArgs("field", kind, decl?.type?.args));
    return lines.join("\n");
  }
  const decl = declNode(input, o);
  const isTask = !!decl || !!spec?.tasks.some((t) => t.name === o.name);
  const lines: string[] = [];
  if (isTask) {
    const kind = decl?.type?.name.text;
    lines.push(`**task** \`${o.name}\`${kind ? `: \`${kind}\`` : ""}`);
    const task = spec?.tasks.find((t) => t.name === o.name);
    if (task) lines.push("", `label column \`${task.label}\`, loss weight ${task.weight}, output ${task.kind === "multiclass" ? `${task.classes} logits` : "1 logit"}`);
    const tower = spec?.towers.tasks[o.name];
    const consumer = input.stages?.[input.stages.length - 1]?.consumers.find((c) => c.name === o.name);
    if (tower && consumer) lines.push("", `tower mlp[${tower.widths.join(", ")}] ${tower.activation}, reads (${consumer.sources}): ${producers(consumer.reads)}`);
    if (kind) lines.push("", ...describeArgs("task", kind, decl?.type?.args));
  }
  const isGroup = spec ? spec.groups.includes(o.name) : o.role === "group" || o.role === "group-ref";
  if (isGroup) {
    if (lines.length) lines.push("");
    lines.push(`**group** \`${o.name}\`: ${isTask ? `the sub-network column of task \`${o.name}\`` : "a shared sub-network column"}`);
    for (const stage of input.stages ?? []) {
      if (stage.index === 0 && spec?.select_fields) lines.push(`- input: its own FSCM selection of the fields (${stage.producers[0]?.width ?? 0} wide)`);
      const level = spec?.levels[stage.index - 1];
      const experts = level?.experts[o.name];
      const consumer = stage.consumers.find((c) => c.name === o.name);
      if (experts && consumer && level) {
        lines.push(`- level ${stage.index}: ${experts.count} × mlp[${experts.widths.join(", ")}] ${experts.activation} via \`${level.connect.kind}\`, reads (${consumer.sources}): ${producers(consumer.reads)}`);
      }
    }
  }
  return lines.join("\n");
}

/** One line per option of a kind: the value written, or the default. */
function describeArgs(context: KindContext, kind: string, args: A.Arg[] | undefined): string[] {
  const info = kindInfo(context, kind);
  if (!info) return [];
  const written = new Set((args ?? []).map((a) => a.key?.text).filter((k): k is string => !!k));
  return [info.description ?? "", ...info.options.filter((o) => !written.has(o.name)).map((o) => optionLine(o))].filter((l) => l !== "");
}
