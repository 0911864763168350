import type { Rule } from "../rule.js";

/** A model without input fields. */
export const noFields: Rule = {
  code: "no-fields",
  description: "The model has no input fields.",
  check({ spec, report }) {
    if (spec.fields.length === 0) report("error", `The model '${spec.model}' has no fields; declare them in a fields block or import a file that does.`, "/model");
  },
};
