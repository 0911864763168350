// A gate warm-up for the field gates only, the cell gates training from the first step
// (GATE_WARMUP_HOLDS, an experiment; the language's warm-up holds every gate for half the epochs),
// measured where the gate defaults were chosen (specs/language.md, "Choosing the defaults"):
//
// - Adult (as bench/l0-defaults.ts): the zoo MSSM (the language's gate defaults), the same with
//   the cell gates from the start, and with L0 off (l0: 0, l0_fields: 0), seed after seed on the
//   same split; test AUC per task against L0 off and the gates closed in the export. Target of
//   the defaults: at least 50% of the gates closed within 0.002 AUC of L0 off.
// - The synthetic truth data (as bench/selection.ts, its `mssm` variant and baselines): the fields
//   each task's group reads against the truth. Target: recall 1.00.
//
//   node dist/bench/warmup-groups.js [--seeds 1,2,3] [--epochs 10] [--threads 1] [--skip adult|selection] [--rows 30000,5000,10000]
//   (--epochs is Adult's: the truth data trains as bench/selection.ts does, up to 15 epochs with patience 3)

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../base/package-root.js";
import { GATE_WARMUP_HOLDS } from "../compiler/index.js";
import { zooMssm } from "./zoo.js";
import type { Spec } from "../compiler/load/types.js";
import { numberList, optionText, wholeNumber } from "./args.js";
import { trainAndTest } from "./quality.js";
import { formatVariant, selectionBench, selectionOptions, spread, variantModel, VARIANTS } from "./selection.js";
import { markdownTable } from "./train-speed.js";

/** The model name that marks a spec's warm-up as holding the field gates only. */
const fromStart = (model: string) => `${model}_cells_from_start`;

/** Adult: the defaults, the cell gates from the start, L0 off; a table like bench/l0-defaults.ts's. */
async function adult(seeds: readonly number[], epochs: number, threads: number): Promise<string[]> {
  const root = packageRoot();
  const zoo = zooMssm();
  const variants: { name: string; spec: Spec }[] = [
    { name: "defaults (every gate held for half the epochs)", spec: zoo },
    { name: "cell gates from the start (field gates held)", spec: { ...zoo, model: fromStart(zoo.model) } },
    { name: "L0 off", spec: { ...zoo, regularize: { ...zoo.regularize, l0: 0, l0_fields: 0 } } },
  ];
  GATE_WARMUP_HOLDS.fieldsOnly.add(fromStart(zoo.model));
  const files = { train: join(root, "data", "adult", "adult.data.gz"), test: join(root, "data", "adult", "adult.test.gz") };
  const rows: { variant: string; seed: number; auc: Record<string, number>; closed: number; total: number; seconds: number }[] = [];
  for (const seed of seeds) {
    for (const v of variants) {
      const run = await trainAndTest(v.spec, files, seed, { epochs, patience: 0, validFraction: 0.1, threads });
      rows.push({ variant: v.name, seed, auc: run.metrics, closed: run.gates.closed, total: run.gates.total, seconds: run.trainSeconds });
      process.stderr.write(`adult seed ${seed} ${v.name}: ${Object.entries(run.metrics).map(([t, m]) => `${t} ${m.toFixed(4)}`).join(", ")}; ${run.gates.closed} of ${run.gates.total} closed\n`);
    }
  }
  const tasks = zoo.tasks.map((t) => t.name);
  const off = (seed: number) => rows.find((r) => r.variant === "L0 off" && r.seed === seed)!;
  return [
    `Adult, specs/zoo/mssm.mssm, ${epochs} epochs, seeds ${seeds.join(", ")} (a seeded 10% validation split; best checkpoint on adult.test), ${threads} thread(s)`,
    "",
    ...markdownTable(
      ["variant", ...tasks.map((t) => `${t} AUC`), ...tasks.map((t) => `vs L0 off (${t})`), "gates closed", "closed %", "train s"],
      variants.map((v) => {
        const mine = rows.filter((r) => r.variant === v.name);
        return [
          v.name,
          ...tasks.map((t) => spread(mine.map((r) => r.auc[t]!), 4)),
          ...tasks.map((t) => spread(mine.map((r) => r.auc[t]! - off(r.seed).auc[t]!), 4, true)),
          `${spread(mine.map((r) => r.closed), 0)} of ${mine[0]!.total}`,
          spread(mine.map((r) => (100 * r.closed) / r.total), 1),
          spread(mine.map((r) => r.seconds), 0),
        ];
      }),
    ),
  ];
}

/** The truth data: bench/selection.ts's `mssm` (and its baselines) and the same spec with the cell gates from the start. */
async function selection(argv: readonly string[]): Promise<string[]> {
  // --epochs is Adult's; the truth data keeps bench/selection.ts's (15, with patience).
  const o = { ...selectionOptions(argv.filter((_a, i) => argv[i] !== "--epochs" && argv[i - 1] !== "--epochs")), only: ["mssm"] };
  const work = mkdtempSync(join(tmpdir(), "mssmc-warmup-groups-"));
  try {
    const mssm = VARIANTS.find((v) => v.name === "mssm")!;
    const file = join(work, "cells-from-start.mssm");
    const model = variantModel(mssm).replace(/\nmodel (\w+) \{/, (_m, name: string) => `\nmodel ${fromStart(name)} {`);
    writeFileSync(file, model);
    GATE_WARMUP_HOLDS.fieldsOnly.add(fromStart("mssm"));
    const runs = await selectionBench({ ...o, specs: { "mssm, cell gates from the start": file } }, work, (s) => process.stderr.write(s + "\n"));
    const out = [`mssmc synth --recipe fields --rows ${o.rows.train},${o.rows.valid},${o.rows.test} --noise-fields ${o.noiseFields} --seed S for S in ${o.seeds.join(",")}; up to ${o.epochs} epochs, patience ${o.patience}; ${o.threads} thread(s)`];
    for (const name of ["mssm", "mssm, cell gates from the start"]) out.push("", `### ${name}`, "", ...formatVariant(name, runs, runs));
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const skip = optionText(argv, "skip");
  const lines: string[] = [];
  if (skip !== "adult") lines.push(...(await adult(numberList(argv, "seeds", [1, 2, 3], true), wholeNumber(argv, "epochs", 10, 1), wholeNumber(argv, "threads", 1, 1))), "");
  if (skip !== "selection") lines.push(...(await selection(argv)));
  console.log(lines.join("\n"));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
