import * as fs from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { checkpointPath, decodeCheckpoint, encodeCheckpoint, readCheckpoint, writeCheckpoint, writeCheckpoints, type Checkpoint } from "../../runtime/checkpoint.js";
import { UserError } from "../../base/user-error.js";
import { initialState } from "../../runtime/train.js";
import { compiled, smallData, smallSpec, tempDir } from "./helpers.js";

// A crash between writing the temporary file and renaming it over the checkpoint is simulated by
// making renameSync throw while `failRename` is set, or at the `failAt`-th rename counted from when it is set.
const crash = vi.hoisted(() => ({ failRename: false, failAt: 0, renames: 0 }));
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  return {
    ...real,
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      if (crash.failRename || (crash.failAt > 0 && ++crash.renames === crash.failAt)) throw new Error("simulated crash during rename");
      real.renameSync(from, to);
    },
  };
});

async function fixture(): Promise<{ checkpoint: Checkpoint; manifest: ReturnType<typeof compiled>["manifest"]; path: string }> {
  const spec = smallSpec();
  const { manifest } = compiled(spec);
  const data = await smallData(spec);
  const checkpoint: Checkpoint = { specHash: manifest.spec_hash, seed: 5, preprocessing: data.preprocessing, state: initialState(manifest, data.preprocessing, 5) };
  const dir = tempDir();
  fs.mkdirSync(`${dir}/checkpoints`);
  return { checkpoint, manifest, path: checkpointPath(dir, "last") };
}

function refusal(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a UserError");
}

describe("checkpoints", () => {
  it("round-trip every tensor, the progress and the preprocessing", async () => {
    const { checkpoint, manifest, path } = await fixture();
    checkpoint.state.progress = { epoch: 1, batch: 3, step: 13 };
    writeCheckpoint(path, checkpoint);
    const back = readCheckpoint(path, manifest);
    expect(back.state.progress).toEqual({ epoch: 1, batch: 3, step: 13 });
    expect(back.preprocessing).toEqual(checkpoint.preprocessing);
    expect(encodeCheckpoint(back).equals(encodeCheckpoint(checkpoint))).toBe(true);
  });

  it("leave the previous checkpoint intact when a write crashes before the rename", async () => {
    const { checkpoint, manifest, path } = await fixture();
    writeCheckpoint(path, checkpoint);
    const before = fs.readFileSync(path);
    checkpoint.state.progress = { epoch: 2, batch: 0, step: 20 };
    crash.failRename = true;
    try {
      expect(() => writeCheckpoint(path, checkpoint)).toThrow("simulated crash during rename");
    } finally {
      crash.failRename = false;
    }
    expect(fs.readFileSync(path).equals(before)).toBe(true);
    expect(readCheckpoint(path, manifest).state.progress.step).toBe(0);
    // The temporary file was cleaned up.
    expect(fs.readdirSync(dirname(path))).toEqual(["last.ckpt"]);
  });

  it("write one checkpoint's bytes to best and last, each through its own rename", async () => {
    const { checkpoint, path } = await fixture();
    const best = checkpointPath(dirname(dirname(path)), "best");
    writeCheckpoints([best, path], checkpoint);
    expect(fs.readFileSync(best).equals(encodeCheckpoint(checkpoint))).toBe(true);
    expect(fs.readFileSync(path).equals(encodeCheckpoint(checkpoint))).toBe(true);
    // A crash at last.ckpt's rename leaves the previous last.ckpt and the new best.ckpt.
    const before = fs.readFileSync(path);
    checkpoint.state.progress = { epoch: 2, batch: 0, step: 20 };
    Object.assign(crash, { failAt: 2, renames: 0 });
    try {
      expect(() => writeCheckpoints([best, path], checkpoint)).toThrow("simulated crash during rename");
    } finally {
      crash.failAt = 0;
    }
    expect(fs.readFileSync(best).equals(encodeCheckpoint(checkpoint))).toBe(true);
    expect(fs.readFileSync(path).equals(before)).toBe(true);
    expect(fs.readdirSync(dirname(path)).sort()).toEqual(["best.ckpt", "last.ckpt"]);
  });

  it("refuse a corrupt file: a flipped bit, a truncated file, not a checkpoint", async () => {
    const { checkpoint, path } = await fixture();
    const bytes = encodeCheckpoint(checkpoint);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 5]! ^= 1;
    expect(refusal(() => decodeCheckpoint(flipped, "c.ckpt")).message).toBe("c.ckpt: the checkpoint is corrupt (its SHA-256 does not match its contents); delete it or train again.");
    const truncated = refusal(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 100), "c.ckpt"));
    expect(truncated.code).toBe("corrupt-checkpoint");
    expect(truncated.message).toBe(`c.ckpt: the checkpoint is corrupt (truncated: ${bytes.length - 100} of ${bytes.length} bytes); delete it or train again.`);
    expect(refusal(() => decodeCheckpoint(Buffer.from("hello world, not a checkpoint"), "c.ckpt")).message).toBe(
      "c.ckpt: the checkpoint is corrupt (it does not start with an mssmc checkpoint header); delete it or train again.",
    );
    fs.writeFileSync(path, bytes.subarray(0, 20));
    expect(refusal(() => decodeCheckpoint(fs.readFileSync(path), path)).message).toMatch(/corrupt \(truncated: 20 bytes, the header alone needs \d+\)/);
  });

  it("refuse a checkpoint of another model", async () => {
    const { checkpoint, manifest, path } = await fixture();
    writeCheckpoint(path, { ...checkpoint, specHash: "sha256:other" });
    const e = refusal(() => readCheckpoint(path, manifest));
    expect(e.code).toBe("checkpoint-mismatch");
    expect(e.message).toBe(`${path}: the checkpoint does not match the model in this run folder: it was trained from spec sha256:other, the model is ${manifest.spec_hash}.`);
    const name = manifest.params[0]!.name;
    checkpoint.state.params.set(name, new Float32Array(1));
    writeCheckpoint(path, checkpoint);
    expect(refusal(() => readCheckpoint(path, manifest)).message).toMatch(`parameter ${name} has 1 values, the model needs [${manifest.params[0]!.shape.join(", ")}]`);
  });
});
