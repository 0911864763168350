import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";

/** A declared group that never gets experts (and no field selection) takes no part in the model. */
export const unusedGroup: Rule = {
  code: "unused-group",
  description: "A declared group has no experts at any level and no field selection, so it takes no part in the model.",
  check({ spec, report }) {
    if (spec.select_fields) return;
    spec.groups.forEach((group, g) => {
      if (spec.groups.indexOf(group) !== g) return; // a duplicate is duplicate-name's
      if (spec.levels.some((l) => group in l.experts)) return;
      report("warning", `The group '${group}' has no experts at any level, so it takes no part in the model; give it experts or remove it from 'groups'.`, child("/groups", g));
    });
  },
};
