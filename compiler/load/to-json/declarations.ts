import type * as A from "../../../grammar/ast.js";
import { child } from "../source-map.js";
import type { FileWriter, Json } from "./writer.js";

/** A parsed file: its path and AST. */
export interface ParsedFile {
  path: string;
  document: A.Document;
}

/** A task declaration, its kind, and the file that declares it. */
export interface DeclaredTask {
  decl: A.Decl;
  type: A.TypeExpr;
  file: string;
}

/**
 * The fields (as canonical JSON, each recorded in its own file) and the tasks declared in `files`,
 * in order. Files other than `main` are imported: they may hold only fields and tasks.
 */
export function declarations(files: readonly ParsedFile[], main: ParsedFile, writer: (file: string) => FileWriter): { fields: Json[]; tasks: DeclaredTask[] } {
  const fields: Json[] = [];
  const tasks: DeclaredTask[] = [];
  for (const f of files) {
    const w = writer(f.path);
    const { report } = w;
    for (const item of f.document.items) {
      if (item.kind === "fields") {
        for (const d of item.decls) {
          if (!d.type) continue;
          const pointer = child("/fields", fields.length);
          w.note(pointer, d.span);
          w.note(child(pointer, "name"), d.name.span);
          fields.push(w.call(d.type, pointer, [], { name: d.name.text }));
        }
      } else if (item.kind === "tasks") {
        for (const d of item.decls) if (d.type) tasks.push({ decl: d, type: d.type, file: f.path });
      } else if (item.kind === "model" && f !== main) {
        report("model-in-import", `An imported file may hold only fields and tasks; '${f.path}' declares a model.`, item.span);
      }
    }
  }
  return { fields, tasks };
}
