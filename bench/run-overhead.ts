// Where a training run's time goes outside its steps: the zoo MSSM on Adult (adult.test validated
// each epoch, as bench/sparse-training.ts runs it), each run in a fresh process, the runs of
// several builds of mssmc interleaved (--builds: package roots, each with this bench compiled in
// its dist/), so that a change is measured side by side with the code before it on a shared machine.
//
// Per run, over the train() call only (data loaded and spec compiled before): wall and CPU time of
// the process; the steps (every StepRunner.run, wall), of which onnxruntime's session.run of the
// training graph; session.run of the eval graph (validation and the field check, all passes);
// garbage collection (perf_hooks "gc" entries, which overlap the parts above); and the rest (wall
// less steps and eval runs: building batches, evaluation's JavaScript and metrics, the field
// check's JavaScript, freezing, checkpoints, logging), of which the setup before the first epoch
// (run files written, sessions opened, initial state) and the freeze points' step choice
// (StepSwitch.follow: cutting the forward, compiling and opening smaller steps). Then, per build and freezing setting, the
// median [min, max] over runs, and each one's ratio to the first one's run of the same round.
// `--freezing on,off` runs both settings of train.prune_during_training, interleaved like builds.
// `--field-check off` sets train.validate_fields false (a different run: no field is closed on the
// validation rows), to show what the check costs. `--copies K` trains on Adult's training rows K
// times over (K times the steps an epoch, the same validation), where the steps weigh more.
//
//   node dist/bench/run-overhead.js [--epochs 10] [--threads 1] [--seeds 1] [--repeats 3] [--freezing on|off|on,off] [--field-check on|off] [--copies 1] [--builds /tmp/base,.]

import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-node";
import { packageRoot } from "../base/package-root.js";
import { compileSpec } from "../compiler/compile.js";
import { STEP_INPUT } from "../compiler/index.js";
import type { Spec } from "../compiler/load/types.js";
import { loadData, loadTrainingData } from "../runtime/data/dataset.js";
import { selectRows } from "../runtime/data/select-rows.js";
import { StepRunner } from "../runtime/step.js";
import { StepSwitch } from "../runtime/step-switch.js";
import { numberList, optionText, wholeNumber } from "./args.js";
import { median } from "./train-step.js";
import { markdownTable } from "./train-speed.js";
import { timedTrain, zooMssm } from "./zoo.js";

/** One run's seconds (and counts), as a child process prints them. */
interface RunParts {
  wall: number;
  cpu: number;
  steps: number;
  stepRuns: number;
  evalRuns: number;
  evalCalls: number;
  gc: number;
  gcCount: number;
  /** StepSwitch.follow at the freeze points: cutting the forward, compiling and opening steps. */
  follow: number;
  other: number;
  /** Of the rest: before the first epoch (run files written, sessions opened, initial state), wall less the epochs' `seconds`. */
  setup: number;
}

/** Adds the wall time of every call of `proto[method]` (an async method) to `into(this)`. */
function timeCalls<T extends object>(proto: T, method: keyof T, into: (self: T, ms: number) => void): void {
  const original = proto[method] as unknown as (...args: unknown[]) => Promise<unknown>;
  (proto as Record<keyof T, unknown>)[method] = async function (this: T, ...args: unknown[]) {
    const started = performance.now();
    const result = await original.apply(this, args);
    into(this, performance.now() - started);
    return result;
  };
}

/** Trains once in this process and returns where the time went. */
async function child(epochs: number, threads: number, seed: number, freezing: boolean, fieldCheck: boolean, copies: number): Promise<RunParts> {
  const data = resolve(packageRoot(), "..", "shared", "data", "adult");
  const zoo = zooMssm();
  const spec: Spec = { ...zoo, train: { ...zoo.train, epochs, seed, prune_during_training: freezing, validate_fields: fieldCheck } };
  const training = await loadTrainingData(spec, join(data, "adult.data"), { validFraction: 0, seed });
  const rows = training.train.rows;
  const train = copies === 1 ? training.train : selectRows(training.train, Int32Array.from({ length: rows * copies }, (_v, i) => i % rows));
  const test = (await loadData(spec, join(data, "adult.test"), training.preprocessing)).data;
  const artifact = compileSpec(spec);
  const ms = { steps: 0, stepRuns: 0, evalRuns: 0, evalCalls: 0, gc: 0, gcCount: 0, follow: 0 };
  timeCalls(StepRunner.prototype, "run", (_s, t) => (ms.steps += t));
  timeCalls(StepSwitch.prototype, "follow", (_s, t) => (ms.follow += t));
  // The factory's type hides that it is the session class, whose prototype every session shares.
  const sessionClass = ort.InferenceSession as unknown as { prototype: ort.InferenceSession };
  timeCalls(sessionClass.prototype, "run", (s, t) => {
    if (s.inputNames.includes(STEP_INPUT)) ms.stepRuns += t;
    else {
      ms.evalRuns += t;
      ms.evalCalls++;
    }
  });
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      ms.gc += e.duration;
      ms.gcCount++;
    }
  });
  gc.observe({ entryTypes: ["gc"] });
  const { result, wallSeconds: wall, cpuSeconds: cpu } = await timedTrain(artifact, { train, valid: test, preprocessing: training.preprocessing }, threads);
  // Entries of the last collections are delivered asynchronously.
  await new Promise((r) => setTimeout(r, 50));
  gc.disconnect();
  const s = (x: number) => x / 1000;
  return { wall, cpu, steps: s(ms.steps), stepRuns: s(ms.stepRuns), evalRuns: s(ms.evalRuns), evalCalls: ms.evalCalls, gc: s(ms.gc), gcCount: ms.gcCount, follow: s(ms.follow), other: wall - s(ms.steps + ms.evalRuns), setup: wall - result.history.reduce((a, h) => a + h.seconds, 0) };
}

async function main(argv: readonly string[]): Promise<void> {
  const epochs = wholeNumber(argv, "epochs", 10, 1);
  const threads = wholeNumber(argv, "threads", 1, 1);
  const repeats = wholeNumber(argv, "repeats", 3, 1);
  const seeds = numberList(argv, "seeds", [1], true);
  const freezings = (optionText(argv, "freezing") ?? "on").split(",").map((f) => f === "on");
  const fieldCheck = (optionText(argv, "field-check") ?? "on") === "on";
  const copies = wholeNumber(argv, "copies", 1, 1);
  if (argv.includes("--child")) {
    process.stdout.write(JSON.stringify(await child(epochs, threads, seeds[0]!, freezings[0]!, fieldCheck, copies)) + "\n");
    return;
  }
  const builds = (optionText(argv, "builds") ?? packageRoot()).split(",").map((b) => resolve(b));
  // Each build with each freezing setting, in this order within a round.
  const variants = builds.flatMap((root, build) => freezings.map((freezing) => ({ root, build, freezing, name: `${root}${freezings.length > 1 ? `, freezing ${freezing ? "on" : "off"}` : ""}` })));
  const runs: { variant: number; round: number; seed: number; parts: RunParts }[] = [];
  let round = 0;
  for (let r = 0; r < repeats; r++) {
    for (const seed of seeds) {
      variants.forEach(({ root, freezing, name }, variant) => {
        const args = [join(root, "dist", "bench", "run-overhead.js"), "--child", "--epochs", String(epochs), "--threads", String(threads), "--seeds", String(seed), "--freezing", freezing ? "on" : "off", "--field-check", fieldCheck ? "on" : "off", "--copies", String(copies)];
        const p = spawnSync(process.execPath, args, { encoding: "utf8" });
        if (p.status !== 0) throw new Error(`${root}: ${p.stderr.trim().split("\n").slice(-3).join(" ")}`);
        const parts = JSON.parse(p.stdout.trim().split("\n").pop()!) as RunParts;
        runs.push({ variant, round, seed, parts });
        process.stderr.write(`round ${round + 1} seed ${seed} ${name}: ${parts.wall.toFixed(2)} s wall, ${parts.cpu.toFixed(2)} s CPU, steps ${parts.steps.toFixed(2)} s\n`);
      });
      round++;
    }
  }
  const f2 = (x: number) => x.toFixed(2);
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const rowsNote = copies === 1 ? "" : ` (its training rows ${copies} times over)`;
  console.log(`zoo MSSM on Adult${rowsNote} (adult.test validated each epoch), ${epochs} epochs, ${threads} thread(s), freezing ${freezings.map((f) => (f ? "on" : "off")).join(" and ")}, field check ${fieldCheck ? "on" : "off"}, seeds ${seeds.join(", ")}, ${repeats} round(s) per seed, builds and settings interleaved; node ${process.version}`);
  console.log(
    markdownTable(
      ["build", "seed", "wall s", "CPU s", "steps s", "steps / wall", "step session.run s", "eval session.run s (runs)", "rest s", "of which setup s", "of which freeze points s", "GC s (count)"],
      runs.map(({ variant, seed, parts: p }) => [variants[variant]!.name, String(seed), f2(p.wall), f2(p.cpu), f2(p.steps), pct(p.steps / p.wall), f2(p.stepRuns), `${f2(p.evalRuns)} (${p.evalCalls})`, f2(p.other), p.setup === undefined ? "-" : f2(p.setup), p.follow === undefined ? "-" : f2(p.follow), `${f2(p.gc)} (${p.gcCount})`]),
    ).join("\n"),
  );
  const spread = (xs: number[], fmt: (x: number) => string) => `${fmt(median(xs))} [${fmt(Math.min(...xs))}, ${fmt(Math.max(...xs))}]`;
  const first = (round: number) => runs.find((r) => r.variant === 0 && r.round === round)!.parts;
  console.log(`\nPer build and setting, median [min, max] over runs; "x / first" is the first one's run of the same round over this one's (above 1: this one is faster)`);
  console.log(
    markdownTable(
      ["build", "runs", "wall s", "CPU s", "steps / wall", "rest s", "wall x / first", "CPU x / first", "rest x / first"],
      variants.map(({ name }, variant) => {
        const mine = runs.filter((r) => r.variant === variant);
        return [
          name,
          String(mine.length),
          spread(mine.map((r) => r.parts.wall), f2),
          spread(mine.map((r) => r.parts.cpu), f2),
          spread(mine.map((r) => r.parts.steps / r.parts.wall), pct),
          spread(mine.map((r) => r.parts.other), f2),
          spread(mine.map((r) => first(r.round).wall / r.parts.wall), f2),
          spread(mine.map((r) => first(r.round).cpu / r.parts.cpu), f2),
          spread(mine.map((r) => first(r.round).other / r.parts.other), f2),
        ];
      }),
    ).join("\n"),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
