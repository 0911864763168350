import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";

/** A sample weight column that is some task's label: a label is what is learnt, not how much a row counts. */
export const sampleWeightColumn: Rule = {
  code: "sample-weight-column",
  description: "A task's sample weight column is the label column of a task.",
  appliesToLibraries: true,
  check({ spec, map, report }) {
    spec.tasks.forEach((task, t) => {
      if (task.sample_weight === undefined) return;
      const labelled = spec.tasks.findIndex((other) => other.label === task.sample_weight);
      if (labelled < 0) return;
      // Blame the task's own `sample_weight:` when written, else the model's, which normalization copied.
      const own = child(child("/tasks", t), "sample_weight");
      const pointer = map.get(own) ? own : "/sample_weight";
      const other = spec.tasks[labelled]!;
      report("error", `The task '${task.name}' takes its sample weights from the column '${task.sample_weight}', which is the label of the task '${other.name}'; a weight column holds how much each row counts, not a label.`, pointer, {
        related: [{ pointer: child(child("/tasks", labelled), "label"), message: `the label of '${other.name}'` }],
      });
    });
  },
};
