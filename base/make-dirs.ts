// Creating a folder and the folders above it. Node 20's mkdirSync(path, { recursive: true }) never
// returns where the kernel answers ENOENT to a mkdir whose parent exists (under /proc, /sys): it
// goes back up, finds the parent, and tries again forever. Here each missing folder is made once,
// top down, so such a path fails with the operating system's error naming it.

import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** Makes `path` and any missing folder above it; a folder that exists already is left as it is. */
export function makeDirs(path: string): void {
  const missing: string[] = [];
  for (let dir = resolve(path); !existsSync(dir); dir = dirname(dir)) {
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing.reverse()) mkdirSync(dir);
}
