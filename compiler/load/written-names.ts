import type { Span } from "../../base/source/span.js";

/** A name as the text writes it. */
export interface WrittenName {
  text: string;
  span: Span;
}

/**
 * What a model's text says about names that its canonical JSON cannot carry, for the check rules
 * that own those codes: the model's `tasks` line (the JSON keeps only the tasks it resolves to),
 * `g: none` experts (which write nothing) and `experts:` for every group (expanded over the
 * declared groups, so nothing when there are none).
 */
export interface WrittenNames {
  /** The model's file. */
  file: string;
  /** The name of every declared task, those of imported files first. */
  declaredTasks: string[];
  /** The names on the model's `tasks` line, when it has one. */
  taskSubset: WrittenName[] | undefined;
  /** The model's groups, when it declares them. */
  groups: string[] | undefined;
  /** Each `g: none` in a level's experts, with the level's 0-based index. */
  noExperts: { level: number; group: WrittenName }[];
  /** Each `experts:` written once for every group. */
  expertsForEveryGroup: Span[];
}
