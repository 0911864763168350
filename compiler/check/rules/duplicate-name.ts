import type { Rule } from "../rule.js";
import { declaredNames } from "./describe.js";

/** Two fields, two tasks or two groups with the same name, or a task listed twice on the model's `tasks` line. */
export const duplicateName: Rule = {
  code: "duplicate-name",
  description: "Two fields, two tasks or two groups share a name, or the model's 'tasks' lists a task twice.",
  appliesToLibraries: true,
  check({ spec, report }) {
    for (const { what, names } of declaredNames(spec)) {
      const first = new Map<string, string>();
      for (const { name, pointer } of names) {
        const earlier = first.get(name);
        if (earlier === undefined) first.set(name, pointer);
        else report("error", `The ${what} '${name}' is declared twice.`, pointer, { related: [{ pointer: earlier, message: "first declared here" }] });
      }
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
