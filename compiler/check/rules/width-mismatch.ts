import type { Rule } from "../rule.js";
import type { Producer } from "../../load/topology.js";
import { capitalize, connectKindPointer, connectionPhrase, producerName } from "./describe.js";

/** Connections that add their sources together (weighted), which needs one common width. */
const MIXING = new Set(["l0_average", "softmax_gate", "cross_stitch"]);

/** l0_average, softmax_gate and cross_stitch sum (weighted) outputs, so the outputs they mix must be equally wide. */
export const widthMismatch: Rule = {
  code: "width-mismatch",
  description: "An l0_average, softmax_gate or cross_stitch connection mixes outputs of unequal width.",
  check({ spec, stages, report }) {
    for (const stage of stages) {
      if (!stage.connect || !MIXING.has(stage.connect.kind)) continue;
      // One diagnostic per connection, naming every source (group and width) that some consumer mixes unequally.
      const involved = new Set<Producer>();
      for (const consumer of stage.consumers) {
        if (new Set(consumer.reads.map((p) => p.width)).size > 1) for (const p of consumer.reads) involved.add(p);
      }
      if (involved.size === 0) continue;
      // In the previous stage's order, one entry per group (a group's experts share one shape).
      const widths = new Map<string, number>();
      for (const p of stages[stage.index - 1]!.producers) if (involved.has(p) && !widths.has(producerName(p))) widths.set(producerName(p), p.width);
      const list = [...widths].map(([name, width]) => `${name} (${width} wide)`);
      const kind = stage.connect.kind;
      report(
        "error",
        `${capitalize(connectionPhrase(stage, spec))} mixes outputs of unequal width: ${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}; ${kind} needs them equally wide (make their last layers match, or use dense or cssm).`,
        connectKindPointer(stage.index, spec),
      );
    }
  },
};
