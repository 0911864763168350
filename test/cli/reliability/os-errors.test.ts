import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adultFixture, folderContents, hasStrace, mssmc, mssmcWithFault, newRunDir, trainArgs } from "./helpers.js";

// Errors of the operating system and damaged run files are the user's to fix, not bugs: one line
// naming the file and the cause, exit 1, and the run folder still good (a retry with --resume ends
// as the uninterrupted run, with one metrics line per epoch).

/** The one line a user error prints. */
const oneLine = (stderr: string): string[] => stderr.split("\n").filter((l) => l.startsWith("mssmc:"));

describe.skipIf(!hasStrace)("file-system errors while training", () => {
  // The run's fsyncs, in order: the lock (file, folder), checkpoints/, 5 run files (file, folder),
  // then per epoch the metrics line, best.ckpt (file, folder), last.ckpt (file, folder): #22 is the
  // second epoch's last.ckpt. Its renames: 5 run files, then per epoch best.ckpt, last.ckpt.
  const cases = [
    { fault: "fsync:error=ENOSPC:when=22", file: "checkpoints/last.ckpt", cause: "no space left on device (ENOSPC)" },
    { fault: "rename:error=EROFS:when=9", file: "checkpoints/last.ckpt", cause: "read-only file system (EROFS)" },
    { fault: "rename:error=EACCES:when=1", file: "artifact/manifest.json", cause: "permission denied (EACCES)" },
  ];
  for (const c of cases) {
    it(`${c.cause} on ${c.file}: one line, exit 1, and --resume then ends as the uninterrupted run`, async () => {
      const f = adultFixture();
      const reference = newRunDir();
      expect(mssmc(...trainArgs(f, reference)).status).toBe(0);
      const out = newRunDir();
      const failed = await mssmcWithFault(c.fault, ...trainArgs(f, out));
      expect([failed.status, oneLine(failed.stderr)]).toEqual([1, [`mssmc: error: ${join(out, c.file)}: cannot write: ${c.cause}`]]);
      expect(failed.stderr).not.toMatch(/internal error|\n\s+at /);
      const retried = mssmc(...trainArgs(f, out), "--resume");
      expect(retried.status, retried.stderr).toBe(0);
      expect(folderContents(out)).toEqual(folderContents(reference));
    }, 60_000);
  }
});

describe("damaged run files", () => {
  it("a garbage manifest.json and a checkpoint whose header is crafted (hash matching) are one-line errors", () => {
    const f = adultFixture();
    const run = newRunDir();
    expect(mssmc(...trainArgs(f, run)).status).toBe(0);
    const manifest = join(run, "artifact", "manifest.json");
    const good = readFileSync(manifest);

    writeFileSync(manifest, "garbage\n");
    const garbage = mssmc("eval", run, "--data", f.data);
    expect(garbage.status).toBe(1);
    expect(garbage.stderr).toMatch(new RegExp(`^mssmc: error: ${manifest}: not valid JSON; the run folder is damaged, train it again\\.\\n$`));
    writeFileSync(manifest, "[]\n");
    expect(mssmc("eval", run, "--data", f.data).stderr).toBe(`mssmc: error: ${manifest}: not a compiled model's manifest (spec_hash, spec, params, tables or graphs missing); the run folder is damaged, train it again.\n`);
    writeFileSync(manifest, good);

    // A header whose tensors are not a list, with its SHA-256 recomputed so only the structure is wrong.
    const best = join(run, "checkpoints", "best.ckpt");
    writeFileSync(best, craft(readFileSync(best), (h) => ({ ...h, tensors: { not: "a list" } })));
    const crafted = mssmc("eval", run, "--data", f.data);
    expect([crafted.status, crafted.stderr]).toEqual([1, `mssmc: error: ${best}: the checkpoint is corrupt (its list of tensors is missing); delete it or train again.\n`]);
    writeFileSync(best, craft(readFileSync(best.replace("best", "last")), (h) => ({ ...h, tensors: [...(h["tensors"] as object[]), { name: "x", kind: "table_state", field: "nowhere", state: "m", shape: [0, 0] }] })));
    expect(mssmc("eval", run, "--data", f.data).stderr).toBe(`mssmc: error: ${best}: the checkpoint is corrupt (tensor "x" has an unknown kind or shape); delete it or train again.\n`);
  }, 60_000);
});

/** A checkpoint with its header changed by `edit` and its SHA-256 recomputed over the new header and the old blocks. */
function craft(bytes: Buffer, edit: (header: Record<string, unknown>) => Record<string, unknown>): Buffer {
  const length = bytes.readUInt32LE(8);
  const { sha256: _, ...header } = JSON.parse(bytes.toString("utf8", 12, 12 + length)) as Record<string, unknown>;
  const blocks = bytes.subarray(12 + length);
  const core = edit(header);
  const sha256 = createHash("sha256").update(JSON.stringify(core)).update(blocks).digest("hex");
  const text = Buffer.from(JSON.stringify({ ...core, sha256 }), "utf8");
  const prefix = Buffer.alloc(12);
  prefix.write("MSSMCKP1", 0, "latin1");
  prefix.writeUInt32LE(text.length, 8);
  return Buffer.concat([prefix, text, blocks]);
}
