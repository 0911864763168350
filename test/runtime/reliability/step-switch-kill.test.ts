import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stepMacsPerExample } from "../../../compiler/index.js";
import { checkpointPath } from "../../../runtime/checkpoint.js";
import { SWITCH_COSTS } from "../../../runtime/step-switch.js";
import { train, type TrainOptions } from "../../../runtime/train.js";
import { compiled, smallData, tempDir } from "../helpers.js";
import { EARLY_FREEZING, twoLevelSpec } from "../sparse-helpers.js";

// A kill while the run moves to a smaller training step (runtime/step-switch.ts), simulated in
// process: the N-th session opened (the training and validation sessions, then each smaller step's
// after it is cut and compiled) throws instead, and training is abandoned with the run folder as
// its last commit point left it. Resuming it, as `mssmc train --resume` does, must reach the
// uninterrupted run's last checkpoint byte for byte: which step runs depends only on what the
// checkpoint holds (the frozen set and the step count).

const kill = vi.hoisted(() => ({ at: 0, calls: 0 }));
vi.mock("../../../runtime/session.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../../runtime/session.js")>();
  return {
    ...real,
    openSession: (...args: Parameters<typeof real.openSession>) => {
      if (kill.at !== 0 && ++kill.calls === kill.at) throw new Error("killed");
      return real.openSession(...args);
    },
  };
});

describe("a run killed while it switches to a smaller step, then resumed", () => {
  const measured = { ...SWITCH_COSTS };
  // Every cut that removes a multiply-add pays: the small model switches at its first freezes.
  beforeAll(() => Object.assign(SWITCH_COSTS, { switchSeconds: 0, cutStepSeconds: 0 }));
  afterAll(() => Object.assign(SWITCH_COSTS, measured));

  it("ends at the uninterrupted run's last checkpoint, for each switch", async () => {
    // Two cssm levels: the run moves to a smaller step at step 4 and to a smaller one at step 24, in its third epoch.
    const spec = twoLevelSpec(EARLY_FREEZING);
    const model = compiled(spec);
    const data = await smallData(spec);
    const quiet: Omit<TrainOptions, "runDir"> = { device: "cpu", threads: 1, log: () => {} };
    const reference = tempDir();
    Object.assign(kill, { at: -1, calls: 0 }); // counts the sessions opened, kills none
    const done = await train(model, data, { ...quiet, runDir: reference });
    const opened = kill.calls;
    expect(done.history.some((h) => h.macs_per_example < stepMacsPerExample(spec))).toBe(true);
    // The training and validation sessions, then two smaller steps'.
    expect(opened).toBeGreaterThan(3);
    const want = readFileSync(checkpointPath(reference, "last"));
    for (let n = 3; n <= opened; n++) {
      const runDir = tempDir();
      Object.assign(kill, { at: n, calls: 0 });
      await expect(train(model, data, { ...quiet, runDir })).rejects.toThrow("killed");
      kill.at = 0;
      await train(model, data, { ...quiet, runDir, resume: existsSync(checkpointPath(runDir, "last")) });
      expect(readFileSync(checkpointPath(runDir, "last")).equals(want), `killed at session ${n}`).toBe(true);
    }
  });
});
