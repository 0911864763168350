import type { Rule } from "../rule.js";

/** A task with no tower has no output layer, so it cannot be trained or scored. */
export const taskWithoutTower: Rule = {
  code: "task-without-tower",
  description: "A task of the model has no tower, and 'towers' gives no default 'tower'.",
  check({ spec, report }) {
    const missing = spec.tasks.filter((t) => !(t.name in spec.towers.tasks)).map((t) => t.name);
    if (missing.length === 0) return;
    if (missing.length === spec.tasks.length) {
      report("error", "No task has a tower; give every task one with a default in 'towers', for example 'towers { tower: mlp[16] relu }'.", "/towers");
      return;
    }
    for (const name of missing) {
      report("error", `The task '${name}' has no tower; add '${name}: mlp[16] relu' (or a default 'tower: ...') to 'towers'.`, "/towers");
    }
  },
};
