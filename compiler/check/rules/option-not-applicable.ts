import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";
import { gateNoiseOf, selectForm, type OptimizerKind, type Spec } from "../../load/types.js";
import { writtenOptimizers } from "./describe.js";
import { DEFAULT_GATES } from "../../load/normalize.js";

/** The settings each optimizer kind reads; the schema accepts all of them on every kind. */
const SETTINGS: Record<OptimizerKind, readonly string[]> = {
  adam: ["lr", "beta1", "beta2", "eps"],
  adamw: ["lr", "beta1", "beta2", "eps", "weight_decay"],
  sgd: ["lr", "momentum", "nesterov", "weight_decay"],
  adagrad: ["lr", "eps", "initial_accumulator", "weight_decay"],
};

/** Why gates.noise per_example and a cssm connection's granularity weight exclude each other. */
export const PER_WEIGHT_NOISE = "does not apply to a cssm connection with 'granularity: weight' (one gate per weight would need a draw per weight and example)";

/**
 * The connections (by pointer) whose gates cannot be drawn per example: cssm with one gate per
 * weight, whose per-example z would be [batch, in, out] and a matmul per example
 * (compiler/lower/connections/cssm.ts). Also used for `mssmc train --gate-noise`.
 */
export function perWeightNoiseConflicts(spec: Spec): string[] {
  if (gateNoiseOf(spec) !== "per_example") return [];
  const connections = [...spec.levels.map((l, i) => ({ c: l.connect, pointer: `${child("/levels", i)}/connect` })), { c: spec.towers.connect, pointer: "/towers/connect" }];
  return connections.filter(({ c }) => c.kind === "cssm" && c.granularity === "weight").map(({ pointer }) => pointer);
}

/** An option the schema allows in its place but that means nothing together with the others. */
export const optionNotApplicable: Rule = {
  code: "option-not-applicable",
  description: "An option does not apply where it is given: an optimizer setting of another kind, 'granularity' on a connection that is not cssm, 'granularity: weight' with 'noise: per_example', 'select_offset' with the l0 form of field selection, or two ways to build one field's vocabulary.",
  appliesToLibraries: true,
  check({ spec, map, report }) {
    for (const { name, pointer, optimizer } of writtenOptimizers(spec, map)) {
      for (const key of Object.keys(optimizer)) {
        if (key === "kind" || SETTINGS[optimizer.kind].includes(key)) continue;
        const owners = (Object.keys(SETTINGS) as OptimizerKind[]).filter((k) => SETTINGS[k].includes(key));
        report("error", `'${key}' is not a setting of ${optimizer.kind} (in '${name}'); it belongs to ${owners.join(" and ")}.`, child(pointer, key), { onKey: true });
      }
    }
    const connections = [...spec.levels.map((l, i) => ({ c: l.connect, pointer: `${child("/levels", i)}/connect` })), { c: spec.towers.connect, pointer: "/towers/connect" }];
    for (const { c, pointer } of connections) {
      if (c.granularity !== undefined && c.kind !== "cssm") {
        report("error", `'granularity' applies only to cssm connections, not to ${c.kind}.`, child(pointer, "granularity"), { onKey: true });
      }
    }
    for (const pointer of perWeightNoiseConflicts(spec)) {
      report("error", `'noise: per_example' ${PER_WEIGHT_NOISE}; use granularity cell or block, or noise per_step.`, child(pointer, "granularity"), { onKey: true });
    }
    // The l0 form's mask is its gate alone: there is no tanh for select_offset to offset. The
    // canonical JSON writes every default, so only a value other than the default is "given".
    if (selectForm(spec) === "l0" && map.get("/gates/select_offset") && spec.gates.select_offset !== DEFAULT_GATES.select_offset) {
      report("error", "'select_offset' does not apply to the l0 form of field selection (the default), whose mask is the field gate alone; it offsets the tanh mask of `select fields per group(form: tanh)` (the paper's FSCM with select_offset: 0) and of form l0_tanh.", "/gates/select_offset", { onKey: true });
    }
    spec.fields.forEach((field, f) => {
      if (field.kind === "numeric") return;
      const p = child("/fields", f);
      if (field.hash_buckets !== undefined && field.vocabulary !== undefined) {
        report("error", `The field '${field.name}' gives both 'hash_buckets' and 'vocabulary'; hashing replaces the vocabulary, so give one.`, child(p, "vocabulary"), { onKey: true });
      }
      if (field.min_count !== undefined && field.hash_buckets !== undefined) {
        report("error", `'min_count' does not apply to the field '${field.name}': it is hashed into buckets, so no vocabulary is built.`, child(p, "min_count"), { onKey: true });
      } else if (field.min_count !== undefined && field.vocabulary !== undefined) {
        report("error", `'min_count' does not apply to the field '${field.name}': its vocabulary is given, not built from the data.`, child(p, "min_count"), { onKey: true });
      }
    });
  },
};
