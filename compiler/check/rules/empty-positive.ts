import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";

/** A binary task whose positive list is empty: every example would be a negative. */
export const emptyPositive: Rule = {
  code: "empty-positive",
  description: "A binary task lists no label value as positive.",
  appliesToLibraries: true,
  check({ spec, report }) {
    spec.tasks.forEach((task, t) => {
      if (task.kind === "binary" && task.positive.length === 0) {
        report("error", `The binary task '${task.name}' lists no positive value, so every example would be negative; list at least one (the default is ["1"]).`, child(child("/tasks", t), "positive"));
      }
    });
  },
};
