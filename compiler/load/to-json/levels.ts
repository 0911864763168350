import type * as A from "../../../grammar/ast.js";
import { child } from "../source-map.js";
import type { WrittenNames } from "../written-names.js";
import { mlpJson } from "./mlp.js";
import type { FileWriter, JsonObject } from "./writer.js";

/**
 * The canonical JSON of the level block `e`, the `index`-th (0-based) of the model: its experts by
 * group (`experts:` expands over `groups`), its connection and its other properties. Names the
 * JSON cannot carry go to `written`.
 */
export function levelJson(e: A.LevelBlock, index: number, groups: string[] | undefined, w: FileWriter, written: WrittenNames): JsonObject {
  const { report } = w;
  const pointer = child("/levels", index);
  w.note(pointer, e.span);
  if (e.index && e.index.value !== index + 1) {
    report("level-order", `Levels are numbered 1, 2, ... in order; this one should be level ${index + 1}.`, e.index.span);
  }
  const level: JsonObject = {};
  const experts: JsonObject = {};
  w.note(child(pointer, "experts"), e.span);
  let sawExperts = false;
  for (const entry of e.entries) {
    if (entry.kind === "experts") {
      if (sawExperts) report("duplicate-option", "'experts' is given twice in this level.", entry.span);
      sawExperts = true;
      if (entry.all) {
        written.expertsForEveryGroup.push(entry.span);
        for (const g of groups ?? []) experts[g] = mlpJson(w, entry.all, child(child(pointer, "experts"), g), true);
      }
      for (const n of entry.perGroup ?? []) {
        if (!n.spec) {
          written.noExperts.push({ level: index, group: { text: n.name.text, span: n.name.span } });
          // `g: none` for an undeclared group is the unknown-name rule's, and nothing else's.
          if (groups && !groups.includes(n.name.text)) continue;
        }
        if (n.name.text in experts) report("duplicate-option", `Experts for '${n.name.text}' are given twice in this level.`, n.name.span);
        if (n.spec) {
          const p = child(child(pointer, "experts"), n.name.text);
          experts[n.name.text] = mlpJson(w, n.spec, p, true);
          w.note(p, n.span, n.name.span);
        }
      }
    } else if (entry.kind === "connect") {
      if ("connect" in level) report("duplicate-option", "'connect' is given twice in this level.", entry.span);
      else if (entry.type) level["connect"] = w.call(entry.type, child(pointer, "connect"), []);
    } else if (entry.value) {
      level[entry.key.text] = w.value(entry.value, child(pointer, entry.key.text), entry.key.span);
    }
  }
  level["experts"] = experts;
  return level;
}
