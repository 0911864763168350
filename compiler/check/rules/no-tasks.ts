import type { Rule } from "../rule.js";

/** A model without tasks. */
export const noTasks: Rule = {
  code: "no-tasks",
  description: "The model has no tasks to learn.",
  check({ spec, report }) {
    if (spec.tasks.length === 0) report("error", `The model '${spec.model}' has no tasks; declare them in a tasks block or import a file that does.`, "/model");
  },
};
