// makeDirs: the folder and those above it, once each; an existing folder is left alone; a path the
// kernel will not create fails at once (where Node 20's recursive mkdirSync loops forever).

import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeDirs } from "../../base/make-dirs.js";
import { tempDir } from "../runtime/helpers.js";

describe("makeDirs", () => {
  it("makes missing folders top down and leaves existing ones", () => {
    const root = tempDir();
    const deep = join(root, "a", "b", "c");
    makeDirs(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    writeFileSync(join(root, "a", "keep.txt"), "x");
    makeDirs(join(root, "a", "b"));
    expect(existsSync(join(root, "a", "keep.txt"))).toBe(true);
  });

  it("fails with the operating system's error where a folder cannot be made", () => {
    const root = tempDir();
    writeFileSync(join(root, "file"), "x");
    expect(() => makeDirs(join(root, "file", "sub"))).toThrow(/ENOTDIR/);
    expect(() => makeDirs("/proc/mssmc-make-dirs/x")).toThrow(/ENOENT/);
  });
});
