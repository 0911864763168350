import type { Rule } from "../rule.js";
import { expertsPointer, stageName, towerPointer } from "./describe.js";

/** A consumer whose source mode leaves it nothing to read from the stage before. */
export const noSources: Rule = {
  code: "no-sources",
  description: "An expert group or a tower reads nothing, because its connection's sources select no output of the stage before it.",
  check({ spec, map, stages, report }) {
    for (const stage of stages.slice(1)) {
      const previous = stages[stage.index - 1]!;
      // An empty previous level is empty-level's to report.
      if (previous.producers.length === 0 || !stage.connect) continue;
      const atTowers = stage.index > spec.levels.length;
      const connectPointer = atTowers ? "/towers/connect" : `/levels/${stage.index - 1}/connect`;
      for (const consumer of stage.consumers) {
        if (consumer.reads.length > 0) continue;
        const who = atTowers ? `The tower of '${consumer.name}'` : `The experts of '${consumer.name}' at level ${stage.index}`;
        const sees = {
          own: `only the outputs of '${consumer.name}'`,
          shared: "only the outputs of shared groups",
          own_and_shared: `only the outputs of '${consumer.name}' and of shared groups`,
          all: "every output",
        }[consumer.sources];
        // Quote the mode as written: `auto` is what the user chose, its meaning here is in `sees`.
        const message = `${who} ${atTowers ? "reads" : "read"} nothing: with sources '${stage.connect.sources}' ${atTowers ? "it sees" : "they see"} ${sees}, and ${stageName(previous.index, spec)} has none.`;
        // Blame the `sources:` option when it was written, else the consumer itself.
        const written = map.get(`${connectPointer}/sources`);
        const pointer = written ? `${connectPointer}/sources` : atTowers ? towerPointer(consumer.name) : expertsPointer(stage.index - 1, consumer.name);
        report("error", message, pointer, { onKey: !written });
      }
    }
  },
};
