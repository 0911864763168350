import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../../base/user-error.js";
import { MAX_RECORD_CHARS } from "../../../runtime/data/csv.js";
import { loadTrainingData } from "../../../runtime/data/dataset.js";
import { smallSpec, tempDir, writeTemp } from "../helpers.js";

// Data files are regular files, refused before a byte is read otherwise (a FIFO would wait for a
// writer forever, /dev/zero and /dev/urandom never end), and a row has a bounded length.

async function refusal(file: string): Promise<string> {
  const e = await loadTrainingData(smallSpec(), file).then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${String(e)}`);
  return e.message;
}

describe("data files", () => {
  it("must be regular files: a FIFO, /dev/zero, /dev/urandom and a folder without data files are refused at once", async () => {
    const fifo = join(tempDir(), "data.csv");
    execFileSync("mkfifo", [fifo]);
    const started = performance.now();
    expect(await refusal(fifo)).toBe(`${fifo}: is a named pipe; data files must be regular files`);
    expect(await refusal("/dev/zero")).toBe("/dev/zero: is a device; data files must be regular files");
    expect(await refusal("/dev/urandom")).toBe("/dev/urandom: is a device; data files must be regular files");
    const dir = tempDir();
    expect(await refusal(dir)).toBe(`${dir}: is a folder with no data files in it (delimited text, Parquet or JSON lines)`);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("have rows of at most MAX_RECORD_CHARS characters, with file:line above it", async () => {
    const file = writeTemp("long.csv", `x,c,y,r\n0.5,a,1,1\n0.1,${"b".repeat(MAX_RECORD_CHARS + 10)},0,0\n`);
    expect(await refusal(file)).toBe(`${file}:3: a row starting here is longer than 1,048,576 characters (is this a CSV file, with line breaks?)`);
  });
});
