import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { compileSpec } from "../compiler/compile.js";
import { loadSpec } from "../compiler/load/load.js";
import type { Spec } from "../compiler/load/types.js";
import { loadData } from "../runtime/data/dataset.js";
import { inspectModelOnData, type Inspection } from "../runtime/inspect.js";
import { FIELD_KINDS, FIELDS_RECIPE_DEFAULTS, FIELDS_RECIPE_TASKS, writeFieldsRecipe, type Kind } from "../runtime/synth-fields.js";
import type { TrainedModel } from "../runtime/trained-model.js";
import { numberList, optionText, wholeNumber } from "./args.js";
import { trainAndTest } from "./quality.js";
import { markdownTable } from "./train-speed.js";

// Does field selection find the truth? On `mssmc synth --recipe fields` data (each task depends on
// a known set of fields; noise fields on none; runtime/synth-fields.ts), one data set per seed,
// every selection setting (a variant of an MSSM spec) and the baselines MMoE and Shared-Bottom are
// trained on the same rows (early stopping on valid.csv, the best checkpoint), then scored:
//
// - per task t, the fields its own group t still reads after training (`fieldSelection.selected`
//   of `mssmc inspect`: what the pruned export keeps) against truth.json:
//     precision = |selected ∩ true| / |selected|   (0 when nothing is selected)
//     recall    = |selected ∩ true| / |true|
// - noise fields still read by each group (the shared one too);
// - test AUC (binary) or RMSE (regression) against the best achievable (recipe.json, the oracle
//   that knows the generating function) and against MMoE and Shared-Bottom of the same seed:
//     AUC: the difference;  RMSE: the relative difference in %;
// - whether permutation importance on test rows ranks every true field of a task above every
//   noise field (min over true fields of the drop > max over noise fields).
//
// A variant is a few lines merged into a model template, so a new selection form is one entry in
// VARIANTS (or a spec file: --specs name=file.mssm, which must `import "fields.mssm"`).
//
//   node dist/bench/selection.js [--seeds 1,2,3] [--rows 30000,5000,10000] [--epochs 15]
//        [--patience 3] [--only mssm,mmoe] [--specs name=file.mssm,...] [--importance-rows 5000]
//        [--noise-fields 4] [--noise-kinds low_cat,numeric] [--overlap 0.5] [--threads 1]

/** A model to train, written as a template plus the lines that make this variant. */
export interface Variant {
  name: string;
  /** Which template (MODEL_TEMPLATES) it starts from. */
  template: keyof typeof MODEL_TEMPLATES;
  /** Entries merged into the template's `name { ... }` blocks (added as a new block where it has none). */
  sections?: Record<string, string>;
  /** Whole lines replaced: a template line that starts with the key becomes the value. */
  replace?: Record<string, string>;
  /** What the variant tests, for the table's heading. */
  about: string;
}

/**
 * Templates modelled on specs/zoo (mssm.mssm, mmoe.mssm, shared-bottom.mssm) for the recipe's
 * tasks: the MSSM one has a group per task plus a shared one, on private paths (a task group's
 * level-1 expert reads its own fields, a task's level-2 expert its group's and the shared group's:
 * specs/language.md, "Which fields a task reads"), and says nothing about gates, so a variant
 * without sections measures the language's defaults. All train alike: Adam 3e-3 (at the
 * zoo's 1e-3, MMoE's buy task stayed about 0.06 AUC short in 10 epochs), batch 512.
 */
export const MODEL_TEMPLATES = {
  mssm: [
    "groups click, buy, dwell, shared",
    "select fields per group",
    "level 1 { experts: mlp[64] relu, connect: cssm(sources: own) }",
    "level 2 { experts { click: mlp[32] relu, buy: mlp[32] relu, dwell: mlp[32] relu }, connect: cssm(sources: own_and_shared) }",
    "towers { tower: mlp[16] relu }",
    "regularize { l2: 1e-5 }",
    "train { optimizer: adam(lr: 3e-3), batch: 512, epochs: 15, seed: 7 }",
  ],
  mmoe: [
    "groups shared",
    "level 1 { experts: 8 x mlp[64, 32] relu }",
    "towers { tower: mlp[16] relu, connect: softmax_gate }",
    "regularize { l2: 1e-5 }",
    "train { optimizer: adam(lr: 3e-3), batch: 512, epochs: 15, seed: 7 }",
  ],
  "shared-bottom": [
    "groups shared",
    "level 1 { experts: mlp[256, 32] relu }",
    "towers { tower: mlp[16] relu }",
    "regularize { l2: 1e-5 }",
    "train { optimizer: adam(lr: 3e-3), batch: 512, epochs: 15, seed: 7 }",
  ],
} as const;

/** The settings compared by default: selection forms first, then the baselines. */
export const VARIANTS: readonly Variant[] = [
  {
    name: "mssm",
    template: "mssm",
    about: "the spec silent on selection and gates (the language's defaults: field gates (form l0), l0 3e-4, l0_fields 3e-3, gates on adam 0.2, gate warm-up half the epochs, the field check on the validation rows), on private paths",
  },
  { name: "mssm-no-check", template: "mssm", sections: { train: "validate_fields: false" }, about: "the defaults without the field check on the validation rows (validate_fields: false): the L0 term alone selects" },
  {
    name: "mssm-all-sources",
    template: "mssm",
    replace: {
      "level 1": "level 1 { experts: mlp[64] relu, connect: cssm }",
      "level 2": "level 2 { experts { click: mlp[32] relu, buy: mlp[32] relu, dwell: mlp[32] relu }, connect: cssm }",
    },
    about: "the defaults on the zoo's topology (cssm with sources: all at both levels: every level-1 expert reads every group's fields, so every group serves every task and its fields are no one task's)",
  },
  { name: "mssm-f1e-2", template: "mssm", sections: { regularize: "l0_fields: 1e-2" }, about: "the defaults with a stronger field-gate weight, l0_fields 1e-2" },
  { name: "mssm-no-warmup", template: "mssm", sections: { train: "gate_warmup: 0" }, about: "the defaults without the gate warm-up (gate_warmup 0)" },
  { name: "mssm-noise-example", template: "mssm", sections: { gates: "noise: per_example" }, about: "the defaults with gate noise drawn per example for every gate (gates.noise per_example)" },
  { name: "mssm-noise-fields", template: "mssm", sections: { gates: "noise: per_example_fields" }, about: "the defaults with gate noise drawn per example for the field gates, per step for the cell gates (gates.noise per_example_fields)" },
  {
    name: "mssm-noise-example-f1e-2",
    template: "mssm",
    sections: { gates: "noise: per_example", regularize: "l0_fields: 1e-2" },
    about: "gate noise drawn per example for every gate, with the stronger field-gate weight l0_fields 1e-2",
  },
  {
    name: "mssm-b0",
    template: "mssm",
    replace: { "select fields per group": "select fields per group(form: tanh)" },
    sections: { gates: "select_offset: 0" },
    about: "FSCM w = relu(tanh(g·e)), the paper's form (form tanh, select_offset 0)",
  },
  {
    name: "mssm-b1",
    template: "mssm",
    replace: { "select fields per group": "select fields per group(form: tanh)" },
    about: "FSCM w = relu(tanh(g·e + 1)) (form tanh, select_offset 1: the default form before field gates)",
  },
  {
    name: "mssm-learned",
    template: "mssm",
    replace: { "select fields per group": "select fields per group(form: learned_offset)" },
    about: "FSCM w = relu(tanh(g·e + b_fj)), b_fj learned from select_offset (form learned_offset)",
  },
  {
    name: "mssm-l0-tanh",
    template: "mssm",
    replace: { "select fields per group": "select fields per group(form: l0_tanh)" },
    about: "the field gate times the tanh mask, w = z · relu(tanh(g·e + b)) (form l0_tanh), other settings the defaults",
  },
  {
    name: "mssm-zoo",
    template: "mssm",
    replace: { "select fields per group": "select fields per group(form: tanh)" },
    sections: { gates: "init_drop: 0.3", regularize: "l0: 1e-3", train: "gate_optimizer: adam(lr: 3e-2), gate_warmup: 0" },
    about: "the zoo MSSM's earlier hand-tuned L0 settings (form tanh, l0 1e-3, gate lr 3e-2, init_drop 0.3, no warm-up)",
  },
  { name: "mmoe", template: "mmoe", about: "MMoE: 8 shared experts, a softmax gate per task" },
  { name: "shared-bottom", template: "shared-bottom", about: "Shared-Bottom: one shared MLP, a tower per task" },
];

/** The baselines every variant is compared with. */
const BASELINES = ["mmoe", "shared-bottom"] as const;

/** The model block of a variant: its template with the variant's sections merged in. */
export function variantModel(v: Variant): string {
  const lines: string[] = MODEL_TEMPLATES[v.template].map((line) => {
    const replaced = Object.entries(v.replace ?? {}).find(([start]) => line.startsWith(start));
    return replaced ? replaced[1] : line;
  });
  const pending = new Map(Object.entries(v.sections ?? {}));
  const merged = lines.map((line) => {
    const m = /^([\w ]+?) \{ (.*) \}$/.exec(line);
    const extra = m ? pending.get(m[1]!) : undefined;
    if (!m || extra === undefined) return line;
    pending.delete(m[1]!);
    return `${m[1]} { ${m[2]}, ${extra} }`;
  });
  for (const [name, body] of pending) merged.push(`${name} { ${body} }`);
  const model = v.name.replace(/[^A-Za-z0-9_]/g, "_");
  return [`// ${v.about}`, `import "fields.mssm"`, "", `model ${model} {`, ...merged.map((l) => `  ${l}`), "}", ""].join("\n");
}

/** How the benchmark runs. */
export interface SelectionOptions {
  seeds: number[];
  rows: { train: number; valid: number; test: number };
  epochs: number;
  patience: number;
  /** Variant names to run (undefined: all); the baselines always run. */
  only?: string[];
  /** Extra variants from spec files: name -> file. */
  specs: Record<string, string>;
  /** Test rows permutation importance is measured on. */
  importanceRows: number;
  noiseFields: number;
  /** The kinds the noise fields take in turn (mssmc synth --noise-kinds). */
  noiseKinds: readonly Kind[];
  overlap: number;
  threads: number;
}

export const SELECTION_DEFAULTS: SelectionOptions = {
  seeds: [1, 2, 3],
  rows: { train: 30000, valid: 5000, test: 10000 },
  epochs: 15,
  patience: 3,
  specs: {},
  importanceRows: 5000,
  noiseFields: FIELDS_RECIPE_DEFAULTS.noiseFields,
  noiseKinds: FIELDS_RECIPE_DEFAULTS.noiseKinds,
  overlap: FIELDS_RECIPE_DEFAULTS.overlap,
  threads: 1,
};

/** "high_cat,numeric" as field kinds. */
function noiseKinds(text: string): Kind[] {
  const kinds = text.split(",").filter((k) => k !== "");
  const bad = kinds.find((k) => !(FIELD_KINDS as readonly string[]).includes(k));
  if (bad !== undefined || kinds.length === 0) throw new Error(`--noise-kinds needs a list of ${FIELD_KINDS.join(", ")}, got "${text}"`);
  return kinds as Kind[];
}

/** The options of the command line, over SELECTION_DEFAULTS. */
export function selectionOptions(argv: readonly string[]): SelectionOptions {
  const d = SELECTION_DEFAULTS;
  const rows = numberList(argv, "rows", [d.rows.train, d.rows.valid, d.rows.test], true);
  if (rows.length !== 3 || rows.some((r) => r < 1)) throw new Error(`--rows needs three positive whole numbers train,valid,test`);
  const only = optionText(argv, "only")?.split(",").filter((s) => s !== "");
  const specs: Record<string, string> = {};
  for (const entry of optionText(argv, "specs")?.split(",").filter((s) => s !== "") ?? []) {
    const [name, file] = entry.split("=");
    if (!name || !file) throw new Error(`--specs needs name=file.mssm entries, got "${entry}"`);
    specs[name] = file;
  }
  const overlap = Number(optionText(argv, "overlap") ?? d.overlap);
  if (!(overlap >= 0 && overlap <= 1)) throw new Error(`--overlap needs a number in [0, 1]`);
  return {
    seeds: numberList(argv, "seeds", d.seeds, true),
    rows: { train: rows[0]!, valid: rows[1]!, test: rows[2]! },
    epochs: wholeNumber(argv, "epochs", d.epochs, 1),
    patience: wholeNumber(argv, "patience", d.patience, 0),
    ...(only ? { only } : {}),
    specs,
    importanceRows: wholeNumber(argv, "importance-rows", d.importanceRows, 1),
    noiseFields: wholeNumber(argv, "noise-fields", d.noiseFields, 0),
    noiseKinds: noiseKinds(optionText(argv, "noise-kinds") ?? d.noiseKinds.join(",")),
    overlap,
    threads: wholeNumber(argv, "threads", d.threads, 1),
  };
}

/** Precision and recall of a selected field set against the true one (precision 0 when nothing is selected). */
export function precisionRecall(selected: readonly string[], truth: readonly string[]): { precision: number; recall: number } {
  const hits = selected.filter((f) => truth.includes(f)).length;
  return { precision: selected.length ? hits / selected.length : 0, recall: truth.length ? hits / truth.length : 1 };
}

/** Whether every true field's importance is above every noise field's. */
export function ranksTruthFirst(drop: readonly number[], fields: readonly string[], truth: readonly string[], noise: readonly string[]): boolean {
  const of = (names: readonly string[]) => names.map((n) => drop[fields.indexOf(n)]!);
  return Math.min(...of(truth)) > Math.max(...of(noise));
}

/** One trained variant on one seed's data, scored. */
export interface SelectionRun {
  variant: string;
  seed: number;
  /** Test AUC (binary) or RMSE (regression) per task. */
  metrics: Record<string, number>;
  /** The oracle's, from recipe.json. */
  best: Record<string, number>;
  /** Per task: precision and recall of its own group's fields (absent without a group per task). */
  selection?: Record<string, { precision: number; recall: number }>;
  /** Per group: noise fields it still reads (absent without field selection). */
  noiseOpen?: Record<string, number>;
  /** Per task: importance ranks every true field above every noise field. */
  importanceRanks: Record<string, boolean>;
  epochs: number;
  bestEpoch: number;
  trainSeconds: number;
}

/** Scores an inspection against the truth: selection per task and noise per group, importance ranking. */
export function scoreInspection(x: Pick<Inspection, "fieldSelection" | "importance">, truth: Record<string, string[]>, noise: readonly string[]): Pick<SelectionRun, "selection" | "noiseOpen" | "importanceRanks"> {
  const out: Pick<SelectionRun, "selection" | "noiseOpen" | "importanceRanks"> = { importanceRanks: {} };
  const fs = x.fieldSelection;
  if (!("unavailable" in fs) && fs.selected) {
    const chosen = (group: string) => fs.fields.filter((_f, i) => fs.selected![i]![fs.groups.indexOf(group)]);
    const tasks = Object.keys(truth).filter((t) => fs.groups.includes(t));
    if (tasks.length) out.selection = Object.fromEntries(tasks.map((t) => [t, precisionRecall(chosen(t), truth[t]!)]));
    out.noiseOpen = Object.fromEntries(fs.groups.map((g) => [g, chosen(g).filter((f) => noise.includes(f)).length]));
  }
  const imp = x.importance;
  if (!("unavailable" in imp)) imp.tasks.forEach((t, k) => (out.importanceRanks[t] = ranksTruthFirst(imp.drop[k]!, imp.fields, truth[t]!, noise)));
  return out;
}

/** The data of one seed: the files and what they say about themselves. */
interface SeedData {
  dir: string;
  files: { train: string; valid: string; test: string };
  truth: Record<string, string[]>;
  noise: string[];
  best: Record<string, number>;
}

/** Writes the seed's truth data into `dir`. */
function seedData(dir: string, seed: number, o: SelectionOptions): SeedData {
  const w = writeFieldsRecipe(dir, { ...FIELDS_RECIPE_DEFAULTS, rows: o.rows, noiseFields: o.noiseFields, noiseKinds: o.noiseKinds, overlap: o.overlap, seed });
  const best = Object.fromEntries(Object.entries(w.best).map(([t, m]) => [t, "auc" in m ? m.auc : m.rmse]));
  return { dir, files: { train: w.files.train, valid: w.files.valid, test: w.files.test }, truth: w.problem.truth, noise: w.problem.fields.filter((f) => f.noise).map((f) => f.name), best };
}

/** Loads a spec file written next to fields.mssm. */
function checkedSpec(file: string): Spec {
  const loaded = loadSpec(file);
  if (!loaded.spec) throw new Error(`${file} does not check: ${loaded.diagnostics.map((d) => d.message).join("; ")}`);
  return loaded.spec;
}

/** Trains one spec on one seed's data and scores it. */
export async function selectionRun(name: string, specFile: string, data: SeedData, seed: number, o: SelectionOptions): Promise<SelectionRun> {
  const spec = checkedSpec(specFile);
  let model: TrainedModel | undefined;
  const run = await trainAndTest(spec, data.files, seed, { epochs: o.epochs, patience: o.patience, validFraction: 0, threads: o.threads }, (m) => (model = m));
  if (!model) throw new Error("trainAndTest did not hand over the trained model");
  const test = (await loadData(model.manifest.spec, data.files.test, model.preprocessing)).data;
  const evalModel = compileSpec(model.manifest.spec).files["eval.onnx"];
  const x = await inspectModelOnData(model, evalModel, { checkpoint: "best", data: test, sample: o.importanceRows, repeats: 3, seed: 1, threads: o.threads });
  const kinds = Object.fromEntries(spec.tasks.map((t) => [t.name, t.kind]));
  // trainAndTest reports MSE for regression; the recipe's oracle reports RMSE.
  const metrics = Object.fromEntries(Object.entries(run.metrics).map(([t, v]) => [t, kinds[t] === "regression" ? Math.sqrt(v) : v]));
  return { variant: name, seed, metrics, best: data.best, ...scoreInspection(x, data.truth, data.noise), epochs: run.epochs, bestEpoch: run.bestEpoch, trainSeconds: run.trainSeconds };
}

/** mean [min, max] of values, with `digits`; "–" for none. */
export function spread(xs: readonly number[], digits: number, signed = false): string {
  if (xs.length === 0) return "–";
  const f = (x: number) => `${signed && x >= 0 ? "+" : ""}${x.toFixed(digits)}`;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.length === 1 ? f(mean) : `${f(mean)} [${f(Math.min(...xs))}, ${f(Math.max(...xs))}]`;
}

/** How much better `a` is than `b` on a task: AUC difference, or RMSE lower by this % (negative: worse). */
function advantage(kind: string, a: number, b: number): number {
  return kind === "binary" ? a - b : (100 * (b - a)) / b;
}

/** The table of one variant: a row per task, each cell mean [min, max] over seeds; then its noise fields per group. */
export function formatVariant(variant: string, runs: readonly SelectionRun[], all: readonly SelectionRun[]): string[] {
  const mine = runs.filter((r) => r.variant === variant);
  const header = ["task", "metric", "test", "best achievable", "vs best", "vs mmoe", "vs shared-bottom", "precision", "recall", "noise open (own group)", "importance true > noise"];
  const rows = FIELDS_RECIPE_TASKS.map((t) => {
    const binary = t.kind === "binary";
    const vs = (baseline: string) => {
      const diffs = mine.flatMap((r) => {
        const b = all.find((x) => x.variant === baseline && x.seed === r.seed);
        return b ? [advantage(t.kind, r.metrics[t.name]!, b.metrics[t.name]!)] : [];
      });
      return spread(diffs, binary ? 4 : 1, true) + (binary || diffs.length === 0 ? "" : "%");
    };
    const sel = mine.filter((r) => r.selection?.[t.name]);
    return [
      t.name,
      binary ? "AUC" : "RMSE",
      spread(mine.map((r) => r.metrics[t.name]!), 4),
      spread(mine.map((r) => r.best[t.name]!), 4),
      spread(mine.map((r) => advantage(t.kind, r.metrics[t.name]!, r.best[t.name]!)), binary ? 4 : 1, true) + (binary ? "" : "%"),
      variant === "mmoe" ? "–" : vs("mmoe"),
      variant === "shared-bottom" ? "–" : vs("shared-bottom"),
      spread(sel.map((r) => r.selection![t.name]!.precision), 2),
      spread(sel.map((r) => r.selection![t.name]!.recall), 2),
      spread(mine.filter((r) => r.noiseOpen?.[t.name] !== undefined).map((r) => r.noiseOpen![t.name]!), 1),
      `${mine.filter((r) => r.importanceRanks[t.name]).length} / ${mine.length} seeds`,
    ];
  });
  const lines = markdownTable(header, rows);
  const groups = [...new Set(mine.flatMap((r) => Object.keys(r.noiseOpen ?? {})))];
  if (groups.length) lines.push("", `noise fields still read per group (mean [min, max] over seeds): ${groups.map((g) => `${g} ${spread(mine.map((r) => r.noiseOpen![g]!), 1)}`).join(", ")}`);
  lines.push("", `epochs (best): ${mine.map((r) => `${r.epochs} (${r.bestEpoch})`).join(", ")}; train s: ${mine.map((r) => r.trainSeconds.toFixed(0)).join(", ")}`);
  return lines;
}

/** The variants to run: the chosen ones of VARIANTS, the spec files, and always the baselines. */
export function chosenVariants(o: SelectionOptions): Variant[] {
  const chosen = VARIANTS.filter((v) => !o.only || o.only.includes(v.name) || (BASELINES as readonly string[]).includes(v.name));
  const unknown = (o.only ?? []).filter((n) => !VARIANTS.some((v) => v.name === n) && !(n in o.specs));
  if (unknown.length) throw new Error(`--only: no variant ${unknown.join(", ")} (known: ${VARIANTS.map((v) => v.name).join(", ")})`);
  return chosen;
}

/** Runs every variant on every seed's data; `log` hears each run. */
export async function selectionBench(o: SelectionOptions, work: string, log: (s: string) => void = () => {}): Promise<SelectionRun[]> {
  const runs: SelectionRun[] = [];
  const variants = chosenVariants(o);
  for (const seed of o.seeds) {
    const data = seedData(join(work, `seed${seed}`), seed, o);
    const specs: [string, string][] = variants.map((v) => {
      const file = join(data.dir, `${v.name}.mssm`);
      writeFileSync(file, variantModel(v));
      return [v.name, file];
    });
    for (const [name, source] of Object.entries(o.specs)) {
      const file = join(data.dir, `${name}-${basename(source)}`);
      writeFileSync(file, readFileSync(source, "utf8"));
      specs.push([name, file]);
    }
    for (const [name, file] of specs) {
      const r = await selectionRun(name, file, data, seed, o);
      log(`  ${name} seed ${seed}: ${Object.entries(r.metrics).map(([t, v]) => `${t} ${v.toFixed(4)}`).join(", ")}; ${r.epochs} epochs (best ${r.bestEpoch}); ${r.trainSeconds.toFixed(0)} s`);
      runs.push(r);
    }
  }
  return runs;
}

/** Command-line entry: every variant on every seed, then a table per variant. */
export async function main(argv: string[]): Promise<void> {
  let o: SelectionOptions;
  try {
    o = selectionOptions(argv);
    chosenVariants(o);
  } catch (e) {
    process.stderr.write(`selection: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const say = (s: string) => process.stdout.write(s + "\n");
  const work = mkdtempSync(join(tmpdir(), "mssmc-selection-"));
  try {
    const runs = await selectionBench(o, work, (s) => process.stderr.write(s + "\n"));
    say(
      `node ${process.version}; mssmc synth --recipe fields --rows ${o.rows.train},${o.rows.valid},${o.rows.test} --noise-fields ${o.noiseFields} --noise-kinds ${o.noiseKinds.join(",")} --overlap ${o.overlap} --seed S for S in ${o.seeds.join(",")}; ` +
        `up to ${o.epochs} epochs, patience ${o.patience} on valid.csv, best checkpoint on test.csv; importance on ${o.importanceRows} test rows, 3 shuffles; ${o.threads} intra-op thread(s)`,
    );
    say(
      "Cells: mean [min, max] over seeds. vs columns: AUC difference, or how much lower the RMSE is in % (negative: worse than the oracle or the baseline). " +
        "precision/recall: the fields the task's own group still reads (what the pruned export keeps) against truth.json.",
    );
    for (const name of [...new Set(runs.map((r) => r.variant))]) {
      const v = VARIANTS.find((x) => x.name === name);
      say("");
      say(`### ${name}: ${v?.about ?? o.specs[name]}`);
      say("");
      for (const line of formatVariant(name, runs, runs)) say(line);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main(process.argv.slice(2));
