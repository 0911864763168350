import type * as A from "../../../grammar/ast.js";
import { child } from "../source-map.js";
import type { DeclaredTask } from "./declarations.js";
import type { FileWriter, Json } from "./writer.js";

/** The model's `tasks` line (the first; another is an error), when it has one. */
export function taskSubset(model: A.ModelDecl, { report }: FileWriter): A.ModelTasks | undefined {
  const subsets = model.entries.filter((e): e is A.ModelTasks => e.kind === "model-tasks");
  for (const extra of subsets.slice(1)) report("duplicate-section", "'tasks' is given twice in this model.", extra.span);
  return subsets[0];
}

/**
 * The tasks the model learns: every declared task, or those its `tasks` line names, each once
 * (a name listed twice or not declared is left to the duplicate-name and unknown-name rules).
 */
export function chooseTasks(subset: A.ModelTasks | undefined, declared: readonly DeclaredTask[]): DeclaredTask[] {
  if (!subset) return [...declared];
  const chosen: DeclaredTask[] = [];
  for (const n of subset.names) {
    const t = declared.find((d) => d.decl.name.text === n.text);
    if (t && !chosen.includes(t)) chosen.push(t);
  }
  return chosen;
}

/** The canonical JSON of the chosen tasks, each recorded in the file that declares it. */
export function tasksJson(chosen: readonly DeclaredTask[], writer: (file: string) => FileWriter): Json[] {
  return chosen.map((t, i) => {
    const w = writer(t.file);
    const pointer = child("/tasks", i);
    w.note(pointer, t.decl.span);
    w.note(child(pointer, "name"), t.decl.name.span);
    return w.call(t.type, pointer, t.type.name.text === "multiclass" ? ["classes"] : [], { name: t.decl.name.text });
  });
}
