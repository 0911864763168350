import { describe, expect, it } from "vitest";
import { completeAt, taskKinds } from "../../editor/lsp/completion.js";
import { occurrences } from "../../editor/lsp/occurrences.js";
import { parseDoc } from "../../editor/lsp/parsed-doc.js";

// Completion inside `train { monitor: ... }` (specs/language.md, "train"): where a term starts,
// the model's task names; after `task.`, the metrics of that task's kind, as the check rule
// monitor-metric accepts them; elsewhere in the section, its keys as before.

const spec = `tasks {
  click binary(label: c)
  dwell regression(label: d)
  "my kind" multiclass(3, label: k)
}
model m {
  groups shared
  level 1 { experts: mlp[4] relu }
  towers { tower: mlp[4] relu }
  train { epochs: 3, monitor: MONITOR }
}
`;

/** The labels offered with the cursor at the end of `monitor` (written in place of MONITOR). */
function labels(monitor: string, rest = ""): string[] {
  const text = spec.replace("MONITOR", monitor + rest);
  const doc = parseDoc("/m.mssm", text);
  return completeAt(text, text.indexOf("monitor: ") + "monitor: ".length + monitor.length, occurrences([doc]), taskKinds([doc])).map((i) => i.label);
}

describe("completion in a monitor", () => {
  it("offers task names where a term starts: after the colon, a plus, a weight's star", () => {
    const tasks = ["click", "dwell", "my kind"];
    expect(labels("")).toEqual(tasks);
    expect(labels("cl")).toEqual(tasks);
    expect(labels("click.auc + ")).toEqual(tasks);
    expect(labels("click.auc +0.3 * ")).toEqual(tasks);
    expect(labels("0.5 * d")).toEqual(tasks);
  });

  it("offers the metrics of the task's kind after its dot, saying which count negated", () => {
    expect(labels("click.")).toEqual(["auc", "logloss"]);
    expect(labels("click.auc + dwell.")).toEqual(["rmse"]);
    expect(labels('0.2 * "my kind".ac')).toEqual(["accuracy", "logloss"]);
    const text = spec.replace("MONITOR", "click.");
    const doc = parseDoc("/m.mssm", text);
    const items = completeAt(text, text.indexOf("click.") + 6, occurrences([doc]), taskKinds([doc]));
    expect(items.map((i) => i.detail)).toEqual(["higher is better", "lower is better (counted negated)"]);
  });

  it("offers every metric for a task it cannot find, nothing after a weight, and the section's keys on a new line", () => {
    expect(labels("nope.")).toEqual(["auc", "logloss", "rmse", "accuracy"]);
    expect(labels("0.7 ")).toEqual([]);
    const keys = labels("click.auc\n    ");
    expect(keys).toContain("patience");
    expect(keys).not.toContain("click");
  });
});
