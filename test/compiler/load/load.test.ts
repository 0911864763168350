import { relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSpec } from "../../../compiler/load/load.js";
import { lineColumn } from "../../../base/source/source-file.js";

/** Loads in-memory files; returns diagnostics as `file:line:col code message` strings. */
function check(files: Record<string, string>, main = "/m/model.mssm") {
  const result = loadSpec(main, (p) => {
    const text = files[p];
    if (text === undefined) throw new Error("ENOENT");
    return text;
  });
  const lines = result.diagnostics.map((d) => {
    const f = result.files.get(d.file)!;
    const at = lineColumn(f, d.span.start);
    return `${d.file}:${at.line}:${at.column} ${d.code} ${d.message}`;
  });
  return { result, lines };
}

const data = `fields {
  age numeric
  workclass categorical(dim: 4)
}
tasks {
  income binary(label: Y, positive: [">50K"])
}
`;

describe("loadSpec", () => {
  it("resolves imports relative to the importing file and merges their fields and tasks", () => {
    const { result, lines } = check({
      "/m/data/adult.mssm": data,
      "/m/model.mssm": `import "data/adult.mssm"\nmodel m {\n  groups shared\n  level 1 { experts: mlp[8] relu }\n  towers { tower: mlp[4] relu }\n}\n`,
    });
    expect(lines).toEqual([]);
    expect(result.spec?.fields.map((f) => f.name)).toEqual(["age", "workclass"]);
    expect(result.spec?.tasks.map((t) => t.name)).toEqual(["income"]);
    expect(result.spec?.towers.tasks["income"]).toEqual({ widths: [4], activation: "relu" });
  });

  it("reports a missing import at the path string", () => {
    const { lines } = check({ "/m/model.mssm": `import "nope.mssm"\nmodel m { towers { } }\n` });
    expect(lines).toEqual(["/m/model.mssm:1:8 import-not-found Cannot read the imported file 'nope.mssm' (looked for /m/nope.mssm)."]);
  });

  it("reports an import cycle", () => {
    const { lines } = check({
      "/m/a.mssm": `import "model.mssm"\n`,
      "/m/model.mssm": `import "a.mssm"\nmodel m { towers { } }\n`,
    });
    expect(lines).toEqual(["/m/a.mssm:1:8 import-cycle Importing 'model.mssm' here makes a cycle: model.mssm -> a.mssm -> model.mssm."]);
  });

  it("reports a cycle back to a main file given by a relative path once, at the import that closes it", () => {
    const cwd = process.cwd();
    const main = relative(cwd, "/m/cyc1.mssm");
    const texts: Record<string, string> = { "/m/cyc1.mssm": `import "cyc2.mssm"\nmodel m { towers { } }\n`, "/m/cyc2.mssm": `import "cyc1.mssm"\n` };
    const result = loadSpec(main, (p) => {
      const text = texts[resolve(p)];
      if (text === undefined) throw new Error("ENOENT");
      return text;
    });
    const cycles = result.diagnostics.filter((d) => d.code === "import-cycle").map((d) => `${d.file} ${d.message}`);
    expect(cycles).toEqual(["/m/cyc2.mssm Importing 'cyc1.mssm' here makes a cycle: cyc1.mssm -> cyc2.mssm -> cyc1.mssm."]);
  });

  it("refuses a model inside an imported file", () => {
    const { lines } = check({
      "/m/a.mssm": `model other { towers { } }\n`,
      "/m/model.mssm": `import "a.mssm"\nmodel m { towers { } }\n`,
    });
    expect(lines).toEqual(["/m/a.mssm:1:1 model-in-import An imported file may hold only fields and tasks; '/m/a.mssm' declares a model."]);
  });

  it("maps schema errors to the source text, with did-you-mean hints", () => {
    const { lines } = check({
      "/m/model.mssm": `fields {\n  age numerc\n  fnlwgt numeric(trnsform: log1p)\n  w categorical(dim: "8")\n}\ntasks {\n  t binary\n}\nmodel m {\n  groups shared\n  level 1 { experts: mlp[8] rleu, connect: csm }\n  towers { tower: mlp[4] }\n  train { epoch: 3 }\n}\n`,
    });
    expect(lines).toEqual([
      "/m/model.mssm:2:7 invalid-value Unknown field kind 'numerc'; did you mean 'numeric'?",
      "/m/model.mssm:3:18 unknown-option Unknown option 'trnsform' in field 'fnlwgt'; did you mean 'transform'?",
      "/m/model.mssm:4:22 invalid-type 'dim' of field 'w' must be a whole number, not '8'.",
      "/m/model.mssm:7:3 missing-option Task 't' needs 'label'.",
      "/m/model.mssm:11:29 invalid-value 'rleu' is not a valid activation for the experts of 'shared' in level 1; did you mean 'relu'?",
      "/m/model.mssm:11:44 invalid-value 'csm' is not a valid kind for the connection of level 1; did you mean 'cssm'?",
      "/m/model.mssm:13:11 unknown-option Unknown option 'epoch' in 'train'; did you mean 'epochs'?",
    ]);
  });

  it("reads a JSON spec and reports its errors at line and column", () => {
    const json = `{\n  "mssm": 1,\n  "model": "m",\n  "fields": [{ "name": "age", "kind": "numeric", "dimm": 4 }],\n  "tasks": [],\n  "towers": { "tasks": {} }\n}\n`;
    const { lines } = check({ "/m/spec.json": json }, "/m/spec.json");
    expect(lines).toEqual(["/m/spec.json:4:50 unknown-option Unknown option 'dimm' in field 'age'; did you mean 'dim'?"]);
  });

  it("reports a JSON syntax error at its position", () => {
    const { lines } = check({ "/m/spec.json": `{\n  "mssm": 1,\n  "model" "m"\n}` }, "/m/spec.json");
    expect(lines).toEqual(["/m/spec.json:3:11 syntax-error Expected ':' after the property name."]);
  });

  it("treats a file without a model as a library and checks its declarations", () => {
    const { result, lines } = check({ "/m/model.mssm": data });
    expect(lines).toEqual([]);
    expect(result.library).toBe(true);
    expect(result.spec).toBeUndefined();
  });

  it("fills defaults", () => {
    const { result } = check({ "/m/model.mssm": `${data}model m {\n  groups shared\n  level 1 { experts: mlp[8] }\n  towers { tower: mlp[] }\n}\n` });
    const spec = result.spec!;
    expect(spec.fields[0]).toEqual({ name: "age", kind: "numeric", column: "age", dim: 8, transform: "none" });
    expect(spec.tasks[0]).toEqual({ name: "income", kind: "binary", label: "Y", positive: [">50K"], weight: 1 });
    expect(spec.levels[0]).toEqual({ experts: { shared: { count: 1, widths: [8], activation: "relu" } }, connect: { kind: "dense", sources: "auto" } });
    expect(spec.train.optimizer).toEqual({ kind: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    expect(spec.gates).toEqual({ beta: 2 / 3, gamma: -0.1, zeta: 1.1, init_drop: 0.5, select_offset: 1 });
  });

  it("never reports follow-on errors from a tree repaired after a syntax error", () => {
    const { lines } = check({ "/m/model.mssm": `fields {\n  age numeric(\n}\nmodel m { }\n` });
    expect(lines).toEqual(["/m/model.mssm:3:1 syntax-error Expected ')' but found '}'."]);
  });
});

describe("model entries given twice or naming nothing", () => {
  const base = `fields { a numeric }\ntasks {\n  t binary(label: y)\n  u binary(label: z)\n}\n`;
  it("reports them at the second occurrence", () => {
    const { lines } = check({
      "/m/model.mssm": `${base}model m {\n  tasks t, t\n  tasks u\n  groups shared\n  level 1 { experts { shared: mlp[4], sahred: none }, connect: dense, connect: dense }\n  towers { tower: mlp[2], tower: mlp[3], connect: dense, connect: dense }\n  trian { }\n}\n`,
    });
    expect(lines).toEqual([
      "/m/model.mssm:7:12 duplicate-name The task 't' is listed twice.",
      "/m/model.mssm:8:3 duplicate-section 'tasks' is given twice in this model.",
      "/m/model.mssm:10:39 unknown-name Unknown group 'sahred' at level 1; did you mean 'shared'?",
      "/m/model.mssm:10:71 duplicate-option 'connect' is given twice in this level.",
      "/m/model.mssm:11:27 duplicate-option 'tower' is given twice in towers.",
      "/m/model.mssm:11:58 duplicate-option 'connect' is given twice in towers.",
    ]);
  });
  it("names the sections when a section name is unknown", () => {
    const { lines } = check({ "/m/model.mssm": `${base}model m {\n  towers { tower: mlp[2] }\n  trian { epochs: 1 }\n}\n` });
    expect(lines).toEqual(["/m/model.mssm:8:3 unknown-option Unknown section 'trian'; did you mean 'train'?"]);
  });
});
