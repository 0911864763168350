import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";
import { expertsPointer, stageName } from "./describe.js";

/** A sub-network whose output the next stage never reads is dead weight; the compiler removes it. */
export const unreadOutput: Rule = {
  code: "unread-output",
  description: "A group's experts (or its field selection) produce an output that nothing in the next stage reads; it is removed at compile time.",
  check({ spec, stages, report }) {
    for (const stage of stages.slice(0, -1)) {
      const next = stages[stage.index + 1]!;
      // Nothing reads an empty level: that is empty-level's, not one warning per group.
      if (next.consumers.length === 0) continue;
      const read = new Set(next.consumers.flatMap((c) => c.reads.map((p) => p.group)));
      const groups = [...new Set(stage.producers.filter((p) => !p.input).map((p) => p.group))];
      for (const group of groups) {
        // Experts of an undeclared group are unknown-name's to report.
        if (read.has(group) || !spec.groups.includes(group)) continue;
        const nextName = stageName(next.index, spec);
        const where = next.index > spec.levels.length ? "no tower reads" : `nothing at ${nextName} reads`;
        if (stage.index === 0) {
          report("warning", `The field selection of '${group}' is unused: ${where} it, so it will be removed at compile time.`, child("/groups", spec.groups.indexOf(group)));
        } else {
          report("warning", `The experts of '${group}' at level ${stage.index} feed nothing: ${where} them, so they will be removed at compile time.`, expertsPointer(stage.index - 1, group), { onKey: true });
        }
      }
    }
  },
};
