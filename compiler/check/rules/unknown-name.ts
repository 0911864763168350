import type { Rule } from "../rule.js";
import { suggest } from "../../../base/suggest.js";
import { expertsPointer, quoteList, towerPointer } from "./describe.js";

/**
 * A name that refers to nothing: a task on the model's `tasks` line that is not declared, experts
 * for a group that is not declared, or a tower for a name that is not a task of the model.
 */
export const unknownName: Rule = {
  code: "unknown-name",
  description: "A model's 'tasks' names an undeclared task, experts are given to a group that is not declared in 'groups', or a tower to a name that is not a task of the model.",
  check({ spec, report }) {
    spec.levels.forEach((level, i) => {
      for (const group of Object.keys(level.experts)) {
        if (!spec.groups.includes(group)) report("error", unknownGroup(group, i, spec.groups), expertsPointer(i, group), { onKey: true });
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
  // The `tasks` line and `g: none` leave no trace of an unknown name in the JSON.
  checkWritten({ written, report }) {
    for (const n of written.taskSubset ?? []) {
      if (written.declaredTasks.includes(n.text)) continue;
      const hint = suggest(n.text, written.declaredTasks);
      report("error", `Unknown task '${n.text}'${hint ? `; did you mean '${hint}'?` : "; declare it in a tasks block."}`, n.span);
    }
    const groups = written.groups;
    if (!groups) return;
    for (const { level, group } of written.noExperts) if (!groups.includes(group.text)) report("error", unknownGroup(group.text, level, groups), group.span);
  },
};

/** The message for experts given to `group`, undeclared, at the 0-based `level`. */
function unknownGroup(group: string, level: number, groups: readonly string[]): string {
  const hint = suggest(group, groups);
  const fix = hint ? `did you mean '${hint}'?` : groups.length ? `declare it in 'groups'.` : `declare the model's groups, for example 'groups ${group}'.`;
  return `Unknown group '${group}' at level ${level + 1}; ${fix}`;
}
