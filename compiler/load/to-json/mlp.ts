import type * as A from "../../../grammar/ast.js";
import { child } from "../source-map.js";
import type { FileWriter, JsonObject } from "./writer.js";

/** `K x mlp[w1, w2] act` → { count, widths, activation }; a tower (`withCount` false) takes no count. */
export function mlpJson(w: FileWriter, spec: A.MlpSpec, pointer: string, withCount: boolean): JsonObject {
  const { report } = w;
  w.note(pointer, spec.span);
  const out: JsonObject = {};
  if (spec.count) {
    if (withCount) out["count"] = w.value(spec.count, child(pointer, "count"));
    else report("unexpected-argument", "A tower is a single MLP; drop the count.", spec.count.span);
  }
  out["widths"] = spec.widths.map((width, i) => w.value(width, child(child(pointer, "widths"), i)));
  w.note(child(pointer, "widths"), spec.span);
  if (spec.activation) out["activation"] = w.value({ kind: "type", name: spec.activation, args: undefined, span: spec.activation.span }, child(pointer, "activation"));
  return out;
}
