import type { Rule } from "../rule.js";
import { writtenOptimizers } from "./describe.js";

/** A learning rate above 1 is legal but almost always a slip (a missing exponent). */
export const largeLearningRate: Rule = {
  code: "large-learning-rate",
  description: "A learning rate is above 1, where training almost always diverges.",
  check({ spec, map, report }) {
    for (const { name, pointer, optimizer } of writtenOptimizers(spec, map)) {
      if (optimizer.lr > 1) report("warning", `The learning rate of '${name}' is ${optimizer.lr}, above 1; training will likely diverge.`, `${pointer}/lr`);
    }
  },
};
