import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";
import { TASK_METRICS } from "../../load/metrics.js";
import { suggest } from "../../../base/suggest.js";

const quoted = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(", ");

/** `train { monitor: ... }` names a task of the model, one of that task's metrics, and a positive weight. */
export const monitorMetric: Rule = {
  code: "monitor-metric",
  description: "The monitor names a task the model does not learn, a metric its task does not have, or a weight that is not positive.",
  appliesToLibraries: false,
  check({ spec, report }) {
    const names = spec.tasks.map((t) => t.name);
    (spec.train.monitor ?? []).forEach((term, i) => {
      const at = child(child("/train", "monitor"), i);
      const task = spec.tasks.find((t) => t.name === term.task);
      if (!task) {
        const near = suggest(term.task, names);
        report("error", `The monitor names '${term.task}', which is not a task of the model; ${near ? `did you mean '${near}'?` : `its tasks are ${quoted(names)}.`}`, child(at, "task"));
        return;
      }
      const metrics = TASK_METRICS[task.kind];
      if (!metrics.includes(term.metric)) {
        const near = suggest(term.metric, metrics);
        report("error", `'${term.metric}' is not a metric of the ${task.kind} task '${task.name}'; ${near ? `did you mean '${near}'?` : `its metrics are ${quoted(metrics)}.`}`, child(at, "metric"));
      }
      if (!(term.weight > 0)) report("error", `The monitor weight of '${task.name}.${term.metric}' is ${term.weight}; a weight must be positive (rmse and logloss are already counted negated).`, child(at, "weight"));
    });
  },
};
