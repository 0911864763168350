// Training that gets cheaper as its gates close: the zoo MSSM on Adult without freezing closed gates
// (train.prune_during_training off), with it (the smaller step only where it pays,
// runtime/step-switch.ts), and with it moving to every smaller step (a switch costing nothing in
// the rule), at 1 and 2 onnxruntime threads, the runs interleaved (the three per thread count, per
// repeat) so load on a shared machine hits them alike. Per run: the wall time of train() (every
// epoch with its validation on adult.test), samples/s and multiply-adds per example of the first
// and last epochs' steps, test AUC per task after the last epoch, the gates closed at inference
// (deterministic z exactly 0) and the gates frozen; then each variant's wall time as a ratio to
// the run without freezing of the same repeat and thread count.
//
//   node dist/bench/sparse-training.js [--epochs 10] [--threads 1,2] [--repeats 1]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../base/package-root.js";
import { logAlphaParam } from "../compiler/artifact.js";
import { compileSpec } from "../compiler/compile.js";
import { loadSpec } from "../compiler/load/load.js";
import type { Spec } from "../compiler/load/types.js";
import { cutForward, foldGate, type Manifest, sparseStep } from "../compiler/index.js";
import { openSession } from "../runtime/session.js";
import { loadData, loadTrainingData } from "../runtime/data/dataset.js";
import { SWITCH_COSTS } from "../runtime/step-switch.js";
import { train, type TrainResult } from "../runtime/train.js";
import { numberList, wholeNumber } from "./args.js";
import { median } from "./train-step.js";
import { markdownTable } from "./train-speed.js";

/** One run's numbers. */
interface Row {
  variant: Variant["name"];
  repeat: number;
  threads: number;
  wallSeconds: number;
  /** CPU seconds of the process (every thread) during train(): less hit by other processes than wall time. */
  cpuSeconds: number;
  samplesPerSecond: [number, number];
  macs: [number, number];
  /** Multiply-adds per example of the step each epoch ran. */
  macsPerEpoch: number[];
  samplesPerEpoch: number[];
  /** Seconds to cut, compile and open the step for the run's final frozen set (none without freezing). */
  compileSeconds: number | undefined;
  auc: Record<string, number>;
  closed: number;
  frozen: number;
}

/** A way of training: without freezing, with it, with it and every switch taken. */
interface Variant {
  name: "off" | "on" | "on, every switch";
  freezing: boolean;
  switchSeconds: number;
}

const VARIANTS: readonly Variant[] = [
  { name: "off", freezing: false, switchSeconds: SWITCH_COSTS.switchSeconds },
  { name: "on", freezing: true, switchSeconds: SWITCH_COSTS.switchSeconds },
  { name: "on, every switch", freezing: true, switchSeconds: 0 },
];

/** Gates whose deterministic value is exactly 0 (as the export folds them). */
function closedGates(spec: Spec, result: TrainResult, groups: readonly { name: string }[]): number {
  let closed = 0;
  for (const g of groups) for (const z of foldGate(result.state.params.get(logAlphaParam(g.name))!, spec.gates.gamma, spec.gates.zeta)) if (z === 0) closed++;
  return closed;
}

/** Seconds to cut the forward for a run's final frozen set, compile that step and open it: what one switch costs. */
async function stepCompileSeconds(manifest: Manifest, result: TrainResult): Promise<number> {
  const started = performance.now();
  const noise = new Map(manifest.gate_groups.flatMap((g) => (result.state.frozen.has(g.name) ? [[g.noise, result.state.frozen.get(g.name)!] as const] : [])));
  const step = sparseStep(manifest.spec, cutForward(manifest.spec, noise));
  await (await openSession(step.bytes, { device: "cpu", threads: 1 })).release();
  return (performance.now() - started) / 1000;
}

async function main(argv: readonly string[]): Promise<void> {
  const epochs = wholeNumber(argv, "epochs", 10, 1);
  const repeats = wholeNumber(argv, "repeats", 1, 1);
  const threadCounts = numberList(argv, "threads", [1, 2], true);
  const root = packageRoot();
  const data = resolve(root, "..", "shared", "data", "adult");
  const loaded = loadSpec(join(root, "specs", "zoo", "mssm.mssm"));
  if (!loaded.spec) throw new Error("specs/zoo/mssm.mssm does not check");
  const base: Spec = { ...loaded.spec, train: { ...loaded.spec.train, epochs } };
  const training = await loadTrainingData(base, join(data, "adult.data"), { validFraction: 0, seed: base.train.seed });
  const test = (await loadData(base, join(data, "adult.test"), training.preprocessing)).data;
  const out: Row[] = [];
  for (let r = 0; r < repeats; r++) {
    for (const threads of threadCounts) {
      for (const variant of VARIANTS) {
        const freezing = variant.freezing;
        SWITCH_COSTS.switchSeconds = variant.switchSeconds;
        const spec: Spec = { ...base, train: { ...base.train, prune_during_training: freezing } };
        const artifact = compileSpec(spec);
        const runDir = mkdtempSync(join(tmpdir(), "mssmc-sparse-"));
        const started = performance.now();
        const cpu = process.cpuUsage();
        const result = await train(
          { manifest: artifact.manifest, train: artifact.files["train.onnx"], eval: artifact.files["eval.onnx"] },
          { train: training.train, valid: test, preprocessing: training.preprocessing },
          { runDir, device: "cpu", threads, log: () => {} },
        );
        const wallSeconds = (performance.now() - started) / 1000;
        const used = process.cpuUsage(cpu);
        const cpuSeconds = (used.user + used.system) / 1e6;
        const compileSeconds = freezing ? await stepCompileSeconds(artifact.manifest, result) : undefined;
        rmSync(runDir, { recursive: true, force: true });
        const [first, last] = [result.history[0]!, result.history.at(-1)!];
        const row: Row = {
          variant: variant.name,
          repeat: r,
          threads,
          wallSeconds,
          cpuSeconds,
          samplesPerSecond: [first.samples_per_second, last.samples_per_second],
          macs: [first.macs_per_example, last.macs_per_example],
          macsPerEpoch: result.history.map((h) => h.macs_per_example),
          samplesPerEpoch: result.history.map((h) => h.samples_per_second),
          compileSeconds,
          auc: Object.fromEntries(Object.entries(last.valid!).map(([task, m]) => [task, (m as { auc: number }).auc])),
          closed: closedGates(spec, result, artifact.manifest.gate_groups),
          frozen: last.gates_frozen,
        };
        out.push(row);
        process.stderr.write(`${variant.name} threads ${threads}: ${wallSeconds.toFixed(1)} s\n`);
      }
    }
  }
  const tasks = Object.keys(out[0]!.auc);
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  console.log(`zoo MSSM on Adult (${training.train.rows} training rows, adult.test), ${epochs} epochs, batch ${base.train.batch}`);
  console.log(
    markdownTable(
      ["freezing", "threads", "wall s", "CPU s", "samples/s epoch 1", "samples/s last", "last / first epoch samples/s", "MACs/example epoch 1", "MACs/example last", ...tasks.map((t) => `AUC ${t}`), "gates closed", "frozen", "step compile s"],
      out.map((r) => [r.variant, String(r.threads), r.wallSeconds.toFixed(1), r.cpuSeconds.toFixed(1), fmt(r.samplesPerSecond[0]), fmt(r.samplesPerSecond[1]), (r.samplesPerSecond[1] / r.samplesPerSecond[0]).toFixed(2), fmt(r.macs[0]), fmt(r.macs[1]), ...tasks.map((t) => r.auc[t]!.toFixed(4)), String(r.closed), String(r.frozen), r.compileSeconds?.toFixed(2) ?? "-"]),
    ).join("\n"),
  );
  console.log("\nPer epoch: MACs/example of the step it ran (thousands), samples/s");
  console.log(
    markdownTable(
      ["freezing", "threads", ...out[0]!.macsPerEpoch.map((_m, e) => `epoch ${e + 1}`)],
      out.map((r) => [r.variant, String(r.threads), ...r.macsPerEpoch.map((m, e) => `${(m / 1000).toFixed(1)}k, ${fmt(r.samplesPerEpoch[e]!)}`)]),
    ).join("\n"),
  );
  for (const [what, of] of [["Wall time", (r: Row) => r.wallSeconds], ["CPU time", (r: Row) => r.cpuSeconds]] as const) {
    console.log(`\n${what} without freezing / with it (same repeat and threads; above 1: faster), each repeat, and the median`);
    console.log(
      markdownTable(
        ["freezing", "threads", ...Array.from({ length: repeats }, (_r, k) => `repeat ${k + 1}`), "median"],
        VARIANTS.filter((v) => v.freezing).flatMap((v) =>
          threadCounts.map((threads) => {
            const ratios = Array.from({ length: repeats }, (_r, k) => {
              const at = (name: Variant["name"]) => of(out.find((r) => r.variant === name && r.threads === threads && r.repeat === k)!);
              return at("off") / at(v.name);
            });
            return [v.name, String(threads), ...ratios.map((x) => x.toFixed(2)), median(ratios).toFixed(2)];
          }),
        ),
      ).join("\n"),
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
