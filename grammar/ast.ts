import type { Span } from "../base/source/span.js";

// The .mssm abstract syntax tree. Every node carries the span of its source text. A node the
// parser could not complete has its missing parts `undefined`, never invented.

/** A name: an identifier (`education-num`) or a quoted string (`"native country"`). */
export interface Name {
  kind: "name";
  text: string;
  quoted: boolean;
  span: Span;
}

export interface NumberLit {
  kind: "number";
  /** The source text, kept so the formatter prints `1e-4` as written. */
  raw: string;
  value: number;
  span: Span;
}

export interface StringLit {
  kind: "string";
  value: string;
  /** The source text with its quotes. */
  raw: string;
  span: Span;
}

export interface ListLit {
  kind: "list";
  items: Value[];
  span: Span;
}

/** `adam(lr: 1e-3)`, `categorical(dim: 8)`, `relu`: a word with optional arguments. */
export interface TypeExpr {
  kind: "type";
  name: Name;
  /** `undefined` when written without parentheses. */
  args: Arg[] | undefined;
  span: Span;
}

export interface Arg {
  kind: "arg";
  key: Name | undefined;
  value: Value | undefined;
  span: Span;
}

/** `0.7 * click.auc`: a task's metric, with its weight when one is written. */
export interface MetricTerm {
  kind: "metric-term";
  weight: NumberLit | undefined;
  task: Name;
  metric: Name | undefined;
  span: Span;
}

/** `0.7 * click.auc + 0.3 * buy.auc`, or one metric `income.auc` (`train { monitor: ... }`). */
export interface MetricSum {
  kind: "metric-sum";
  terms: MetricTerm[];
  span: Span;
}

export type Value = NumberLit | StringLit | ListLit | TypeExpr | MetricSum;

/** `key: value` inside a section or a level. */
export interface Property {
  kind: "property";
  key: Name;
  value: Value | undefined;
  span: Span;
}

/** `import "path.mssm"` */
export interface ImportDecl {
  kind: "import";
  path: StringLit | undefined;
  span: Span;
}

/** One line of a fields or tasks block: `age numeric`, `income binary(label: Y)`. */
export interface Decl {
  kind: "decl";
  name: Name;
  type: TypeExpr | undefined;
  span: Span;
}

export interface FieldsBlock {
  kind: "fields";
  decls: Decl[];
  span: Span;
}

export interface TasksBlock {
  kind: "tasks";
  decls: Decl[];
  span: Span;
}

/** `[N x] mlp[w1, w2] activation` */
export interface MlpSpec {
  kind: "mlp";
  count: NumberLit | undefined;
  widths: NumberLit[];
  activation: Name | undefined;
  span: Span;
}

/** `experts: mlp[..]` (every group) or `experts { group: mlp[..] ... }`. */
export interface ExpertsEntry {
  kind: "experts";
  all: MlpSpec | undefined;
  perGroup: NamedExperts[] | undefined;
  span: Span;
}

/** `group: mlp[..]` or `group: none` inside `experts { }`. */
export interface NamedExperts {
  kind: "named-experts";
  name: Name;
  /** `undefined` for `none`. */
  spec: MlpSpec | undefined;
  span: Span;
}

export interface ConnectEntry {
  kind: "connect";
  type: TypeExpr | undefined;
  span: Span;
}

export interface LevelBlock {
  kind: "level";
  index: NumberLit | undefined;
  entries: (ExpertsEntry | ConnectEntry | Property)[];
  span: Span;
}

/** `task: mlp[..]` inside `towers { }`; the name `tower` sets the default for every task. */
export interface TowerEntry {
  kind: "tower";
  name: Name;
  spec: MlpSpec | undefined;
  span: Span;
}

export interface TowersBlock {
  kind: "towers";
  entries: (TowerEntry | ConnectEntry)[];
  span: Span;
}

export interface GroupsEntry {
  kind: "groups";
  names: Name[];
  span: Span;
}

/** `tasks a, b` inside a model: the declared tasks this model learns. */
export interface ModelTasks {
  kind: "model-tasks";
  names: Name[];
  span: Span;
}

/** `select fields per group(form: l0)`: field-level sparse selection (FSCM) for every group. */
export interface SelectEntry {
  kind: "select";
  /** `undefined` when written without parentheses. */
  args: Arg[] | undefined;
  span: Span;
}

/** `regularize { }`, `gates { }`, `train { }`. */
export interface Section {
  kind: "section";
  name: Name;
  properties: Property[];
  span: Span;
}

/** A model entry is also `key: value`, a model option (`sample_weight: w`). */
export type ModelEntry = GroupsEntry | ModelTasks | SelectEntry | LevelBlock | TowersBlock | Property | Section;

export interface ModelDecl {
  kind: "model";
  name: Name | undefined;
  entries: ModelEntry[];
  span: Span;
}

export type Item = ImportDecl | FieldsBlock | TasksBlock | ModelDecl;

export interface Comment {
  kind: "comment";
  text: string;
  span: Span;
}

export interface Document {
  kind: "document";
  items: Item[];
  comments: Comment[];
  span: Span;
}
