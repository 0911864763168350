import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../base/package-root.js";
import { loadSpec } from "../compiler/load/load.js";
import type { Spec, Task } from "../compiler/load/types.js";
import { inspectModel, type Inspection } from "../runtime/inspect.js";
import { numberList, optionText, wholeNumber } from "./args.js";
import { trainAndTest } from "./quality.js";
import { markdownTable } from "./train-speed.js";

// Issue 5: which L0 settings make the zoo MSSM sparse on Adult, and what the sparsity costs in AUC.
// specs/zoo/mssm.mssm is trained on adult.data for a grid of λ0 (regularize.l0) × gate learning
// rate (train.gate_optimizer.lr; the dense and embedding optimizers keep the spec's), as
// bench/quality.ts trains it: a seeded --valid-fraction of adult.data held out, the spec's patience
// (0: every epoch runs), and the best validation checkpoint, which is what `mssmc export` exports,
// evaluated on adult.test (with --valid-fraction 0: all of adult.data and the last epoch). Per run:
// test AUC per task, L0 gates closed at inference (deterministic gate exactly 0, as the export
// folds them) and the expected L0 Σ σ(log α − β log(−γ/ζ)), then the exported model's numbers
// (weights and embedding tables) and multiply-adds per example without and with pruning
// (runtime/inspect.ts pruningSummary), and the wall time of training (every epoch with its
// validation; noisy on a shared machine).
//
//   node dist/bench/sparsity.js [--l0 1e-4,1e-3,1e-2,3e-2] [--gate-lr 1e-2,3e-2] [--seeds 1]
//        [--epochs 10] [--valid-fraction 0.1] [--threads 1]

/** The grid and how each run trains. */
export interface SparsityOptions {
  l0s: number[];
  gateLrs: number[];
  seeds: number[];
  epochs: number;
  validFraction: number;
  threads: number;
}

export const SPARSITY_DEFAULTS: SparsityOptions = { l0s: [1e-4, 1e-3, 1e-2, 3e-2], gateLrs: [1e-2, 3e-2], seeds: [1], epochs: 10, validFraction: 0.1, threads: 1 };

/** One trained run: a setting of the grid and one seed. */
export interface SparsityRow {
  l0: number;
  gateLr: number;
  seed: number;
  /** Test AUC (binary tasks), MSE (regression) or accuracy, per task. */
  metrics: Record<string, number>;
  epochs: number;
  bestEpoch: number;
  gates: Inspection["gates"];
  /** Unpruned and pruned export, or why the model cannot be exported. */
  pruning: Inspection["pruning"];
  trainSeconds: number;
}

/** The options of the command line, over SPARSITY_DEFAULTS. */
export function sparsityOptions(argv: readonly string[]): SparsityOptions {
  const d = SPARSITY_DEFAULTS;
  const fraction = optionText(argv, "valid-fraction");
  const validFraction = fraction === undefined ? d.validFraction : Number(fraction);
  if (!(validFraction >= 0 && validFraction < 1)) throw new Error(`--valid-fraction needs a number from 0 to below 1, got "${fraction}"`);
  return {
    l0s: numberList(argv, "l0", d.l0s),
    gateLrs: numberList(argv, "gate-lr", d.gateLrs),
    seeds: numberList(argv, "seeds", d.seeds, true),
    epochs: wholeNumber(argv, "epochs", d.epochs, 1),
    validFraction,
    threads: wholeNumber(argv, "threads", d.threads, 1),
  };
}

/** `base` with λ0 and the gate optimizer's learning rate replaced; everything else as written. */
export function sparsitySpec(base: Spec, l0: number, gateLr: number): Spec {
  const spec = structuredClone(base);
  spec.regularize.l0 = l0;
  spec.train.gate_optimizer.lr = gateLr;
  return spec;
}

/** The zoo MSSM, checked. */
export function zooMssm(): Spec {
  const file = join(packageRoot(), "specs", "zoo", "mssm.mssm");
  const loaded = loadSpec(file);
  if (!loaded.spec) throw new Error(`${file} does not check: ${loaded.diagnostics.map((d) => d.message).join("; ")}`);
  return loaded.spec;
}

/** The bundled Adult files: train on adult.data, test on adult.test. */
export function adultFiles(): { train: string; test: string } {
  const dir = join(packageRoot(), "data", "adult");
  return { train: join(dir, "adult.data.gz"), test: join(dir, "adult.test.gz") };
}

/** Trains one setting for one seed and inspects its best checkpoint. */
export async function sparsityRun(base: Spec, l0: number, gateLr: number, seed: number, o: SparsityOptions): Promise<SparsityRow> {
  let inspection: Inspection | undefined;
  const run = await trainAndTest(
    sparsitySpec(base, l0, gateLr),
    adultFiles(),
    seed,
    { epochs: o.epochs, patience: base.train.patience, validFraction: o.validFraction, threads: o.threads },
    (model) => (inspection = inspectModel(model, { checkpoint: "best" })),
  );
  if (!inspection) throw new Error("trainAndTest did not hand over the trained model");
  return { l0, gateLr, seed, metrics: run.metrics, epochs: run.epochs, bestEpoch: run.bestEpoch, gates: inspection.gates, pruning: inspection.pruning, trainSeconds: run.trainSeconds };
}

/** 1e-4, 3e-2: the way the grid is written on the command line. */
const sci = (x: number) => x.toExponential().replace("e+", "e");
const int = (x: number) => x.toLocaleString("en-US");

/** The table: one row per setting and seed, in run order. */
export function formatSparsity(rows: readonly SparsityRow[], tasks: readonly Pick<Task, "name" | "kind">[]): string[] {
  const metric = { binary: "AUC", regression: "MSE", multiclass: "accuracy" } as const;
  const header = [
    "λ0",
    "gate lr",
    "seed",
    ...tasks.map((t) => `${t.name} ${metric[t.kind]}`),
    "epochs (best)",
    "gates closed",
    "expected L0",
    "numbers unpruned",
    "numbers pruned",
    "mult-adds unpruned",
    "mult-adds pruned",
    "train s",
  ];
  return markdownTable(
    header,
    rows.map((r) => {
      const p = r.pruning;
      const sizes = "unavailable" in p ? ["–", "–", "–", "–"] : [int(p.params.before), int(p.params.after), int(p.macs.before), int(p.macs.after)];
      return [
        sci(r.l0),
        sci(r.gateLr),
        String(r.seed),
        ...tasks.map((t) => r.metrics[t.name]!.toFixed(4)),
        `${r.epochs} (${r.bestEpoch})`,
        `${int(r.gates.closed)} / ${int(r.gates.total)}`,
        r.gates.expectedL0.toFixed(1),
        ...sizes,
        r.trainSeconds.toFixed(1),
      ];
    }),
  );
}

/** Command-line entry: every setting of the grid for every seed, then the table. */
export async function main(argv: string[]): Promise<void> {
  let o: SparsityOptions;
  try {
    o = sparsityOptions(argv);
  } catch (e) {
    process.stderr.write(`sparsity: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const spec = zooMssm();
  const t = spec.train;
  const say = (s: string) => process.stdout.write(s + "\n");
  say(
    `node ${process.version}; ${spec.model} (specs/zoo/mssm.mssm) on ` +
      (o.validFraction > 0 ? `adult.data less a seeded ${o.validFraction} validation split, ${o.epochs} epochs, patience ${t.patience}, best validation checkpoint` : `all of adult.data, ${o.epochs} epochs, no validation: last epoch`) +
      `, test adult.test; seeds ${o.seeds.join(",")}; ${o.threads} intra-op thread(s); ` +
      `dense ${t.optimizer.kind}(lr ${sci(t.optimizer.lr)}), gate ${t.gate_optimizer.kind}, l2 ${sci(spec.regularize.l2)}, init_drop ${spec.gates.init_drop}; load average ${loadavg()[0]!.toFixed(2)}`,
  );
  const rows: SparsityRow[] = [];
  for (const l0 of o.l0s) {
    for (const gateLr of o.gateLrs) {
      for (const seed of o.seeds) {
        const r = await sparsityRun(spec, l0, gateLr, seed, o);
        process.stderr.write(`  λ0 ${sci(l0)}, gate lr ${sci(gateLr)}, seed ${seed}: gates closed ${r.gates.closed}/${r.gates.total}, ${r.trainSeconds.toFixed(1)} s\n`);
        rows.push(r);
      }
    }
  }
  say("");
  for (const line of formatSparsity(rows, spec.tasks)) say(line);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main(process.argv.slice(2));
