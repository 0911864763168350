import type * as A from "../../../grammar/ast.js";
import type { Span } from "../../../base/source/span.js";
import { child } from "../source-map.js";
import type { FileWriter, JsonObject } from "./writer.js";

/** True the first time a model section is seen; reports it given twice after that. */
export type Once = (what: string, span: Span) => boolean;

/** A fresh `Once` for one model, reporting through `w`. */
export function sectionsOnce({ report }: FileWriter): Once {
  const seen = new Set<string>();
  return (what, span) => {
    if (seen.has(what)) {
      report("duplicate-section", `'${what}' is given twice in this model.`, span);
      return false;
    }
    seen.add(what);
    return true;
  };
}

/** Writes the model's `groups` line into `json` and returns its names; undefined when it has none. */
export function groupsJson(model: A.ModelDecl, json: JsonObject, w: FileWriter, once: Once): string[] | undefined {
  let groups: string[] | undefined;
  for (const e of model.entries) {
    if (e.kind === "groups" && once("groups", e.span)) {
      groups = e.names.map((n) => n.text);
      json["groups"] = groups;
      w.note("/groups", e.span);
      e.names.forEach((n, i) => w.note(child("/groups", i), n.span));
    }
  }
  return groups;
}

/** The keys of the canonical JSON that other entries write; a model option may not take their place. */
const ENTRY_KEYS = new Set(["$schema", "mssm", "model", "fields", "tasks", "groups", "select_fields", "levels", "towers", "regularize", "gates", "train"]);

/** A model option `key: value` (`sample_weight: w`): a key of the canonical JSON's top level (the schema checks which). */
export function modelOption(e: A.Property, json: JsonObject, w: FileWriter): void {
  const { report } = w;
  if (ENTRY_KEYS.has(e.key.text)) {
    report("entry-as-option", `'${e.key.text}' is written 'name: value' here, where only a model option (sample_weight) is; ${e.key.text === "regularize" || e.key.text === "gates" || e.key.text === "train" ? `write the section as '${e.key.text} { ... }'` : `'${e.key.text}' is not one`}.`, e.key.span);
    return;
  }
  json[e.key.text] = w.value(e.value!, child("", e.key.text), e.key.span);
}

/** A `regularize { }`, `gates { }` or `train { }` section: its properties as an object. */
export function sectionJson(e: A.Section, w: FileWriter): JsonObject {
  const { report } = w;
  const key = e.name.text;
  const body: JsonObject = {};
  w.note(child("", key), e.span, e.name.span);
  for (const p of e.properties) {
    if (!p.value) continue;
    if (p.key.text in body) report("duplicate-option", `The option '${p.key.text}' is given twice.`, p.key.span);
    body[p.key.text] = w.value(p.value, child(child("", key), p.key.text), p.key.span);
  }
  return body;
}
