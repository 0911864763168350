import type * as A from "../../../grammar/ast.js";
import { suggest } from "../../../base/suggest.js";
import { DEFAULT_SELECT_FORM } from "../normalize.js";
import { selectFieldsOf } from "../types.js";
import type { FileWriter, Json } from "./writer.js";

/** The options `select fields per group(...)` takes. */
const SELECT_OPTIONS = ["form"];

/**
 * The canonical `select_fields` of a `select fields per group` line: the form it names
 * (`tanh` is written true), or the default form (DEFAULT_SELECT_FORM) when it names none.
 */
export function selectJson(e: A.SelectEntry, w: FileWriter): Json {
  const { report } = w;
  let form: Json | undefined;
  for (const arg of e.args ?? []) {
    if (!arg.value) continue;
    if (!arg.key) {
      report("unexpected-argument", "'select fields per group' takes no positional argument; write the form as 'form: NAME'.", arg.span);
    } else if (!SELECT_OPTIONS.includes(arg.key.text)) {
      const near = suggest(arg.key.text, SELECT_OPTIONS);
      // The schema's unknown-option cannot see it: the canonical JSON has no place for it.
      report("unexpected-argument", `'select fields per group' takes no option '${arg.key.text}'; ${near ? `did you mean '${near}'?` : "its one option is 'form'."}`, arg.key.span);
    } else if (form !== undefined) {
      report("duplicate-option", "The option 'form' is given twice.", arg.key.span);
    } else {
      const v = w.value(arg.value, "/select_fields", arg.key.span);
      form = v === "tanh" ? true : v;
    }
  }
  if (form === undefined) w.note("/select_fields", e.span);
  return form ?? selectFieldsOf(DEFAULT_SELECT_FORM);
}
