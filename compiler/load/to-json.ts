import { basename } from "node:path";
import type * as A from "../../grammar/ast.js";
import type { Diagnostic } from "../../base/source/diagnostic.js";
import { SourceMap } from "./source-map.js";
import { declarations, type ParsedFile } from "./to-json/declarations.js";
import { levelJson } from "./to-json/levels.js";
import { chooseTasks, taskSubset, tasksJson } from "./to-json/model-tasks.js";
import { selectJson } from "./to-json/select.js";
import { groupsJson, modelOption, sectionJson, sectionsOnce } from "./to-json/settings.js";
import { towersJson } from "./to-json/towers.js";
import { fileWriter, type FileWriter, type Json, type JsonObject } from "./to-json/writer.js";
import { SPEC_FORMAT_VERSION } from "./types.js";
import type { WrittenNames } from "./written-names.js";

export type { ParsedFile } from "./to-json/declarations.js";

// Lowers the AST of a model file (with the fields and tasks of the files it imports) to the
// canonical JSON form, recording where each value came from. Only what the text says is written;
// defaults are filled after schema validation by `normalize.ts`. One module per part of the
// model under to-json/; each writes through a FileWriter bound to the file its syntax is in.

/** The canonical JSON of a model file, where each value came from, and the lowering's problems. */
export interface Lowered {
  json: JsonObject | undefined;
  map: SourceMap;
  diagnostics: Diagnostic[];
  /** True for a file with fields and tasks but no model (a file for others to import). */
  library: boolean;
  /** The names the JSON cannot carry, for the check rules. */
  written: WrittenNames;
}

/** Builds the canonical JSON of the model in `main`; `imported` are the files it imports, in order. */
export function toJson(main: ParsedFile, imported: ParsedFile[]): Lowered {
  const map = new SourceMap();
  const diagnostics: Diagnostic[] = [];
  const writer = (file: string) => fileWriter(file, map, diagnostics);
  const w = writer(main.path);
  const { model, library } = theModel(main, w);

  // Fields and tasks of the imports first, then this file's.
  const declared = declarations([...imported, main], main, writer);
  const json: JsonObject = { mssm: SPEC_FORMAT_VERSION, model: model.name?.text ?? "", fields: declared.fields, tasks: [] };
  w.note("", model.span);
  if (model.name) w.note("/model", model.name.span);
  w.note("/fields", model.span);

  // The model's tasks: all declared, or the subset it names.
  const subset = taskSubset(model, w);
  const chosen = chooseTasks(subset, declared.tasks);
  w.note("/tasks", subset?.span ?? model.span);
  json["tasks"] = tasksJson(chosen, writer);

  const once = sectionsOnce(w);
  const groups = groupsJson(model, json, w, once);
  const written: WrittenNames = {
    file: main.path,
    declaredTasks: declared.tasks.map((t) => t.decl.name.text),
    taskSubset: subset?.names.map((n) => ({ text: n.text, span: n.span })),
    groups,
    noExperts: [],
    expertsForEveryGroup: [],
  };
  const levels: Json[] = [];
  for (const e of model.entries) {
    if (e.kind === "select" && once("select fields per group", e.span)) {
      json["select_fields"] = selectJson(e, w);
    } else if (e.kind === "level") {
      levels.push(levelJson(e, levels.length, groups, w, written));
    } else if (e.kind === "towers" && once("towers", e.span)) {
      json["towers"] = towersJson(e, chosen.map((t) => t.decl.name.text), w);
    } else if (e.kind === "section" && once(e.name.text, e.name.span)) {
      json[e.name.text] = sectionJson(e, w);
    } else if (e.kind === "property" && e.value && once(e.key.text, e.key.span)) {
      modelOption(e, json, w);
    }
  }
  json["levels"] = levels;
  w.note("/levels", model.span);
  if (!("towers" in json)) {
    json["towers"] = { tasks: {} };
    w.note("/towers", model.name?.span ?? model.span);
  }
  return { json, map, diagnostics, library, written };
}

/**
 * The model `main` declares (a second one is an error). A file without a model is a library of
 * fields and tasks for others to import: it is lowered as a model with no levels and no towers.
 */
function theModel(main: ParsedFile, { report }: FileWriter): { model: A.ModelDecl; library: boolean } {
  const models = main.document.items.filter((i): i is A.ModelDecl => i.kind === "model");
  for (const extra of models.slice(1)) report("duplicate-model", "A file may declare only one model.", extra.name?.span ?? extra.span);
  const model: A.ModelDecl = models[0] ?? {
    kind: "model",
    name: { kind: "name", text: basename(main.path).replace(/\.[^.]*$/, "") || "library", quoted: false, span: { start: 0, end: 0 } },
    entries: [],
    span: { start: 0, end: 0 },
  };
  return { model, library: models.length === 0 };
}
