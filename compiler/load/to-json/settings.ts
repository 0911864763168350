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
