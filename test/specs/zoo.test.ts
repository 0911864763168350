import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSource } from "../../grammar/print.js";
import { packageRoot } from "../../base/package-root.js";
import { loadSpec } from "../../compiler/load/load.js";
import { normalize } from "../../compiler/load/normalize.js";
import { specSchema, validateSchema } from "../../compiler/load/schema.js";
import { SourceMap } from "../../compiler/load/source-map.js";
import { topology } from "../../compiler/load/topology.js";

// The model zoo: every architecture of the MSSM paper's comparison on the Adult data. Each spec
// must check clean, survive the trip through its canonical JSON form, and mean what its header
// says (the wiring assertions below pin the distinguishing construct of each).

const zoo = join(packageRoot(), "specs", "zoo");
const cli = join(packageRoot(), "dist", "cli", "mssmc.js");
const models = readdirSync(zoo).filter((f) => f.endsWith(".mssm") && f !== "adult.mssm").sort();

describe("the model zoo", () => {
  it("holds one spec per architecture", () => {
    expect(models).toEqual([
      "cgc.mssm",
      "cross-stitch.mssm",
      "mmoe.mssm",
      "mssm-a.mssm",
      "mssm-b.mssm",
      "mssm.mssm",
      "ple.mssm",
      "shared-bottom.mssm",
      "single-task.mssm",
      "snr-aver.mssm",
      "snr-trans.mssm",
    ]);
  });

  it("checks the shared Adult declarations as a library with no diagnostics", () => {
    const r = loadSpec(join(zoo, "adult.mssm"));
    expect(r.diagnostics).toEqual([]);
    expect(r.library).toBe(true);
    expect(r.json?.["fields"]).toHaveLength(13);
  });

  it.each(models)("%s loads with no diagnostics and the shared training settings", (file) => {
    const r = loadSpec(join(zoo, file));
    expect(r.diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`)).toEqual([]);
    const spec = r.spec!;
    expect(spec.fields.every((f) => f.dim === 8)).toBe(true);
    expect(spec.train).toMatchObject({ batch: 1024, epochs: 10, seed: 7, optimizer: { kind: "adam", lr: 1e-3 } });
  });

  it.each(["adult.mssm", ...models])("%s is in the canonical format (mssmc fmt --check)", (file) => {
    const text = readFileSync(join(zoo, file), "utf8");
    expect(formatSource(text, file).formatted).toBe(text);
  });

  it.each(models)("%s: mssmc json gives a file that loads to the same spec", (file) => {
    const out = join(mkdtempSync(join(tmpdir(), "mssmc-zoo-")), file.replace(/\.mssm$/, ".json"));
    const r = spawnSync(process.execPath, [cli, "json", join(zoo, file), "-o", out], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const fromJson = loadSpec(out);
    expect(fromJson.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(fromJson.spec).toEqual(loadSpec(join(zoo, file)).spec);
    // The written form is the complete one: normalizing it again changes nothing.
    const written = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
    expect(written["$schema"]).toBe("https://mssmc.dev/schemas/mssm.schema.json");
    delete written["$schema"];
    expect(normalize(written)).toEqual(written);
  });

  it("says what distinguishes each architecture", () => {
    const spec = (file: string) => loadSpec(join(zoo, file)).spec!;
    const connects = (file: string) => {
      const s = spec(file);
      return [...s.levels.map((l) => l.connect), s.towers.connect].map((c) => [c.kind, c.sources, c.granularity ?? "-"].join(" "));
    };
    expect(spec("mssm.mssm").select_fields).toBe("l0");
    expect(connects("mssm.mssm")).toEqual(["cssm auto cell", "cssm auto cell", "dense auto -"]);
    expect(spec("mssm-a.mssm").select_fields).toBe(false);
    expect(connects("mssm-a.mssm")).toEqual(["cssm auto cell", "cssm auto cell", "dense auto -"]);
    expect(spec("mssm-b.mssm").select_fields).toBe("l0");
    expect(connects("mssm-b.mssm")).toEqual(["dense auto -", "dense auto -", "dense auto -"]);
    expect(connects("snr-trans.mssm")).toEqual(["dense auto -", "cssm auto block", "dense auto -"]);
    expect(connects("snr-aver.mssm")).toEqual(["dense auto -", "l0_average auto -", "dense auto -"]);
    expect(connects("mmoe.mssm")).toEqual(["dense auto -", "softmax_gate auto -"]);
    expect(spec("mmoe.mssm").levels[0]!.experts).toEqual({ shared: { count: 8, widths: [64, 32], activation: "relu" } });
    expect(connects("cgc.mssm")).toEqual(["dense auto -", "softmax_gate auto -"]);
    expect(connects("ple.mssm")).toEqual(["dense auto -", "softmax_gate auto -", "softmax_gate auto -"]);
    expect(connects("cross-stitch.mssm")).toEqual(["dense auto -", "cross_stitch auto -", "cross_stitch all -"]);
    expect(connects("shared-bottom.mssm")).toEqual(["dense auto -", "dense auto -"]);
    expect(spec("shared-bottom.mssm").groups).toEqual(["shared"]);
    const single = spec("single-task.mssm");
    expect(single.tasks.map((t) => t.name)).toEqual(["income"]);
    expect(single.levels).toEqual([]);
    expect(single.towers.tasks).toEqual({ income: { widths: [256, 32, 16], activation: "relu" } });
    // What each task's tower reads: "group×experts" per source group.
    const towerReads = (file: string) => {
      const stages = topology(spec(file));
      return Object.fromEntries(
        stages[stages.length - 1]!.consumers.map((c) => {
          const counts = new Map<string, number>();
          for (const p of c.reads) counts.set(p.input ? "input" : p.group, (counts.get(p.input ? "input" : p.group) ?? 0) + 1);
          return [c.name, [...counts].map(([g, n]) => `${g}×${n}`).join(" ")];
        }),
      );
    };
    expect(towerReads("mssm.mssm")).toEqual({ income: "income×1", never_married: "never_married×1" });
    expect(towerReads("mmoe.mssm")).toEqual({ income: "shared×8", never_married: "shared×8" });
    expect(towerReads("cgc.mssm")).toEqual({ income: "income×3 shared×3", never_married: "never_married×3 shared×3" });
    expect(towerReads("ple.mssm")).toEqual({ income: "income×2 shared×2", never_married: "never_married×2 shared×2" });
    expect(towerReads("cross-stitch.mssm")).toEqual({ income: "income×1 never_married×1", never_married: "income×1 never_married×1" });
    expect(towerReads("shared-bottom.mssm")).toEqual({ income: "shared×1", never_married: "shared×1" });
    expect(towerReads("single-task.mssm")).toEqual({ income: "input×1" });
    // PLE's level 2: a task's group mixes its own and the shared experts, the shared group all of them.
    const ple = topology(spec("ple.mssm"))[2]!.consumers.map((c) => `${c.name}:${c.sources}:${c.reads.length}`);
    expect(ple).toEqual(["income:own_and_shared:6", "never_married:own_and_shared:6", "shared:all:9"]);
    // The ablations differ from MSSM in exactly one construct each.
    const { model: _m, ...mssm } = spec("mssm.mssm");
    const { model: _a, ...a } = spec("mssm-a.mssm");
    const { model: _b, ...b } = spec("mssm-b.mssm");
    expect({ ...a, select_fields: "l0" }).toEqual(mssm);
    const cssm = { kind: "cssm", sources: "auto", granularity: "cell" } as const;
    expect({ ...b, levels: b.levels.map((l) => ({ ...l, connect: cssm })) }).toEqual(mssm);
  });
});

// Every `default` the schema annotates must be what normalize.ts fills in when the property is
// absent. Each schema object that has defaulted properties is located in a minimal spec below.

/** A spec with only what the schema requires: top-level defaults are checked on it. */
const bare = (): Record<string, unknown> => ({
  mssm: 1,
  model: "m",
  fields: [],
  tasks: [],
  towers: { tasks: {} },
});

/** A spec holding one of every object, each with only its required properties. */
const full = (): Record<string, unknown> => ({
  mssm: 1,
  model: "m",
  fields: [
    { name: "c", kind: "categorical" },
    { name: "n", kind: "numeric" },
    { name: "h", kind: "multi_hot" },
  ],
  tasks: [
    { name: "b", kind: "binary", label: "yb" },
    { name: "r", kind: "regression", label: "yr" },
    { name: "k", kind: "multiclass", label: "yk", classes: 3 },
  ],
  levels: [{ experts: { g: { widths: [4] } }, connect: {} }],
  towers: { connect: {}, tasks: { b: { widths: [2] } } },
  regularize: {},
  gates: {},
  train: { monitor: [{ task: "b", metric: "auc" }] },
});

/** Where the objects described at a schema location sit in `full()` (or `bare()` for the root). */
const locations: Record<string, string[]> = {
  "#": [""],
  "#/properties/levels/items": ["/levels/0"],
  "#/properties/towers": ["/towers"],
  "#/properties/regularize": ["/regularize"],
  "#/properties/gates": ["/gates"],
  "#/properties/train": ["/train"],
  "#/definitions/categorical": ["/fields/0"],
  "#/definitions/numeric": ["/fields/1"],
  "#/definitions/multi_hot": ["/fields/2"],
  "#/definitions/binary": ["/tasks/0"],
  "#/definitions/regression": ["/tasks/1"],
  "#/definitions/multiclass": ["/tasks/2"],
  "#/definitions/experts": ["/levels/0/experts/g"],
  "#/definitions/tower": ["/towers/tasks/b"],
  "#/definitions/connection": ["/levels/0/connect", "/towers/connect"],
  "#/definitions/optimizer": ["/train/optimizer"],
  "#/properties/train/properties/monitor/items": ["/train/monitor/0"],
};

/** Every property with a `default`, as [schema location of its object, property, default]. */
function schemaDefaults(): [string, string, unknown][] {
  const out: [string, string, unknown][] = [];
  const visit = (node: unknown, at: string) => {
    if (typeof node !== "object" || node === null) return;
    const o = node as Record<string, unknown>;
    const props = o["properties"] as Record<string, Record<string, unknown>> | undefined;
    for (const [name, p] of Object.entries(props ?? {})) {
      if ("default" in p) out.push([at, name, p["default"]]);
      visit(p, `${at}/properties/${name}`);
    }
    if (o["items"]) visit(o["items"], `${at}/items`);
    for (const [name, d] of Object.entries((o["definitions"] as Record<string, unknown> | undefined) ?? {})) visit(d, `#/definitions/${name}`);
  };
  visit(specSchema, "#");
  return out;
}

const at = (value: unknown, pointer: string): unknown =>
  pointer
    .split("/")
    .slice(1)
    .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], value);

describe("schema defaults", () => {
  it("the minimal specs used below are schema-valid", () => {
    expect(validateSchema(bare(), new SourceMap(), "bare.json")).toEqual([]);
    expect(validateSchema(full(), new SourceMap(), "full.json")).toEqual([]);
  });

  it("finds the defaults annotated in the schema", () => {
    const found = schemaDefaults().map(([where, name]) => `${where}.${name}`);
    expect(found.length).toBeGreaterThanOrEqual(25);
    expect(found).toContain("#/properties/gates.beta");
    expect(found).toContain("#/definitions/connection.kind");
  });

  it.each(schemaDefaults())("%s: '%s' defaults to %j in normalize.ts", (where, name, value) => {
    const places = locations[where];
    expect(places, `add the schema location ${where} to the table of locations`).toBeDefined();
    for (const place of places!) {
      const spec = normalize(where === "#" ? bare() : full());
      expect(at(spec, `${place}/${name}`), `${place}/${name}`).toEqual(value);
    }
  });

  it("the optimizer-dependent defaults are filled from the optimizer's kind", () => {
    const spec = normalize(full());
    expect(spec.train.optimizer).toEqual({ kind: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    expect(spec.train.gate_optimizer).toEqual({ kind: "adam", lr: 0.2, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    expect(spec.train.embedding_optimizer).toEqual(spec.train.optimizer);
    expect(spec.levels[0]!.connect).toEqual({ kind: "dense", sources: "auto" });
    expect(normalize({ ...full(), levels: [{ experts: {}, connect: { kind: "cssm" } }] }).levels[0]!.connect.granularity).toBe("cell");
  });
});
