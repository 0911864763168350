import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";

/** A level without experts would cut every path from the input to the towers. */
export const emptyLevel: Rule = {
  code: "empty-level",
  description: "A level in which no group has experts.",
  check({ spec, report }) {
    spec.levels.forEach((level, i) => {
      if (Object.keys(level.experts).length === 0) {
        report("error", `No group has experts at level ${i + 1}, so nothing passes through it; give a group experts or remove the level.`, child("/levels", i));
      }
    });
  },
};
