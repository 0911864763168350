import type * as A from "../../../grammar/ast.js";
import { child } from "../source-map.js";
import { mlpJson } from "./mlp.js";
import type { FileWriter, JsonObject } from "./writer.js";

/**
 * The canonical JSON of the towers block: its connection and a tower per task, the default
 * `tower:` copied to every task of `taskNames` that has none of its own.
 */
export function towersJson(e: A.TowersBlock, taskNames: readonly string[], w: FileWriter): JsonObject {
  const { report } = w;
  const towers: JsonObject = {};
  const perTask: JsonObject = {};
  w.note("/towers", e.span);
  w.note("/towers/tasks", e.span);
  let fallback: A.TowerEntry | undefined;
  for (const entry of e.entries) {
    if (entry.kind === "connect") {
      if ("connect" in towers) report("duplicate-option", "'connect' is given twice in towers.", entry.span);
      else if (entry.type) towers["connect"] = w.call(entry.type, "/towers/connect", []);
    } else if (entry.name.text === "tower" && !entry.name.quoted) {
      if (fallback) report("duplicate-option", "'tower' is given twice in towers.", entry.name.span);
      else fallback = entry;
    } else if (entry.spec) {
      const p = child("/towers/tasks", entry.name.text);
      if (entry.name.text in perTask) report("duplicate-option", `The tower of '${entry.name.text}' is given twice.`, entry.name.span);
      perTask[entry.name.text] = mlpJson(w, entry.spec, p, false);
      w.note(p, entry.span, entry.name.span);
    }
  }
  if (fallback?.spec) {
    for (const t of taskNames) if (!(t in perTask)) perTask[t] = mlpJson(w, fallback.spec, child("/towers/tasks", t), false);
  }
  towers["tasks"] = perTask;
  return towers;
}
