import type { Rule } from "../rule.js";

/** Hard-concrete constants that break the gate: z = min(1, max(0, s(ζ−γ)+γ)) needs γ < 0 < 1 < ζ to reach exact 0 and 1. */
export const gateConstantRange: Rule = {
  code: "gate-constant-range",
  description: "A gate constant is out of range: gamma must be below 0, zeta above 1, beta positive, init_drop strictly between 0 and 1 and select_offset 0 or more.",
  check({ spec, report }) {
    const { beta, gamma, zeta, init_drop, select_offset } = spec.gates;
    if (!(gamma < 0)) report("error", `gamma must be below 0, not ${gamma}: the stretched gate could never be exactly 0, so nothing would be pruned.`, "/gates/gamma");
    if (!(zeta > 1)) report("error", `zeta must be above 1, not ${zeta}: the stretched gate could never be exactly 1.`, "/gates/zeta");
    if (!(beta > 0)) report("error", `beta (the gate temperature) must be positive, not ${beta}.`, "/gates/beta");
    // log α starts at log(1−p) − log p, which is infinite at p = 0 or 1.
    if (!(init_drop > 0 && init_drop < 1)) report("error", `init_drop must be above 0 and below 1, not ${init_drop}.`, "/gates/init_drop");
    // The FSCM vectors g start near 0, so below 0 every mask relu(tanh(g · e + b)) starts at 0,
    // where relu has no gradient: field selection would never open.
    if (!(select_offset >= 0)) report("error", `select_offset must be 0 or more, not ${select_offset}: every field mask relu(tanh(g · e + b)) would start at 0 with no gradient, so no group would ever read a field.`, "/gates/select_offset");
  },
};
