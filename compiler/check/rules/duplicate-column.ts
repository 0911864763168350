import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";

/** Two fields reading one column the same way: the same input twice, most likely a copy-paste slip. */
export const duplicateColumn: Rule = {
  code: "duplicate-column",
  description: "Two fields of the same kind read the same column.",
  appliesToLibraries: true,
  check({ spec, map, report }) {
    const at = (f: number) => (map.get(child(child("/fields", f), "column")) ? child(child("/fields", f), "column") : child(child("/fields", f), "name"));
    // First field reading each (kind, column); a map keeps this linear for specs with thousands of fields.
    const firstReader = new Map<string, number>();
    spec.fields.forEach((field, j) => {
      const key = `${field.kind}\u0000${field.column}`;
      const i = firstReader.get(key);
      if (i === undefined) {
        firstReader.set(key, j);
        return;
      }
      const first = spec.fields[i]!;
      report("warning", `The fields '${first.name}' and '${field.name}' both read the column '${field.column}' as ${field.kind}; one of them is probably a mistake.`, at(j), {
        related: [{ pointer: at(i), message: `'${first.name}' reads it here` }],
      });
    });
  },
};
