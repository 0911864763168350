import { basename } from "node:path";
import type * as A from "../../grammar/ast.js";
import { error, type Diagnostic } from "../../base/source/diagnostic.js";
import type { Span } from "../../base/source/span.js";
import { child, SourceMap } from "./source-map.js";
import { suggest } from "../../base/suggest.js";
import { SPEC_FORMAT_VERSION } from "./types.js";

// Lowers the AST of a model file (with the fields and tasks of the files it imports) to the
// canonical JSON form, recording where each value came from. Only what the text says is written;
// defaults are filled after schema validation by `normalize.ts`.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A parsed file: its path and AST. */
export interface ParsedFile {
  path: string;
  document: A.Document;
}

/** Builds the canonical JSON of the model in `main`; `imported` are the files it imports, in order. */
export function toJson(main: ParsedFile, imported: ParsedFile[]): { json: JsonObject | undefined; map: SourceMap; diagnostics: Diagnostic[]; library: boolean } {
  const map = new SourceMap();
  const diagnostics: Diagnostic[] = [];
  let file = main.path;
  const note = (pointer: string, span: Span, key?: Span) => map.set(pointer, key ? { file, span, key } : { file, span });
  const report = (code: string, message: string, span: Span) => diagnostics.push(error(code, message, file, span));

  /** Converts a value: `relu` → "relu", `true` → true, `adam(lr: 1)` → { kind: "adam", lr: 1 }. */
  const value = (v: A.Value, pointer: string, key?: Span): Json => {
    note(pointer, v.span, key);
    switch (v.kind) {
      case "number": return v.value;
      case "string": return v.value;
      case "list": return v.items.map((item, i) => value(item, child(pointer, i)));
      case "type": {
        if (!v.args) {
          if (v.name.text === "true") return true;
          if (v.name.text === "false") return false;
          return v.name.text;
        }
        return call(v, pointer, []);
      }
    }
  };

  /** `kind(arg, key: value)` → { kind, key: value }; positional args take the names in `positional`. */
  const call = (t: A.TypeExpr, pointer: string, positional: string[], base: JsonObject = {}): JsonObject => {
    const out: JsonObject = { ...base, kind: t.name.text };
    note(child(pointer, "kind"), t.name.span);
    let next = 0;
    for (const arg of t.args ?? []) {
      if (!arg.value) continue;
      let key = arg.key?.text;
      if (key === undefined) {
        key = positional[next++];
        if (key === undefined) {
          report("unexpected-argument", `'${t.name.text}' takes no positional argument here; write it as 'name: value'.`, arg.span);
          continue;
        }
      }
      if (key in out && key !== "kind") {
        report("duplicate-option", `The option '${key}' is given twice.`, arg.key?.span ?? arg.span);
        continue;
      }
      out[key] = value(arg.value, child(pointer, key), arg.key?.span);
    }
    return out;
  };

  file = main.path;
  const models = main.document.items.filter((i): i is A.ModelDecl => i.kind === "model");
  // A file without a model is a library of fields and tasks for others to import: it is checked
  // as a model with no levels and no towers.
  const library = models.length === 0;
  for (const extra of models.slice(1)) report("duplicate-model", "A file may declare only one model.", extra.name?.span ?? extra.span);
  const model: A.ModelDecl = models[0] ?? {
    kind: "model",
    name: { kind: "name", text: basename(main.path).replace(/\.[^.]*$/, "") || "library", quoted: false, span: { start: 0, end: 0 } },
    entries: [],
    span: { start: 0, end: 0 },
  };

  // Fields and tasks of the imports first, then this file's.
  const fields: Json[] = [];
  const declaredTasks: { decl: A.Decl; file: string }[] = [];
  for (const f of [...imported, main]) {
    file = f.path;
    for (const item of f.document.items) {
      if (item.kind === "fields") {
        for (const d of item.decls) {
          if (!d.type) continue;
          const pointer = child("/fields", fields.length);
          note(pointer, d.span);
          note(child(pointer, "name"), d.name.span);
          fields.push(call(d.type, pointer, [], { name: d.name.text }));
        }
      } else if (item.kind === "tasks") {
        for (const d of item.decls) if (d.type) declaredTasks.push({ decl: d, file });
      } else if (item.kind === "model" && f !== main) {
        report("model-in-import", `An imported file may hold only fields and tasks; '${f.path}' declares a model.`, item.span);
      }
    }
  }

  file = main.path;
  const json: JsonObject = { mssm: SPEC_FORMAT_VERSION, model: model.name?.text ?? "", fields, tasks: [] };
  note("", model.span);
  if (model.name) note("/model", model.name.span);
  note("/fields", model.span);

  // The model's tasks: all declared, or the subset it names.
  const subsets = model.entries.filter((e): e is A.ModelTasks => e.kind === "model-tasks");
  for (const extra of subsets.slice(1)) report("duplicate-section", "'tasks' is given twice in this model.", extra.span);
  const subset = subsets[0];
  const chosen: typeof declaredTasks = [];
  if (subset) {
    for (const n of subset.names) {
      const t = declaredTasks.find((d) => d.decl.name.text === n.text);
      if (chosen.includes(t!)) report("duplicate-name", `The task '${n.text}' is listed twice.`, n.span);
      else if (t) chosen.push(t);
      else {
        const hint = suggest(n.text, declaredTasks.map((d) => d.decl.name.text));
        report("unknown-name", `Unknown task '${n.text}'${hint ? `; did you mean '${hint}'?` : "; declare it in a tasks block."}`, n.span);
      }
    }
  } else chosen.push(...declaredTasks);
  note("/tasks", subset?.span ?? model.span);
  json["tasks"] = chosen.map((t, i) => {
    file = t.file;
    const pointer = child("/tasks", i);
    note(pointer, t.decl.span);
    note(child(pointer, "name"), t.decl.name.span);
    return call(t.decl.type!, pointer, t.decl.type!.name.text === "multiclass" ? ["classes"] : [], { name: t.decl.name.text });
  });
  file = main.path;
  const taskNames = chosen.map((t) => t.decl.name.text);

  let groups: string[] | undefined;
  const levels: Json[] = [];
  const sections = new Set<string>();
  const once = (what: string, span: Span): boolean => {
    if (sections.has(what)) {
      report("duplicate-section", `'${what}' is given twice in this model.`, span);
      return false;
    }
    sections.add(what);
    return true;
  };

  for (const e of model.entries) {
    if (e.kind === "groups" && once("groups", e.span)) {
      groups = e.names.map((n) => n.text);
      json["groups"] = groups;
      note("/groups", e.span);
      e.names.forEach((n, i) => note(child("/groups", i), n.span));
    }
  }

  const mlp = (spec: A.MlpSpec, pointer: string, withCount: boolean): JsonObject => {
    note(pointer, spec.span);
    const out: JsonObject = {};
    if (spec.count) {
      if (withCount) out["count"] = value(spec.count, child(pointer, "count"));
      else report("unexpected-argument", "A tower is a single MLP; drop the count.", spec.count.span);
    }
    out["widths"] = spec.widths.map((w, i) => value(w, child(child(pointer, "widths"), i)));
    note(child(pointer, "widths"), spec.span);
    if (spec.activation) out["activation"] = value({ kind: "type", name: spec.activation, args: undefined, span: spec.activation.span }, child(pointer, "activation"));
    return out;
  };

  for (const e of model.entries) {
    switch (e.kind) {
      case "select":
        if (once("select fields per group", e.span)) {
          json["select_fields"] = true;
          note("/select_fields", e.span);
        }
        break;
      case "level": {
        const pointer = child("/levels", levels.length);
        note(pointer, e.span);
        if (e.index && e.index.value !== levels.length + 1) {
          report("level-order", `Levels are numbered 1, 2, ... in order; this one should be level ${levels.length + 1}.`, e.index.span);
        }
        const level: JsonObject = {};
        const experts: JsonObject = {};
        note(child(pointer, "experts"), e.span);
        let sawExperts = false;
        for (const entry of e.entries) {
          if (entry.kind === "experts") {
            if (sawExperts) report("duplicate-option", "'experts' is given twice in this level.", entry.span);
            sawExperts = true;
            if (entry.all) {
              if (!groups) report("missing-groups", "Declare the model's groups (for example 'groups shared') before giving experts to every group.", entry.span);
              for (const g of groups ?? []) experts[g] = mlp(entry.all, child(child(pointer, "experts"), g), true);
            }
            for (const n of entry.perGroup ?? []) {
              const p = child(child(pointer, "experts"), n.name.text);
              // `g: none` leaves no trace in the JSON, so an unknown name there is caught here; the
              // unknown-name rule catches the others.
              if (!n.spec && groups && !groups.includes(n.name.text)) {
                const hint = suggest(n.name.text, groups);
                report("unknown-name", `Unknown group '${n.name.text}' at level ${levels.length + 1}; ${hint ? `did you mean '${hint}'?` : "declare it in 'groups'."}`, n.name.span);
                continue;
              }
              if (n.name.text in experts) report("duplicate-option", `Experts for '${n.name.text}' are given twice in this level.`, n.name.span);
              if (n.spec) experts[n.name.text] = mlp(n.spec, p, true);
              map.set(p + "#name", { file, span: n.name.span });
              if (n.spec) map.set(p, { file, span: n.span, key: n.name.span });
            }
          } else if (entry.kind === "connect") {
            if ("connect" in level) report("duplicate-option", "'connect' is given twice in this level.", entry.span);
            else if (entry.type) level["connect"] = call(entry.type, child(pointer, "connect"), []);
          } else if (entry.value) {
            level[entry.key.text] = value(entry.value, child(pointer, entry.key.text), entry.key.span);
          }
        }
        level["experts"] = experts;
        levels.push(level);
        break;
      }
      case "towers": {
        if (!once("towers", e.span)) break;
        const towers: JsonObject = {};
        const perTask: JsonObject = {};
        note("/towers", e.span);
        note("/towers/tasks", e.span);
        let fallback: A.TowerEntry | undefined;
        for (const entry of e.entries) {
          if (entry.kind === "connect") {
            if ("connect" in towers) report("duplicate-option", "'connect' is given twice in towers.", entry.span);
            else if (entry.type) towers["connect"] = call(entry.type, "/towers/connect", []);
          } else if (entry.name.text === "tower" && !entry.name.quoted) {
            if (fallback) report("duplicate-option", "'tower' is given twice in towers.", entry.name.span);
            else fallback = entry;
          }
          else if (entry.spec) {
            const p = child("/towers/tasks", entry.name.text);
            if (entry.name.text in perTask) report("duplicate-option", `The tower of '${entry.name.text}' is given twice.`, entry.name.span);
            perTask[entry.name.text] = mlp(entry.spec, p, false);
            map.set(p, { file, span: entry.span, key: entry.name.span });
          }
        }
        if (fallback?.spec) {
          for (const t of taskNames) if (!(t in perTask)) perTask[t] = mlp(fallback.spec, child("/towers/tasks", t), false);
        }
        towers["tasks"] = perTask;
        json["towers"] = towers;
        break;
      }
      case "section": {
        const key = e.name.text;
        if (!once(key, e.name.span)) break;
        const body: JsonObject = {};
        note(child("", key), e.span, e.name.span);
        for (const p of e.properties) {
          if (!p.value) continue;
          if (p.key.text in body) report("duplicate-option", `The option '${p.key.text}' is given twice.`, p.key.span);
          body[p.key.text] = value(p.value, child(child("", key), p.key.text), p.key.span);
        }
        json[key] = body;
        break;
      }
      default:
        break;
    }
  }
  json["levels"] = levels;
  note("/levels", model.span);
  if (!("towers" in json)) {
    json["towers"] = { tasks: {} };
    note("/towers", model.name?.span ?? model.span);
  }
  return { json, map, diagnostics, library };
}
