import type { Rule } from "../rule.js";
import { child } from "../../load/source-map.js";
import { capitalize, expertsPhrase, expertsPointer, towerPhrase, towerPointer } from "./describe.js";

/** Sizes the schema only knows to be whole numbers: each must also be at least 1. */
export const nonPositiveSize: Rule = {
  code: "non-positive-size",
  description: "A size, count or width is zero or negative, a vocabulary is empty, or experts have no layer.",
  appliesToLibraries: true,
  check({ spec, map, report }) {
    const positive = (value: number | undefined, what: string, pointer: string) => {
      if (value !== undefined && value <= 0) report("error", `${what} must be at least 1, not ${value}.`, pointer);
    };
    const widths = (list: number[], whose: string, pointer: string) =>
      list.forEach((w, k) => positive(w, `Every layer width of ${whose}`, child(child(pointer, "widths"), k)));

    spec.fields.forEach((field, f) => {
      const p = child("/fields", f);
      positive(field.dim, `The dim of the field '${field.name}'`, child(p, "dim"));
      if (field.kind === "numeric") return;
      positive(field.hash_buckets, `The hash_buckets of the field '${field.name}'`, child(p, "hash_buckets"));
      positive(field.min_count, `The min_count of the field '${field.name}'`, child(p, "min_count"));
      if (field.vocabulary?.length === 0) report("error", `The vocabulary of the field '${field.name}' is empty; list at least one value.`, child(p, "vocabulary"));
    });
    spec.tasks.forEach((task, t) => {
      // classes = 1 is positive but still wrong: multiclass-classes reports it.
      if (task.kind === "multiclass") positive(task.classes, `The number of classes of the task '${task.name}'`, child(child("/tasks", t), "classes"));
    });
    spec.levels.forEach((level, i) => {
      for (const [group, experts] of Object.entries(level.experts)) {
        const p = expertsPointer(i, group);
        const whose = expertsPhrase(map, i, group);
        positive(experts.count, `The count of ${whose}`, child(p, "count"));
        if (experts.widths.length === 0) report("error", `${capitalize(whose)} have no layer; an expert needs at least one, for example 'mlp[64]'.`, child(p, "widths"));
        widths(experts.widths, whose, p);
      }
    });
    for (const [task, tower] of Object.entries(spec.towers.tasks)) widths(tower.widths, towerPhrase(map, task), towerPointer(task));
    positive(spec.train.batch, "The batch size", "/train/batch");
    positive(spec.train.epochs, "The number of epochs", "/train/epochs");
  },
};
