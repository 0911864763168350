import { ACTIVATIONS, CONNECTION_KINDS, OPTIMIZER_DEFAULTS, specSchema, type OptimizerKind } from "../../compiler/index.js";

// What hover and completion say about kinds and options, read from specs/mssm.schema.json (its
// descriptions and defaults) so the editor and the checker never disagree about a default.

/** Where a kind word or an option is written, which decides the schema definition it belongs to. */
export type KindContext = "field" | "task" | "connection" | "optimizer";

/** One option of a kind or one key of a section. */
export interface OptionInfo {
  name: string;
  description: string | undefined;
  default: unknown;
  values: string[] | undefined;
}

type JsonSchema = { description?: string; default?: unknown; enum?: unknown[]; properties?: Record<string, JsonSchema>; $ref?: string };

const definitions = (specSchema["definitions"] ?? {}) as Record<string, JsonSchema>;
const topProperties = (specSchema["properties"] ?? {}) as Record<string, JsonSchema>;

/** The kinds that may be written in each context. */
export const KINDS: Record<KindContext, readonly string[]> = {
  field: ["categorical", "numeric", "multi_hot"],
  task: ["binary", "regression", "multiclass"],
  connection: CONNECTION_KINDS,
  optimizer: Object.keys(OPTIMIZER_DEFAULTS),
};

/** The sections of a model body that hold `key: value` properties. */
export const SECTIONS = ["regularize", "gates", "train"] as const;

export { ACTIVATIONS };

// The schema describes the connection object as a whole; each kind's meaning lives here.
const CONNECTION_TEXT: Record<string, string> = {
  dense: "Concatenation of the visible sources, fed to each expert's MLP.",
  cssm: "Cell-level sparse sharing (MSSM): each expert's first layer sums gate_s ⊙ (o_s W_s) over the visible sources s, with L0 hard-concrete gates per output unit (`granularity: cell`), per block (SNR-Trans) or per weight.",
  l0_average: "SNR-Aver: the sum over sources of z_s · o_s with one scalar L0 gate per source; source widths must be equal.",
  softmax_gate: "MMoE / CGC / PLE: a softmax over the visible experts, the gate queried on the consumer's input; widths must be equal.",
  cross_stitch: "Cross-Stitch: learned scalar mixing of the visible columns; widths must be equal.",
};

/** The schema description of a kind, and its options (for `connection` and `optimizer`, shared by all kinds). */
export function kindInfo(context: KindContext, kind: string): { description: string | undefined; options: OptionInfo[] } | undefined {
  if (!KINDS[context].includes(kind)) return undefined;
  if (context === "connection") return { description: CONNECTION_TEXT[kind], options: options(definitions["connection"]).filter((o) => o.name !== "kind" && (o.name !== "granularity" || kind === "cssm")) };
  if (context === "optimizer") {
    const defaults = OPTIMIZER_DEFAULTS[kind as OptimizerKind] as Record<string, unknown>;
    const all = options(definitions["optimizer"]).filter((o) => o.name in defaults);
    return { description: definitions["optimizer"]?.description, options: all.map((o) => ({ ...o, default: defaults[o.name] })) };
  }
  const def = definitions[kind];
  return { description: def?.description, options: options(def).filter((o) => o.name !== "kind" && o.name !== "name") };
}

/** The keys of a model section (`regularize`, `gates`, `train`). */
export function sectionInfo(section: string): { description: string | undefined; options: OptionInfo[] } | undefined {
  const def = topProperties[section];
  if (!def || !(SECTIONS as readonly string[]).includes(section)) return undefined;
  return { description: def.description, options: options(def) };
}

function options(def: JsonSchema | undefined): OptionInfo[] {
  return Object.entries(def?.properties ?? {}).map(([name, p]) => option(name, p));
}

function option(name: string, p: JsonSchema): OptionInfo {
  const target = p.$ref ? definitions[p.$ref.replace("#/definitions/", "")] : p;
  return { name, description: p.description ?? target?.description, default: p.default, values: p.enum?.map(String) };
}

/** An option as one line of Markdown: `name` (default x): description. */
export function optionLine(o: OptionInfo): string {
  const parts = [`\`${o.name}\``];
  if (o.default !== undefined) parts.push(`(default \`${JSON.stringify(o.default)}\`)`);
  if (o.values) parts.push(`one of ${o.values.map((v) => `\`${v}\``).join(", ")}`);
  return `- ${parts.join(" ")}${o.description ? `: ${o.description}` : ""}`;
}
