import type { Rule } from "../rule.js";

/** Cross-stitch mixes columns; at level 1 without field selection there is only the shared input. */
export const crossStitchOnInput: Rule = {
  code: "cross-stitch-on-input",
  description: "cross_stitch at level 1 reads only the single shared input, so it has no columns to mix.",
  check({ spec, report }) {
    const first = spec.levels[0];
    if (!first || first.connect.kind !== "cross_stitch" || spec.select_fields) return;
    report("warning", "cross_stitch at level 1 reads only the shared input, so it has no columns to mix; use dense here and cross_stitch from level 2 on.", "/levels/0/connect/kind");
  },
};
