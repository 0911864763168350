import type { Location, ReferenceParams } from "vscode-languageserver/node.js";
import { declarationsOf, occurrenceAt, occurrences, referencesOf, type Occurrence } from "./occurrences.js";
import { toOffset } from "./positions.js";
import { guarded, locationOf, viewOf, type Services, type View } from "./request.js";

// Find references. Fields and tasks are declared once and used by every file importing their
// declaration, so every file of the workspace index that reaches the declaring file through its
// imports counts; a group that is no task's is local to its model.

/** Every occurrence of the name `target` is one of, across the files that share it. */
export function referenceSet(s: Services, v: View, target: Occurrence): Occurrence[] {
  const home = declarationsOf(v.names, target).find((d) => d.role === "task" || d.role === "field")?.file;
  if (!home) return referencesOf(v.names, target);
  const found = new Map<string, Occurrence>();
  for (const file of s.index.dependents(home)) {
    for (const o of referencesOf(occurrences(s.index.project(file)), target)) found.set(`${o.file}\u0000${o.span.start}`, o);
  }
  return [...found.values()];
}

/** Answers references requests. */
export function registerReferences(s: Services): void {
  s.connection.onReferences(
    guarded(s.connection, "references", [], (p: ReferenceParams): Location[] => {
      const v = viewOf(s, p.textDocument.uri);
      const target = v && occurrenceAt(v.names, v.path, toOffset(v.main.table, p.position));
      if (!v || !target) return [];
      return referenceSet(s, v, target)
        .filter((o) => p.context.includeDeclaration || !o.declaration)
        .flatMap((o) => locationOf(s, o) ?? []);
    }),
  );
}
