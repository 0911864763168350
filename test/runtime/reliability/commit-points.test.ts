import * as fs from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { checkpointPath } from "../../../runtime/checkpoint.js";
import { train, type TrainOptions } from "../../../runtime/train.js";
import { compiled, smallData, smallSpec, tempDir } from "../helpers.js";

// A kill at any instant a file is renamed or flushed, simulated in process: at the N-th rename or
// fsync the run folder is copied as it stands on disk at that instant (the temporary files renamed
// to a process id that no longer runs, as a killed process's would be) and training is abandoned.
// Continuing the copy, as `mssmc train --resume` does, must give the uninterrupted run's folder:
// the same checkpoints, the same artifact, metrics.jsonl with one line per epoch.

const kill = vi.hoisted(() => ({ at: 0, calls: 0, runDir: "", copy: "" }));
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const maybeKill = (): void => {
    if (kill.at === 0 || ++kill.calls !== kill.at) return;
    real.cpSync(kill.runDir, kill.copy, { recursive: true });
    for (const dir of [kill.copy, join(kill.copy, "artifact"), join(kill.copy, "checkpoints")]) {
      if (!real.existsSync(dir)) continue;
      for (const name of real.readdirSync(dir)) {
        if (name.endsWith(`.${process.pid}.tmp`)) real.renameSync(join(dir, name), join(dir, name.replace(`.${process.pid}.tmp`, ".999999999.tmp")));
      }
    }
    throw new Error("killed");
  };
  return {
    ...real,
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      maybeKill();
      real.renameSync(from, to);
    },
    fsyncSync: (fd: number) => {
      maybeKill();
      real.fsyncSync(fd);
    },
  };
});

/** Every file under a folder by relative path; metrics.jsonl without its wall-clock timings. */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()) {
    const full = join(dir, path);
    if (fs.statSync(full).isDirectory()) continue;
    const text = fs.readFileSync(full);
    out[relative(dir, full)] = path === "metrics.jsonl" ? text.toString("utf8").replace(/,"train_seconds":[^,]+,"seconds":[^,]+,"samples_per_second":[^}]+/g, "") : text.toString("base64");
  }
  return out;
}

describe("a run killed at its N-th rename or fsync, then resumed", () => {
  it("ends with the uninterrupted run's folder, for every N", async () => {
    const spec = smallSpec({ epochs: 3 });
    const model = compiled(spec);
    const data = await smallData(spec);
    const quiet: Omit<TrainOptions, "runDir"> = { device: "cpu", threads: 1, log: () => {} };
    const reference = tempDir();
    await train(model, data, { ...quiet, runDir: reference });
    const want = contents(reference);
    expect(Object.keys(want).sort()).toEqual(["artifact/eval.onnx", "artifact/manifest.json", "artifact/train.onnx", "checkpoints/best.ckpt", "checkpoints/last.ckpt", "metrics.jsonl", "preprocessing.json"]);

    let n = 0;
    for (;;) {
      n++;
      Object.assign(kill, { at: n, calls: 0, runDir: tempDir(), copy: join(tempDir(), "copy") });
      const outcome = await train(model, data, { ...quiet, runDir: kill.runDir }).then(
        () => "finished",
        (e: unknown) => (e instanceof Error && e.message === "killed" ? "killed" : e),
      );
      kill.at = 0;
      if (outcome === "finished") break;
      expect(outcome).toBe("killed");
      await train(model, data, { ...quiet, runDir: kill.copy, resume: fs.existsSync(checkpointPath(kill.copy, "last")) });
      expect(contents(kill.copy), `killed at call ${n}`).toEqual(want);
    }
    // Counted here: renames and folder flushes (a file's own flush, inside writeFileSync, happens
    // before its rename, so a kill there leaves what a kill at that rename leaves). 1 flush of
    // checkpoints/, 5 run files (rename, flush), 3 epochs: metrics line (flush) and last.ckpt
    // (rename, flush) each, best.ckpt (rename, flush) in the two after the gate warm-up (epoch 1 of
    // 3 holds the gates and is never the best): 1 + 10 + 3 * 3 + 2 * 2.
    expect(n - 1).toBe(24);
  }, 120_000);
});
