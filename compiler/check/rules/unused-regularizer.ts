import { isDeepStrictEqual } from "node:util";
import { DEFAULT_GATE_OPTIMIZER, DEFAULT_GATES, DEFAULT_REGULARIZE, normalizeOptimizer } from "../../load/normalize.js";
import { selectForm } from "../../load/types.js";
import type { Rule } from "../rule.js";
import { hasL0Gates } from "./describe.js";

/** Gate settings in a model without gates are legal but do nothing, which usually means a mistake. */
export const unusedRegularizer: Rule = {
  code: "unused-regularizer",
  description: "l0, l0_fields, the gates section, its noise: per_example_fields, gate_optimizer or a freezing setting (prune_during_training, freeze_threshold, freeze_every) is set, but the model has no gates for it to act on, or freezing is off.",
  check({ spec, map, report }) {
    const l0Gates = hasL0Gates(spec);
    // λ0 and the hard-concrete constants act only on L0 gates; the gate optimizer also trains the
    // field-selection vectors, so field selection alone makes it useful.
    // λ0 and λF have non-zero defaults, so only a value other than the default is "set".
    const written = (key: "l0" | "l0_fields") => spec.regularize[key] !== DEFAULT_REGULARIZE[key];
    if (written("l0") && spec.regularize.l0 > 0 && !l0Gates) {
      report("warning", "l0 has no effect: the model has no L0 gates (no cssm or l0_average connection).", "/regularize/l0");
    }
    const form = selectForm(spec);
    if (written("l0_fields") && spec.regularize.l0_fields > 0 && form !== "l0" && form !== "l0_tanh") {
      report("warning", "l0_fields has no effect: the model has no field gates ('select fields per group' with form l0 or l0_tanh).", "/regularize/l0_fields");
    }
    // The canonical JSON writes every default out, so "set" means "set to something else".
    // select_offset acts on field selection, the other constants on L0 gates.
    const { select_offset: offset, noise, ...hardConcrete } = spec.gates;
    const { select_offset: defaultOffset, ...defaults } = DEFAULT_GATES;
    const hardConcreteSet = !isDeepStrictEqual(hardConcrete, defaults) || (noise ?? "per_step") !== "per_step";
    const offsetSet = offset !== defaultOffset;
    if (map.get("/gates") && !l0Gates && hardConcreteSet && (spec.select_fields || !offsetSet)) {
      report("warning", "The hard-concrete constants of the gates section have no effect: the model has no L0 gates (no cssm or l0_average connection).", "/gates", { onKey: true });
    } else if (map.get("/gates") && !l0Gates && !spec.select_fields && (hardConcreteSet || offsetSet)) {
      report("warning", "The gates section has no effect: the model has no L0 gates (no cssm or l0_average connection) and no 'select fields per group' for select_offset.", "/gates", { onKey: true });
    } else if (map.get("/gates/select_offset") && !spec.select_fields && offsetSet) {
      report("warning", "select_offset has no effect: it offsets the field masks of 'select fields per group', which this model does not use.", "/gates/select_offset", { onKey: true });
    }
    if (map.get("/gates/noise") && spec.gates.noise === "per_example_fields" && form !== "l0" && form !== "l0_tanh" && l0Gates) {
      report("warning", "'noise: per_example_fields' draws per example only for field gates, and this model has none ('select fields per group' with form l0 or l0_tanh): its gates are drawn per step.", "/gates/noise", { onKey: true });
    }
    // Freezing acts on L0 gates (field gates included) and only while prune_during_training is on.
    for (const key of ["prune_during_training", "freeze_threshold", "freeze_every"] as const) {
      const pointer = `/train/${key}`;
      if (!map.get(pointer)) continue;
      if (!l0Gates) report("warning", `'${key}' has no effect: the model has no L0 gates to freeze (no cssm or l0_average connection, no field gates).`, pointer, { onKey: true });
      else if (key !== "prune_during_training" && spec.train.prune_during_training === false) report("warning", `'${key}' has no effect: prune_during_training is false, so no gate is frozen by it.`, pointer, { onKey: true });
    }
    if (map.get("/train/gate_optimizer") && !l0Gates && !spec.select_fields && !isDeepStrictEqual(spec.train.gate_optimizer, normalizeOptimizer(DEFAULT_GATE_OPTIMIZER))) {
      report("warning", "'gate_optimizer' has no effect: the model has no gates (no cssm or l0_average connection and no 'select fields per group').", "/train/gate_optimizer", { onKey: true });
    }
  },
};
