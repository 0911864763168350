import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";

/** A task with weight 0 contributes nothing to the joint loss. */
export const zeroTaskWeight: Rule = {
  code: "zero-task-weight",
  description: "A task has weight 0, so its loss does not count and its tower is not trained.",
  appliesToLibraries: true,
  check({ spec, report }) {
    spec.tasks.forEach((task, t) => {
      if (task.weight === 0) report("warning", `The task '${task.name}' has weight 0, so its loss does not count and it is not trained.`, child(child("/tasks", t), "weight"));
    });
  },
};
