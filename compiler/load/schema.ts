import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { error, type Diagnostic } from "../../base/source/diagnostic.js";
import { child, type SourceMap } from "./source-map.js";
import { suggest } from "../../base/suggest.js";
import { packageRoot } from "../../base/package-root.js";

// Validates the canonical JSON against specs/mssm.schema.json with ajv and turns ajv's errors
// into diagnostics at the source text that produced the offending value.

/** The JSON Schema of the canonical spec form. */
export const specSchema: Record<string, unknown> = JSON.parse(readFileSync(join(packageRoot(), "specs", "mssm.schema.json"), "utf8"));

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, discriminator: true, verbose: true, strict: false }).compile(specSchema);
  return validator;
}

const typeWords: Record<string, string> = {
  number: "a number",
  integer: "a whole number",
  string: "a string",
  array: "a list",
  boolean: "true or false",
  object: "a block of options",
};

const describeValue = (v: unknown): string =>
  Array.isArray(v) ? "a list" : typeof v === "string" ? `'${v}'` : typeof v === "object" && v !== null ? "a block" : String(v);

const orList = (items: string[]): string =>
  items.length <= 1 ? (items[0] ?? "nothing") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;

/** A phrase naming the thing at a pointer: "field 'age'", "the train section". */
export function describePointer(json: unknown, pointer: string): string {
  const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  const at = (n: number): unknown => parts.slice(0, n).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], json);
  const nameAt = (n: number) => String((at(n) as { name?: unknown } | undefined)?.name ?? "?");
  const [a, , c] = parts;
  if (a === "fields" && parts.length >= 2) return `field '${nameAt(2)}'`;
  if (a === "tasks" && parts.length >= 2) return `task '${nameAt(2)}'`;
  if (a === "levels" && parts.length >= 2) {
    const level = `level ${Number(parts[1]) + 1}`;
    if (c === "experts" && parts.length >= 4) return `the experts of '${parts[3]}' in ${level}`;
    if (c === "connect") return `the connection of ${level}`;
    return level;
  }
  if (a === "towers") {
    if (parts[1] === "tasks" && parts.length >= 3) return `the tower of '${parts[2]}'`;
    if (parts[1] === "connect") return "the towers' connection";
    return "towers";
  }
  if (a === "train" && parts.length >= 2 && parts[1]!.endsWith("optimizer")) return `'${parts[1]}'`;
  if (a === "select_fields") return "'select fields per group'";
  if (a !== undefined && parts.length === 1) return `'${a}'`;
  if (a !== undefined) return `the '${a}' section`;
  return "the model";
}

/** Checks the canonical JSON against the schema; errors point at the source that wrote the value. */
export function validateSchema(json: unknown, map: SourceMap, fallbackFile: string): Diagnostic[] {
  const ok = validate()(json);
  if (ok) return [];
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of validate().errors ?? []) {
    const d = toDiagnostic(e, json, map, fallbackFile);
    if (!d) continue;
    // One value expanded to several places (`experts:` for every group) fails once, not per place.
    const key = `${d.file}:${d.span.start}:${d.span.end}:${d.code}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

function toDiagnostic(e: ErrorObject, json: unknown, map: SourceMap, fallbackFile: string): Diagnostic | undefined {
  const where = describePointer(json, e.instancePath);
  const place = (pointer: string, preferKey = false) => {
    const o = map.locate(pointer);
    const span = o ? (preferKey && o.key ? o.key : o.span) : { start: 0, end: 0 };
    return { file: o?.file ?? fallbackFile, span };
  };
  switch (e.keyword) {
    case "additionalProperties": {
      const prop = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}).filter((k) => k !== "kind" && k !== "name" && k !== "$schema");
      const at = place(child(e.instancePath, prop), true);
      const owners = kindsWithOption(e.instancePath, prop);
      if (owners.length) {
        const kind = String((e.data as { kind?: unknown } | undefined)?.kind ?? "");
        return error("unknown-option", `'${prop}' applies only to ${orList(owners)} ${e.instancePath.startsWith("/fields") ? "fields" : "tasks"}, not to ${kind} ones (${where}).`, at.file, at.span);
      }
      // At the top of a .mssm model the keys are section names; JSON-only keys mean nothing there.
      // A model option (`sample_weight: w`) is a top-level key too.
      if (e.instancePath === "" && at.file.endsWith(".mssm")) {
        const sections = ["regularize", "gates", "train"];
        const option = suggest(prop, ["sample_weight"]);
        if (option && !suggest(prop, sections)) return error("unknown-option", `Unknown model option '${prop}'; did you mean '${option}'?`, at.file, at.span);
        const near = suggest(prop, sections);
        return error("unknown-option", `Unknown section '${prop}'; ${near ? `did you mean '${near}'?` : `expected ${orList(sections.map((k) => `'${k}'`))}, or the model option 'sample_weight'.`}`, at.file, at.span);
      }
      const hint = suggest(prop, allowed);
      const expected = allowed.length ? `; expected ${orList(allowed.map((k) => `'${k}'`))}` : "";
      return error("unknown-option", `Unknown option '${prop}' in ${where}${hint ? `; did you mean '${hint}'?` : `${expected}.`}`, at.file, at.span);
    }
    case "enum": {
      const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
      const hint = typeof e.data === "string" ? suggest(e.data, allowed) : undefined;
      const at = place(e.instancePath);
      // The canonical true is the language's `form: tanh`.
      if (e.instancePath === "/select_fields") allowed.splice(0, 2, "tanh");
      const prop = e.instancePath === "/select_fields" ? "form" : (e.instancePath.split("/").pop() ?? "");
      return error(
        "invalid-value",
        `${describeValue(e.data)} is not a valid ${prop} for ${where}; ${hint ? `did you mean '${hint}'?` : `expected ${orList(allowed.map((a) => `'${a}'`))}.`}`,
        at.file,
        at.span,
      );
    }
    case "discriminator": {
      const tag = (e.params as { tag: string; tagValue: unknown }).tagValue;
      const pointer = e.instancePath;
      const kinds = pointer.startsWith("/fields") ? ["categorical", "numeric", "multi_hot"] : ["binary", "regression", "multiclass"];
      const at = place(child(pointer, "kind"));
      const hint = typeof tag === "string" ? suggest(tag, kinds) : undefined;
      const what = pointer.startsWith("/fields") ? "field" : "task";
      return error("invalid-value", `Unknown ${what} kind ${describeValue(tag)}; ${hint ? `did you mean '${hint}'?` : `expected ${orList(kinds.map((k) => `'${k}'`))}.`}`, at.file, at.span);
    }
    case "const": {
      const at = place(e.instancePath);
      const allowed = (e.params as { allowedValue: unknown }).allowedValue;
      return error("invalid-value", `${where} must be ${JSON.stringify(allowed)}, not ${describeValue(e.data)}.`, at.file, at.span);
    }
    case "type": {
      const at = place(e.instancePath);
      const wanted = String((e.params as { type: string }).type).split(",").map((t) => typeWords[t] ?? t);
      const prop = e.instancePath.split("/").pop() ?? "";
      const subject = /^\d+$/.test(prop) || prop === "" ? `This value in ${where}` : `'${prop}' of ${where}`;
      return error("invalid-type", `${subject} must be ${orList(wanted)}, not ${describeValue(e.data)}.`, at.file, at.span);
    }
    case "required": {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const at = place(e.instancePath);
      return error("missing-option", `${capitalize(where)} needs '${missing}'.`, at.file, at.span);
    }
    case "oneOf":
    case "anyOf":
    case "if":
      return undefined; // the branch errors say more
    default: {
      const at = place(e.instancePath);
      return error("invalid-value", `${capitalize(where)}: ${e.message ?? "invalid value"}.`, at.file, at.span);
    }
  }
}

/** For a field or task, the kinds whose schema allows an option (so "positive" -> ["binary"]). */
function kindsWithOption(pointer: string, prop: string): string[] {
  const family = /^\/fields\/\d+$/.test(pointer) ? ["categorical", "numeric", "multi_hot"] : /^\/tasks\/\d+$/.test(pointer) ? ["binary", "regression", "multiclass"] : [];
  const definitions = specSchema["definitions"] as Record<string, { properties?: Record<string, unknown> }>;
  return family.filter((k) => prop in (definitions[k]?.properties ?? {}));
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
