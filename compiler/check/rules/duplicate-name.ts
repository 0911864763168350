import type { Rule } from "../rule.js";

/** Two fields, two tasks or two groups with the same name, or a task listed twice on the model's `tasks` line. */
export const duplicateName: Rule = {
  code: "duplicate-name",
  description: "Two fields, two tasks or two groups share a name, or the model's 'tasks' lists a task twice.",
  appliesToLibraries: true,
  check({ spec, report }) {
    const lists: [string, string, string[]][] = [
      ["field", "/fields", spec.fields.map((f) => f.name)],
      ["task", "/tasks", spec.tasks.map((t) => t.name)],
      ["group", "/groups", spec.groups],
    ];
    for (const [what, base, names] of lists) {
      const first = new Map<string, number>();
      names.forEach((name, i) => {
        const j = first.get(name);
        if (j === undefined) first.set(name, i);
        else {
          const pointer = what === "group" ? `${base}/${i}` : `${base}/${i}/name`;
          const earlier = what === "group" ? `${base}/${j}` : `${base}/${j}/name`;
          report("error", `The ${what} '${name}' is declared twice.`, pointer, { related: [{ pointer: earlier, message: "first declared here" }] });
        }
      });
    }
  },
  // The JSON keeps each task of the `tasks` line once; an undeclared one is unknown-name's.
  checkWritten({ written, report }) {
    const listed = new Set<string>();
    for (const n of written.taskSubset ?? []) {
      if (!written.declaredTasks.includes(n.text)) continue;
      if (listed.has(n.text)) report("error", `The task '${n.text}' is listed twice.`, n.span);
      listed.add(n.text);
    }
  },
};
