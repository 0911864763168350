import type { Rule } from "../rule.js";

/** Two fields, two tasks or two groups with the same name. */
export const duplicateName: Rule = {
  code: "duplicate-name",
  description: "Two fields, two tasks or two groups share a name.",
  appliesToLibraries: true,
  check({ spec, report }) {
    const lists: [string, string, string[]][] = [
      ["field", "/fields", spec.fields.map((f) => f.name)],
      ["task", "/tasks", spec.tasks.map((t) => t.name)],
      ["group", "/groups", spec.groups],
    ];
    for (const [what, base, names] of lists) {
      const first = new Map<string, number>();
      names.forEach((name, i) => {
        const j = first.get(name);
        if (j === undefined) first.set(name, i);
        else {
          const pointer = what === "group" ? `${base}/${i}` : `${base}/${i}/name`;
          const earlier = what === "group" ? `${base}/${j}` : `${base}/${j}/name`;
          report("error", `The ${what} '${name}' is declared twice.`, pointer, { related: [{ pointer: earlier, message: "first declared here" }] });
        }
      });
    }
  },
};
