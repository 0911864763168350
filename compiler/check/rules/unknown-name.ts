import type { Rule } from "../rule.js";
import { suggest } from "../../../base/suggest.js";
import { expertsPointer, quoteList, towerPointer } from "./describe.js";

/** Experts for a group that is not declared, or a tower for a name that is not a task of the model. */
export const unknownName: Rule = {
  code: "unknown-name",
  description: "Experts are given to a group that is not declared in 'groups', or a tower to a name that is not a task of the model.",
  check({ spec, report }) {
    spec.levels.forEach((level, i) => {
      for (const group of Object.keys(level.experts)) {
        if (spec.groups.includes(group)) continue;
        const hint = suggest(group, spec.groups);
        const fix = hint ? `did you mean '${hint}'?` : spec.groups.length ? `declare it in 'groups'.` : `declare the model's groups, for example 'groups ${group}'.`;
        report("error", `Unknown group '${group}' at level ${i + 1}; ${fix}`, expertsPointer(i, group), { onKey: true });
      }
    });
    const tasks = spec.tasks.map((t) => t.name);
    for (const name of Object.keys(spec.towers.tasks)) {
      if (tasks.includes(name)) continue;
      const hint = suggest(name, tasks);
      const fix = hint ? `did you mean '${hint}'?` : tasks.length === 1 ? `the model's only task is '${tasks[0]}'.` : tasks.length ? `the model's tasks are ${quoteList(tasks)}.` : "the model has no tasks.";
      report("error", `A tower is given to '${name}', which is not a task of this model; ${fix}`, towerPointer(name), { onKey: true });
    }
  },
};
