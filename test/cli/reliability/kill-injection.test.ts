import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adultFixture, CLI, folderContents, forEachCall, hasStrace, mssmc, mssmcWithFault, newRunDir, runAsync, trainArgs } from "./helpers.js";

// `mssmc train` killed for real (strace makes its N-th rename fail with EIO and sends SIGKILL on
// it, for every N the run makes, in order), then continued with --resume, ends with the
// uninterrupted run's folder byte for byte (metrics.jsonl up to its timings: one line per epoch,
// no leftover temporary files or lock) and exports the same model. Kills at each fsync, and at
// many more points, are test/runtime/reliability/commit-points.test.ts's, in process.

/** The run's renames: manifest.json, train.onnx, eval.onnx, preprocessing.json, metrics.jsonl, then per epoch best.ckpt and last.ckpt. */
const RENAMES = 9;

describe.skipIf(!hasStrace)("mssmc train killed at any rename, then resumed", () => {
  it(`ends as the uninterrupted run, for each of the run's ${RENAMES} renames`, async () => {
    const f = adultFixture();
    const reference = newRunDir();
    expect(mssmc(...trainArgs(f, reference)).status).toBe(0);
    const exported = join(f.dir, "reference.onnx");
    expect(mssmc("export", reference, "-o", exported).status).toBe(0);
    const want = folderContents(reference);

    const kills = await forEachCall(3, 20, async (n) => {
      const out = newRunDir();
      const killed = await mssmcWithFault(`rename:error=EIO:signal=KILL:when=${n}`, ...trainArgs(f, out));
      if (killed.signal !== "SIGKILL") {
        expect(killed.status, killed.stderr).toBe(0);
        return false;
      }
      const resumed = await runAsync(process.execPath, [CLI, ...trainArgs(f, out), "--resume"]);
      expect(resumed.status, `kill at rename #${n}, resume: ${resumed.stderr}`).toBe(0);
      expect(folderContents(out), `kill at rename #${n}`).toEqual(want);
      if (n === RENAMES) {
        // The kill that left best.ckpt one epoch old before: between the last epoch's two renames.
        const model = join(f.dir, `resumed-${n}.onnx`);
        expect((await runAsync(process.execPath, [CLI, "export", out, "-o", model])).status).toBe(0);
        expect(readFileSync(model).equals(readFileSync(exported)), "exported bytes").toBe(true);
      }
      return true;
    });
    expect(kills).toEqual(Array.from({ length: RENAMES }, (_, i) => i + 1));
  }, 180_000);
});
