import type { DefinitionParams, Location } from "vscode-languageserver/node.js";
import { declarationsOf, occurrenceAt } from "./occurrences.js";
import { toOffset } from "./positions.js";
import { guarded, locationOf, viewOf, type Services } from "./request.js";

// Go to definition: the declarations of the field, task or group under the cursor, in the file or
// the files it imports; for a group named after a task, the task's declaration first.

/** Answers definition requests. */
export function registerDefinition(s: Services): void {
  s.connection.onDefinition(
    guarded(s.connection, "definition", [], (p: DefinitionParams): Location[] => {
      const v = viewOf(s, p.textDocument.uri);
      const target = v && occurrenceAt(v.names, v.path, toOffset(v.main.table, p.position));
      if (!v || !target) return [];
      return declarationsOf(v.names, target).flatMap((o) => locationOf(s, o) ?? []);
    }),
  );
}
