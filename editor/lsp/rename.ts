import type { PrepareRenameParams, Range, RenameParams, TextEdit, WorkspaceEdit } from "vscode-languageserver/node.js";
import { quoteString } from "../../grammar/print.js";
import { keywords } from "../../grammar/tokens.js";
import { occurrenceAt } from "./occurrences.js";
import { toOffset, toRange } from "./positions.js";
import { referenceSet } from "./references.js";
import { guarded, locationOf, viewOf, type Services } from "./request.js";

// Rename: every occurrence that find references reports, in every file, gets the new name. A task
// and the group named after it are one name, so they are renamed together.

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*$/;
const KEYWORDS = new Set(keywords.map((k) => String(k.PATTERN).replace(/\//g, "")));

/** Answers prepare-rename and rename requests. */
export function registerRename(s: Services): void {
  s.connection.onPrepareRename(
    guarded(s.connection, "rename", null, (p: PrepareRenameParams): { range: Range; placeholder: string } | null => {
      const v = viewOf(s, p.textDocument.uri);
      const target = v && occurrenceAt(v.names, v.path, toOffset(v.main.table, p.position));
      return v && target ? { range: toRange(v.main.table, target.span), placeholder: target.name } : null;
    }),
  );
  s.connection.onRenameRequest(
    guarded(s.connection, "rename", null, (p: RenameParams): WorkspaceEdit | null => {
      const v = viewOf(s, p.textDocument.uri);
      const target = v && occurrenceAt(v.names, v.path, toOffset(v.main.table, p.position));
      if (!v || !target || p.newName === "") return null;
      // A keyword is a legal name, but quoting it keeps `tower` or `none` from reading as syntax.
      const text = IDENTIFIER.test(p.newName) && !KEYWORDS.has(p.newName) ? p.newName : quoteString(p.newName);
      const changes: Record<string, TextEdit[]> = {};
      for (const o of referenceSet(s, v, target)) {
        const loc = locationOf(s, o);
        if (loc) (changes[loc.uri] ??= []).push({ range: loc.range, newText: text });
      }
      return { changes };
    }),
  );
}
