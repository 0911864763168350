import type { Rule } from "../rule.js";
import { declaredNames } from "./describe.js";

/**
 * Names every JavaScript object already carries (`__proto__`, `constructor`, `toString`, ...).
 * The runtime keys its records (metrics, labels, preprocessing) by field, task and group names, so
 * such a name would read an inherited property, or be dropped when a run folder is saved.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** A field, task or group named like a property every JavaScript object has. */
export const reservedName: Rule = {
  code: "reserved-name",
  description: "A field, task or group is named like a property every JavaScript object has (__proto__, constructor, toString, ...).",
  appliesToLibraries: true,
  check({ spec, report }) {
    for (const { what, names } of declaredNames(spec)) {
      for (const { name, pointer } of names) {
        if (RESERVED_NAMES.has(name)) report("error", `'${name}' cannot name a ${what}: it is reserved (every JavaScript object has a property of that name); choose another name.`, pointer);
      }
    }
  },
};
