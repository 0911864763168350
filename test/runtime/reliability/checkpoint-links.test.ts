import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkpointPath, writeCheckpoint, type Checkpoint } from "../../../runtime/checkpoint.js";
import { initialState } from "../../../runtime/train.js";
import { compiled, smallData, smallSpec, tempDir } from "../helpers.js";

// A symbolic link planted at a checkpoint's path is replaced by the checkpoint, never written through.

describe("checkpoint paths that are symbolic links", () => {
  it("are replaced, and the file they pointed to is left alone", async () => {
    const spec = smallSpec();
    const { manifest } = compiled(spec);
    const data = await smallData(spec);
    const checkpoint: Checkpoint = { specHash: manifest.spec_hash, seed: 5, preprocessing: data.preprocessing, state: initialState(manifest, data.preprocessing, 5) };
    const run = tempDir();
    mkdirSync(join(run, "checkpoints"));
    const victim = join(tempDir(), "victim.txt");
    writeFileSync(victim, "precious\n");
    const path = checkpointPath(run, "best");
    symlinkSync(victim, path);
    writeCheckpoint(path, checkpoint);
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(lstatSync(path).isFile()).toBe(true);
  });
});
