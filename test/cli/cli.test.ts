import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../base/package-root.js";
import { SMALL_SPEC, smallCsv, tempDir, writeTemp } from "../runtime/helpers.js";

// These run the built CLI (npm test compiles with tsc before vitest).
const cli = join(packageRoot(), "dist", "cli", "mssmc.js");
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

describe("mssmc train's overrides", () => {
  it("puts --l0, --l0-fields, --l2, --gate-lr, --gate-warmup, --init-drop and --select-offset into the run's spec, and refuses values out of range", () => {
    const spec = writeTemp("small.mssm", SMALL_SPEC);
    const data = writeTemp("train.csv", smallCsv(200));
    const runDir = join(tempDir(), "run");
    const t = run("train", spec, "--data", data, "--out", runDir, "--epochs", "2", "--l0", "0.5", "--l0-fields", "0.25", "--l2", "0.01", "--gate-lr", "0.2", "--gate-warmup", "1", "--init-drop", "0.2", "--select-offset", "0");
    expect(t.status, t.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(runDir, "artifact", "manifest.json"), "utf8"));
    expect(manifest.spec.regularize).toEqual({ l0: 0.5, l0_fields: 0.25, l2: 0.01 });
    expect(manifest.spec.train.gate_optimizer.lr).toBe(0.2);
    expect(manifest.spec.train.gate_warmup).toBe(1);
    expect(manifest.spec.gates.init_drop).toBe(0.2);
    expect(manifest.spec.gates.select_offset).toBe(0);
    for (const [option, value] of [["--l0", "-1"], ["--l0-fields", "-1"], ["--gate-lr", "0"], ["--init-drop", "1"], ["--select-offset", "-0.5"]] as const) {
      const bad = run("train", spec, "--data", data, "--out", join(tempDir(), "never"), option, value);
      expect(bad.status, option).not.toBe(0);
      expect(bad.stderr).toMatch(new RegExp(`option '${option} <.>' argument '${value}' is invalid`));
      expect(bad.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe("mssmc train, eval, predict", () => {
  const spec = writeTemp("small.mssm", SMALL_SPEC);
  const data = writeTemp("train.csv", smallCsv(400));
  const runDir = join(tempDir(), "run");

  it("trains into a run folder, evaluates, predicts in input order, and refuses what it cannot do", () => {
    const t = run("train", spec, "--data", data, "--valid-fraction", "0.2", "--out", runDir, "--epochs", "2");
    expect(t.stderr).toContain("validation: 80 rows held out at random (seed 5), training on 320");
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/^epoch 1\/2  step 10  loss /m);
    expect(t.stdout).toMatch(/^trained small: 20 steps; best epoch \d/m);
    expect(readFileSync(join(runDir, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);

    const e = run("eval", runDir, "--data", data, "--format", "json");
    expect(e.status).toBe(0);
    const report = JSON.parse(e.stdout);
    expect(report.rows).toBe(400);
    expect(Object.keys(report.metrics)).toEqual(["y", "r"]);
    expect(report.metrics.y.auc).toBeGreaterThan(0.9);
    expect(run("eval", runDir, "--data", data).stdout).toMatch(/^task  metrics\ny     auc 0\.\d{4}  logloss \d\.\d{4}\nr     rmse \d\.\d{4}\n$/);

    const input = writeTemp("in.csv", "x,c\n2,a\n-2,b\n0.5,zzz\n");
    // -o into a folder that does not exist yet: made, as export and report make theirs.
    const out = join(tempDir(), "new", "scores.csv");
    const p = run("predict", runDir, "--data", input, "-o", out);
    expect(p.status).toBe(0);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines[0]).toBe("y,r");
    expect(lines).toHaveLength(4);
    const y = lines.slice(1).map((l) => Number(l.split(",")[0]));
    // A name of another format is written as CSV, with a warning.
    const xlsx = join(tempDir(), "scores.xlsx");
    const w = run("predict", runDir, "--data", input, "-o", xlsx);
    expect([w.status, w.stderr.split("\n").filter((l) => l.startsWith("warning:")), readFileSync(xlsx, "utf8").split("\n")[0]]).toEqual([
      0,
      [`warning: ${xlsx}: written as CSV (mssmc writes CSV, or Parquet for a .parquet name), whatever its .xlsx says`],
      "y,r",
    ]);
    expect(y[0]).toBeGreaterThan(0.5);
    expect(y[1]).toBeLessThan(0.5);

    // A second train into the same folder without --resume, and a bad file, are user errors: exit 1, no stack trace.
    const again = run("train", spec, "--data", data, "--out", runDir);
    expect([again.status, again.stderr.trim()]).toEqual([1, `mssmc: error: ${runDir} already holds a trained run; continue it with --resume, replace it with --force, or choose another --out.`]);
    const bad = run("eval", runDir, "--data", writeTemp("bad.csv", "x,c,y,r\nfoo,a,1,0\n"));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^mssmc: error: .*bad\.csv:2:x: expected a number, found "foo"\n$/);
    const none = run("eval", join(tempDir(), "nothing"), "--data", data);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/not a run folder \(no artifact\/manifest\.json\)/);
  });
});

describe("outputs that cannot be written", () => {
  it("are one-line errors naming the path, never a hang or an internal error (a folder under /proc, a missing parent)", () => {
    const spec = writeTemp("small.mssm", SMALL_SPEC);
    // Node 20's recursive mkdirSync loops forever under /proc (base/make-dirs.ts): a timeout makes a hang fail the test.
    for (const args of [["compile", spec, "-o", "/proc/mssmc-test/artifact"], ["json", spec, "-o", join(tempDir(), "missing", "spec.json")]]) {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 20_000 });
      expect(r.status, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(/^mssmc: error: \S+: cannot (mkdir|write): no such file or directory \(ENOENT\)\n$/);
    }
  });

  it("name a file given where a run folder belongs as a file", () => {
    const spec = writeTemp("small.mssm", SMALL_SPEC);
    const file = writeTemp("not-a-folder.csv", smallCsv(20));
    const t = run("train", spec, "--data", file, "--out", file);
    expect([t.status, t.stderr]).toEqual([1, `mssmc: error: --out ${file} is a file, not a folder: --out names the run folder to write; choose another path.\n`]);
    const e = run("eval", file, "--data", file);
    expect([e.status, e.stderr]).toEqual([1, `mssmc: error: ${file}: a file, not a run folder (the folder \`mssmc train ... --out RUN\` writes).\n`]);
  });
});

describe("mssmc train --resume into a folder that holds no run", () => {
  it("refuses a missing folder and a folder of other files, leaving the files; an empty folder trains from the start", () => {
    const spec = writeTemp("small.mssm", SMALL_SPEC);
    const data = writeTemp("train.csv", smallCsv(200));
    const missing = join(tempDir(), "missing");
    const r1 = run("train", spec, "--data", data, "--out", missing, "--epochs", "1", "--resume");
    expect([r1.status, r1.stderr]).toEqual([1, `mssmc: error: --resume: ${missing} holds no run to resume (no such folder).\n`]);
    const someoneElses = tempDir();
    writeFileSync(join(someoneElses, "notes.txt"), "keep");
    const r2 = run("train", spec, "--data", data, "--out", someoneElses, "--epochs", "1", "--resume");
    expect([r2.status, r2.stderr]).toEqual([
      1,
      `mssmc: error: --resume: ${someoneElses} holds no run to resume (no artifact/, checkpoints/ or train.lock, but other files); give the folder of a run, or train a new one into an empty or new --out.\n`,
    ]);
    expect(readdirSync(someoneElses)).toEqual(["notes.txt"]);
    const empty = tempDir();
    const r3 = run("train", spec, "--data", data, "--out", empty, "--epochs", "1", "--resume");
    expect([r3.status, r3.stderr]).toEqual([0, expect.stringContaining("no epoch was committed yet")]);
  });
});
