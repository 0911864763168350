import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parse } from "../grammar/parse.js";
import { runRules } from "../compiler/check/rule.js";
import { rules } from "../compiler/check/rules/index.js";
import { loadSpec } from "../compiler/load/load.js";
import { normalize } from "../compiler/load/normalize.js";
import { validateSchema } from "../compiler/load/schema.js";
import { toJson } from "../compiler/load/to-json.js";
import { topology } from "../compiler/load/topology.js";
import { wholeNumber } from "./args.js";

// How long checking a large spec takes, stage by stage: the editor re-checks on every keystroke,
// so the whole pipeline should stay well under a frame budget (target: 50 ms median for the
// default size). Prints a table; asserts nothing (test/bench keeps the generator honest).
//
//   node dist/bench/check-speed.js [--runs N] [--fields N] [--tasks N] [--levels N]

/** The size of a generated spec. */
export interface SpecSize {
  fields: number;
  tasks: number;
  levels: number;
  /** Shared groups next to the one group per task. */
  sharedGroups: number;
}

export const DEFAULT_SIZE: SpecSize = { fields: 500, tasks: 16, levels: 4, sharedGroups: 2 };

/**
 * A large, clean .mssm model: fields of every kind and option, tasks of every kind, a group per
 * task plus shared groups, field selection, `levels` levels joined by cssm (the last one without
 * shared experts, which no tower would read), and a tower per task.
 */
export function generateSpec(size: SpecSize = DEFAULT_SIZE): string {
  const fields: string[] = [];
  for (let i = 0; i < size.fields; i++) {
    switch (i % 6) {
      case 0: fields.push(`f${i} numeric`); break;
      case 1: fields.push(`f${i} numeric(dim: 4, transform: log1p, column: "col ${i}")`); break;
      case 2: fields.push(`f${i} categorical(dim: 16, hash_buckets: 1000)`); break;
      case 3: fields.push(`f${i} categorical(min_count: 5)`); break;
      case 4: fields.push(`f${i} categorical(dim: 4, vocabulary: ["a", "b", "c", "d"])`); break;
      default: fields.push(`f${i} multi_hot(dim: 8, separator: "|", pooling: mean)`); break;
    }
  }
  const tasks: string[] = [];
  for (let t = 0; t < size.tasks; t++) {
    switch (t % 3) {
      case 0: tasks.push(`t${t} binary(label: y${t}, positive: ["1", "yes"], weight: 1)`); break;
      case 1: tasks.push(`t${t} regression(label: y${t}, weight: 0.5)`); break;
      default: tasks.push(`t${t} multiclass(4, label: y${t})`); break;
    }
  }
  const taskGroups = Array.from({ length: size.tasks }, (_, t) => `t${t}`);
  const shared = Array.from({ length: size.sharedGroups }, (_, s) => `shared${s}`);
  const levels: string[] = [];
  for (let l = 1; l <= size.levels; l++) {
    const last = l === size.levels;
    const experts = (last ? taskGroups : [...taskGroups, ...shared]).map((g, i) => `      ${g}: ${1 + (i % 2)} x mlp[${last ? 32 : 64}] relu`);
    levels.push(`  level ${l} {\n    experts {\n${experts.join("\n")}\n    }\n    connect: cssm${l % 2 ? "" : "(granularity: block)"}\n  }`);
  }
  return [
    `fields {\n${fields.map((f) => `  ${f}`).join("\n")}\n}`,
    `tasks {\n${tasks.map((t) => `  ${t}`).join("\n")}\n}`,
    [
      "model generated {",
      `  groups ${[...taskGroups, ...shared].join(", ")}`,
      "  select fields per group",
      ...levels,
      "  towers { tower: mlp[16] relu }",
      "  regularize { l0: 1e-4, l2: 1e-5 }",
      "  train { optimizer: adam(lr: 1e-3), gate_optimizer: adam(lr: 1e-2), batch: 1024, epochs: 10, seed: 7 }",
      "}",
    ].join("\n"),
  ].join("\n\n") + "\n";
}

/** Median, 90th percentile and minimum of some durations in ms. */
function stats(ms: number[]): { median: number; p90: number; min: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { median: at(0.5), p90: at(0.9), min: s[0]! };
}

/** Times each stage of checking `text` over `runs` runs after a warm-up; returns rows of the table. */
export function measure(text: string, runs: number, warmup = 10): { stage: string; median: number; p90: number; min: number }[] {
  const path = resolve("generated.mssm");
  const readText = (p: string) => {
    if (p !== path) throw new Error(`not generated: ${p}`);
    return text;
  };
  const document = parse(text, path).document;
  const lowered = toJson({ path, document }, []);
  const spec = normalize(lowered.json!);
  const stages: [string, () => unknown][] = [
    ["parse", () => parse(text, path)],
    [
      "to-json + schema + normalize",
      () => {
        const j = toJson({ path, document }, []);
        validateSchema(j.json, j.map, path);
        return normalize(j.json!);
      },
    ],
    ["rules (topology + checks)", () => runRules(rules, spec, lowered.map, topology(spec), path)],
    ["loadSpec (whole pipeline)", () => loadSpec(path, readText)],
  ];
  return stages.map(([stage, run]) => {
    for (let i = 0; i < warmup; i++) run();
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      run();
      ms.push(performance.now() - t0);
    }
    return { stage, ...stats(ms) };
  });
}

function main(argv: string[]): void {
  const option = (name: string, fallback: number) => wholeNumber(argv, name, fallback, 1);
  const runs = option("runs", 50);
  const size: SpecSize = {
    fields: option("fields", DEFAULT_SIZE.fields),
    tasks: option("tasks", DEFAULT_SIZE.tasks),
    levels: option("levels", DEFAULT_SIZE.levels),
    sharedGroups: DEFAULT_SIZE.sharedGroups,
  };
  const text = generateSpec(size);
  const check = loadSpec(resolve("generated.mssm"), () => text);
  const rows = measure(text, runs);
  const out = [
    `check speed: ${size.fields} fields, ${size.tasks} tasks, ${size.levels} levels, ${size.tasks + size.sharedGroups} groups ` +
      `(${(text.length / 1024).toFixed(0)} KiB, ${check.diagnostics.length} diagnostics); ${runs} runs after 10 warm-up; node ${process.version}`,
    "",
    `${"stage".padEnd(30)}${"median ms".padStart(11)}${"p90 ms".padStart(10)}${"min ms".padStart(10)}`,
    ...rows.map((r) => `${r.stage.padEnd(30)}${r.median.toFixed(2).padStart(11)}${r.p90.toFixed(2).padStart(10)}${r.min.toFixed(2).padStart(10)}`),
  ];
  process.stdout.write(out.join("\n") + "\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main(process.argv.slice(2));
