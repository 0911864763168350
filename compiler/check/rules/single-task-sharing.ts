import type { Rule } from "../rule.js";
import { connectKindPointer, connectionPhrase } from "./describe.js";

/** Connections whose point is to share between the columns of several tasks. */
const SHARING = new Set(["softmax_gate", "cross_stitch", "cssm", "l0_average"]);

/** Sharing machinery between groups in a one-task model has no other task to share with. */
export const singleTaskSharing: Rule = {
  code: "single-task-sharing",
  description: "A model with one task mixes several groups through softmax_gate, cross_stitch, cssm or l0_average, which exist to share between tasks.",
  check({ spec, stages, report }) {
    if (spec.tasks.length !== 1) return;
    const stage = stages.find((s) => s.connect && SHARING.has(s.connect.kind) && s.consumers.some((c) => new Set(c.reads.map((p) => p.group)).size > 1));
    if (!stage) return;
    report(
      "warning",
      `The model learns one task ('${spec.tasks[0]!.name}'), but ${connectionPhrase(stage, spec)} shares between several groups; that machinery only helps when there are several tasks.`,
      connectKindPointer(stage.index, spec),
    );
  },
};
