import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";

/** A task's label column also read as an input field: the model would see the answer. */
export const labelUsedAsField: Rule = {
  code: "label-used-as-field",
  description: "A column that is some task's label is also read by an input field.",
  appliesToLibraries: true,
  check({ spec, map, report }) {
    spec.tasks.forEach((task, t) => {
      spec.fields.forEach((field, f) => {
        if (field.column !== task.label) return;
        const base = child("/fields", f);
        // Blame the `column:` option when written, else the field's name (its default column).
        const pointer = map.get(child(base, "column")) ? child(base, "column") : child(base, "name");
        report("error", `The field '${field.name}' reads the column '${field.column}', which is the label of the task '${task.name}'; a label can never be an input.`, pointer, {
          related: [{ pointer: child(child("/tasks", t), "label"), message: `the label of '${task.name}'` }],
        });
      });
    });
  },
};
