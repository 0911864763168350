// The metrics each task kind is measured by (runtime/metrics.ts computes them), in table order,
// and which are better lower. `train { monitor: ... }` names them (specs/language.md, "train").

import type { Task } from "./types.js";

/** The metrics of a task kind, in the order tables print them. */
export const TASK_METRICS: Readonly<Record<Task["kind"], readonly string[]>> = {
  binary: ["auc", "logloss"],
  regression: ["rmse"],
  multiclass: ["accuracy", "logloss"],
};

/** The metrics that are better lower: a monitor counts them negated, so it is always maximized. */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set(["logloss", "rmse"]);
