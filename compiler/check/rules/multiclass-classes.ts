import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";

/** A multiclass task with a single class has nothing to choose between. */
export const multiclassClasses: Rule = {
  code: "multiclass-classes",
  description: "A multiclass task has fewer than 2 classes.",
  appliesToLibraries: true,
  check({ spec, report }) {
    spec.tasks.forEach((task, t) => {
      // Zero and negative counts are non-positive-size's; one class is the case left.
      if (task.kind === "multiclass" && task.classes === 1) {
        report("error", `The multiclass task '${task.name}' has 1 class; it needs at least 2 (for a yes/no label use binary).`, child(child("/tasks", t), "classes"));
      }
    });
  },
};
