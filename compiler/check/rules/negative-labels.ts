import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";

/**
 * A binary task's `negative` list that cannot name the negative class: an empty one (every value
 * would be a bad row), or one sharing a value with `positive` (that value would be both classes).
 */
export const negativeLabels: Rule = {
  code: "negative-labels",
  description: "A binary task's negative list is empty or names a value that is also positive.",
  appliesToLibraries: true,
  check({ spec, report }) {
    spec.tasks.forEach((task, t) => {
      if (task.kind !== "binary" || task.negative === undefined) return;
      const pointer = child(child("/tasks", t), "negative");
      if (task.negative.length === 0) {
        report("error", `The binary task '${task.name}' lists no negative value, so every row would be bad; list at least one, or leave 'negative' out to count every value that is not positive as negative.`, pointer);
        return;
      }
      const positive = new Set(task.positive);
      task.negative.forEach((value, k) => {
        if (positive.has(value)) {
          report("error", `The binary task '${task.name}' lists the label value ${JSON.stringify(value)} as both positive and negative; a value belongs to one class.`, child(pointer, k));
        }
      });
    });
  },
};
