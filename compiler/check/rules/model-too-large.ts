import type { Rule } from "../rule.js";
import { capitalize, expertsPhrase, expertsPointer, towerPhrase, towerPointer } from "./describe.js";

/**
 * The largest model mssmc compiles and trains. A training step holds each dense number about six
 * times (the value, its gradient, two Adam states and the next values it outputs), so 500 million
 * numbers need about 12 GB; a spec past these limits is almost always a typo (`mlp[1000000000]`,
 * `100000 x mlp[8]`), and without the check it would run for minutes before running out of memory.
 */
export const MODEL_LIMITS = { denseNumbers: 500_000_000, subNetworks: 4096, fields: 10_000, tableNumbers: 2 ** 31 } as const;

/** An MLP's weights and biases on an input of `width`. */
function mlpNumbers(width: number, widths: readonly number[]): number {
  let n = 0;
  let input = width;
  for (const w of widths) {
    n += input * w + w;
    input = w;
  }
  return n;
}

const count = (n: number) => n.toLocaleString("en-US");

/** A spec past the documented limits on dense numbers, sub-networks, fields or a hashed table, reported before anything is built. */
export const modelTooLarge: Rule = {
  code: "model-too-large",
  description: "The model is larger than mssmc trains: more than 500 million dense numbers, 4,096 sub-networks, 10,000 fields, or a hashed table of more than 2^31 numbers.",
  appliesToLibraries: true,
  check({ spec, map, stages, report }) {
    if (spec.fields.length > MODEL_LIMITS.fields) {
      report("error", `The model has ${count(spec.fields.length)} fields; mssmc trains at most ${count(MODEL_LIMITS.fields)}.`, "/fields");
      return;
    }
    spec.fields.forEach((f, i) => {
      if (f.kind !== "numeric" && f.hash_buckets !== undefined && f.hash_buckets * f.dim > MODEL_LIMITS.tableNumbers) {
        report("error", `The table of the field '${f.name}' would hold ${count(f.hash_buckets * f.dim)} numbers (hash_buckets x dim); mssmc trains at most ${count(MODEL_LIMITS.tableNumbers)} per table.`, `/fields/${i}/hash_buckets`);
      }
    });
    // An estimate from the wiring: a sub-network's first layer reads all it sees, concatenated (an
    // upper bound for mixing connections, which read one source's width). 12 input columns
    // through mlp[100000, 100000] are 12·10^5 + 10^5 + 10^10 + 10^5 = 10,001,400,000 numbers.
    let subNetworks = 0;
    let total = 0;
    let largest = { numbers: -1, pointer: "/model", what: "" };
    spec.levels.forEach((level, l) => {
      const stage = stages[l + 1];
      for (const [group, experts] of Object.entries(level.experts)) {
        subNetworks += experts.count;
        const reads = stage?.consumers.find((c) => c.name === group)?.reads ?? [];
        const width = reads.reduce((a, p) => a + p.width, 0);
        const numbers = experts.count * mlpNumbers(width, experts.widths);
        total += numbers;
        if (numbers > largest.numbers) largest = { numbers, pointer: expertsPointer(l, group), what: expertsPhrase(map, l, group) };
      }
    });
    const towers = stages[stages.length - 1];
    for (const t of spec.tasks) {
      const tower = Object.hasOwn(spec.towers.tasks, t.name) ? spec.towers.tasks[t.name] : undefined;
      if (!tower) continue;
      subNetworks++;
      const width = (towers?.consumers.find((c) => c.name === t.name)?.reads ?? []).reduce((a, p) => a + p.width, 0);
      const numbers = mlpNumbers(width, [...tower.widths, t.kind === "multiclass" ? t.classes : 1]);
      total += numbers;
      if (numbers > largest.numbers) largest = { numbers, pointer: towerPointer(t.name), what: towerPhrase(map, t.name) };
    }
    if (subNetworks > MODEL_LIMITS.subNetworks) {
      report("error", `The model has ${count(subNetworks)} sub-networks (experts and towers); mssmc trains at most ${count(MODEL_LIMITS.subNetworks)}.`, largest.pointer);
    } else if (total > MODEL_LIMITS.denseNumbers) {
      report("error", `The model would have about ${count(total)} dense weights; mssmc trains at most ${count(MODEL_LIMITS.denseNumbers)}. ${capitalize(largest.what)} alone hold ${count(largest.numbers)}.`, largest.pointer);
    }
  },
};
