import type { Rule } from "../rule.js";

/** Experts for every group, or field selection per group, without any group. */
export const missingGroups: Rule = {
  code: "missing-groups",
  description: "'experts:' for every group or 'select fields per group' is used, but the model declares no groups.",
  check({ spec, report }) {
    if (spec.select_fields && spec.groups.length === 0) {
      report("error", "'select fields per group' needs groups to select fields for; declare them first, for example 'groups shared'.", "/select_fields");
    }
  },
  // `experts:` for every group expands to nothing in the JSON when there are no groups.
  checkWritten({ written, report }) {
    if (written.groups) return;
    for (const span of written.expertsForEveryGroup) {
      report("error", "Declare the model's groups (for example 'groups shared') before giving experts to every group.", span);
    }
  },
};
