import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../base/package-root.js";
import { zooMssm } from "./zoo.js";
import { DEFAULT_GATE_OPTIMIZER, DEFAULT_GATES, DEFAULT_REGULARIZE, normalizeOptimizer } from "../compiler/load/normalize.js";
import type { Spec } from "../compiler/load/types.js";
import { exportModel } from "../runtime/export.js";
import { numberList, wholeNumber } from "./args.js";
import { trainAndTest } from "./quality.js";
import { spread } from "./selection.js";
import { markdownTable } from "./train-speed.js";

// Do the language's gate defaults close what is useless on Adult without costing accuracy? The zoo
// MSSM (specs/zoo/mssm.mssm) is trained three ways, seed after seed, on the same split:
//
// - "defaults": its regularize, gates and gate_optimizer settings replaced by the language's
//   defaults (l2 kept), so the spec says nothing about gates;
// - "L0 off": the same with l0: 0 and l0_fields: 0 (the gates still train, with no penalty);
// - "zoo": the zoo spec as written (hand-tuned gate settings).
//
// Per variant: test AUC per task (mean [min, max] over seeds), the difference to "L0 off" of the
// same seed, L0 gates closed in the export (folded gates exactly 0), and the exported model's
// numbers (weights and tables) before and after pruning.
//
// The variants with gate noise drawn per example (`gates.noise`, specs/language.md) are compared
// with the per-step defaults the same way; each variant's training time is shown too.
//
//   node dist/bench/l0-defaults.js [--seeds 1,2,3] [--epochs 10] [--threads 1] [--only "defaults,noise per_example"] (L0 off always runs)

interface Variant {
  name: string;
  about: string;
  spec: (zoo: Spec) => Spec;
}

/** The zoo spec with every gate setting back at the language's defaults. */
function silent(zoo: Spec): Spec {
  const s = structuredClone(zoo);
  s.regularize = { ...DEFAULT_REGULARIZE, l2: zoo.regularize.l2 };
  s.gates = { ...DEFAULT_GATES };
  s.train.gate_optimizer = normalizeOptimizer(DEFAULT_GATE_OPTIMIZER);
  delete s.train.gate_warmup;
  return s;
}

const VARIANTS: readonly Variant[] = [
  { name: "defaults", about: "spec silent on gates", spec: silent },
  {
    name: "L0 off",
    about: "defaults with l0: 0, l0_fields: 0 and no field check (validate_fields: false)",
    spec: (zoo) => {
      const s = silent(zoo);
      return { ...s, regularize: { l0: 0, l0_fields: 0, l2: zoo.regularize.l2 }, train: { ...s.train, validate_fields: false } };
    },
  },
  { name: "defaults without field check", about: "the defaults without the field check on the validation rows (validate_fields: false)", spec: (zoo) => ({ ...silent(zoo), train: { ...silent(zoo).train, validate_fields: false } }) },
  { name: "defaults, l0_fields 1e-2", about: "a stronger field-gate weight", spec: (zoo) => ({ ...silent(zoo), regularize: { ...silent(zoo).regularize, l0_fields: 1e-2 } }) },
  { name: "zoo", about: "specs/zoo/mssm.mssm as written", spec: (zoo) => structuredClone(zoo) },
  { name: "noise per_example", about: "defaults, gate noise drawn per example for every gate", spec: (zoo) => ({ ...silent(zoo), gates: { ...DEFAULT_GATES, noise: "per_example" } }) },
  {
    name: "noise per_example with l0_fields 1e-2",
    about: "per-example noise and a stronger field-gate weight",
    spec: (zoo) => ({ ...silent(zoo), gates: { ...DEFAULT_GATES, noise: "per_example" }, regularize: { ...silent(zoo).regularize, l0_fields: 1e-2 } }),
  },
  { name: "noise per_example_fields", about: "defaults, gate noise per example for the field gates only", spec: (zoo) => ({ ...silent(zoo), gates: { ...DEFAULT_GATES, noise: "per_example_fields" } }) },
  {
    name: "private paths",
    about: "defaults on private paths: level 1 cssm(sources: own), level 2 cssm(sources: own_and_shared)",
    spec: (zoo) => {
      const s = silent(zoo);
      s.levels[0]!.connect.sources = "own";
      s.levels[1]!.connect.sources = "own_and_shared";
      return s;
    },
  },
];

interface Row {
  variant: string;
  seed: number;
  auc: Record<string, number>;
  closed: number;
  total: number;
  before: number;
  after: number;
  bestEpoch: number;
  /** Training time, s (the machine is shared: compare within one run). */
  seconds: number;
}

async function main(argv: readonly string[]): Promise<void> {
  const seeds = numberList(argv, "seeds", [1, 2, 3], true);
  const epochs = wholeNumber(argv, "epochs", 10, 1);
  const threads = wholeNumber(argv, "threads", 1);
  const i = argv.indexOf("--only");
  const only = i >= 0 ? new Set(argv[i + 1]!.split(",")) : undefined;
  const variants = VARIANTS.filter((v) => !only || only.has(v.name) || v.name === "L0 off");
  const root = packageRoot();
  const zoo = zooMssm();
  const files = { train: join(root, "data", "adult", "adult.data.gz"), test: join(root, "data", "adult", "adult.test.gz") };
  const rows: Row[] = [];
  for (const seed of seeds) {
    for (const v of variants) {
      let numbers = { before: 0, after: 0 };
      const run = await trainAndTest(v.spec(zoo), files, seed, { epochs, patience: 0, validFraction: 0.1, threads }, (model) => {
        numbers = { before: exportModel(model, { prune: false }).params, after: exportModel(model).params };
      });
      rows.push({ variant: v.name, seed, auc: run.metrics, closed: run.gates.closed, total: run.gates.total, ...numbers, bestEpoch: run.bestEpoch, seconds: run.trainSeconds });
      process.stderr.write(`seed ${seed} ${v.name}: ${Object.entries(run.metrics).map(([t, m]) => `${t} ${m.toFixed(4)}`).join(", ")}; ${run.gates.closed} of ${run.gates.total} gates closed\n`);
    }
  }
  const tasks = zoo.tasks.map((t) => t.name);
  const header = ["variant", ...tasks.map((t) => `${t} AUC`), ...tasks.map((t) => `vs L0 off (${t})`), "gates closed", "closed %", "numbers after pruning", "best epoch", "train s"];
  const body = variants.map((v) => {
    const mine = rows.filter((r) => r.variant === v.name);
    const off = (r: Row) => rows.find((o) => o.variant === "L0 off" && o.seed === r.seed)!;
    return [
      `${v.name} (${v.about})`,
      ...tasks.map((t) => spread(mine.map((r) => r.auc[t]!), 4)),
      ...tasks.map((t) => spread(mine.map((r) => r.auc[t]! - off(r).auc[t]!), 4, true)),
      `${spread(mine.map((r) => r.closed), 0)} of ${mine[0]!.total}`,
      spread(mine.map((r) => (100 * r.closed) / r.total), 1),
      `${spread(mine.map((r) => r.after), 0)} of ${mine[0]!.before.toLocaleString("en-US")}`,
      spread(mine.map((r) => r.bestEpoch), 1),
      spread(mine.map((r) => r.seconds), 0),
    ];
  });
  console.log(`Adult, specs/zoo/mssm.mssm, ${epochs} epochs, seeds ${seeds.join(", ")} (a seeded 10% validation split; best checkpoint on adult.test), ${threads} thread(s)\n`);
  console.log(markdownTable(header, body).join("\n"));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
