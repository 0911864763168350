import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adultFixture, CLI, folderContents, mssmc, newRunDir, runAsync, trainArgs } from "./helpers.js";

// One training process per run folder (a lock file holding its pid; a dead process's lock is taken
// over), and a folder that holds a run is replaced only with --force.

describe("the run folder's lock", () => {
  it("lets one of two trains into the same folder run; the other is refused and the folder is whole", async () => {
    const f = adultFixture();
    const reference = newRunDir();
    expect(mssmc(...trainArgs(f, reference)).status).toBe(0);
    const out = newRunDir();
    const both = await Promise.all([0, 1].map(() => runAsync(process.execPath, [CLI, ...trainArgs(f, out)])));
    expect(both.map((r) => r.status).sort()).toEqual([0, 1]);
    const refused = both.find((r) => r.status === 1)!.stderr;
    // Refused while the other holds the lock, or after it finished (the folder then holds a run).
    expect(refused).toMatch(new RegExp(`^mssmc: error: ${out} (is being trained by process \\d+ \\(lock file ${join(out, "train.lock")}\\); wait for it to finish, or choose another --out|already holds a trained run; .*--force.*)\\.\\n$`, "m"));
    expect(folderContents(out)).toEqual(folderContents(reference));
    expect(mssmc("eval", out, "--data", f.data).status).toBe(0);
  }, 60_000);

  it("refuses a folder locked by a live process and takes over the lock of a dead one", () => {
    const f = adultFixture();
    const out = newRunDir();
    mkdirSync(out);
    writeFileSync(join(out, "train.lock"), `${process.pid}\n`);
    const refused = mssmc(...trainArgs(f, out));
    expect([refused.status, refused.stderr.trim()]).toEqual([1, `mssmc: error: ${out} is being trained by process ${process.pid} (lock file ${join(out, "train.lock")}); wait for it to finish, or choose another --out.`]);
    expect(readdirSync(out)).toEqual(["train.lock"]);
    // No process has this id (Linux's largest is 2^22).
    writeFileSync(join(out, "train.lock"), "999999999\n");
    expect(mssmc(...trainArgs(f, out)).status).toBe(0);
    expect(existsSync(join(out, "train.lock"))).toBe(false);
  }, 60_000);
});

describe("--force", () => {
  it("is needed to train afresh into a folder that holds a run, and then gives the fresh run", () => {
    const f = adultFixture();
    const out = newRunDir();
    expect(mssmc(...trainArgs(f, out)).status).toBe(0);
    const first = folderContents(out);
    const again = mssmc(...trainArgs(f, out));
    expect([again.status, again.stderr.trim()]).toEqual([1, `mssmc: error: ${out} already holds a trained run; continue it with --resume, replace it with --force, or choose another --out.`]);
    expect(folderContents(out)).toEqual(first);
    const forced = mssmc(...trainArgs(f, out), "--force");
    expect(forced.status, forced.stderr).toBe(0);
    // The same run again: one metrics line per epoch, not four.
    expect(folderContents(out)).toEqual(first);
    const both = mssmc(...trainArgs(f, out), "--force", "--resume");
    expect([both.status, both.stderr.trim()]).toEqual([1, "mssmc: error: give either --resume (continue the run) or --force (replace it), not both."]);
  }, 60_000);
});
