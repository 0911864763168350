import type { Rule } from "../rule.js";

/** Field selection per group without any group to select for. */
export const missingGroups: Rule = {
  code: "missing-groups",
  description: "'select fields per group' is used, but the model declares no groups.",
  check({ spec, report }) {
    if (spec.select_fields && spec.groups.length === 0) {
      report("error", "'select fields per group' needs groups to select fields for; declare them first, for example 'groups shared'.", "/select_fields");
    }
  },
};
