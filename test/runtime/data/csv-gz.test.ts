import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../../base/package-root.js";
import { readCsv } from "../../../runtime/data/csv.js";
import { BadRows } from "../../../runtime/data/errors.js";

const columns = [
  { column: "age", usedBy: 'field "age"' },
  { column: "Y", usedBy: 'the label of task "income"' },
];

async function rows(file: string) {
  const out = [];
  for await (const r of readCsv(file, columns, new BadRows(false))) out.push(r);
  return out;
}

describe("gzip-compressed CSV", () => {
  it("reads the bundled Adult copy exactly as the original", async () => {
    const bundled = await rows(join(packageRoot(), "data", "adult", "adult.test.gz"));
    const original = await rows(join(packageRoot(), "..", "shared", "data", "adult", "adult.test"));
    expect(bundled.length).toBe(16281);
    expect(bundled).toEqual(original);
  });

  it("refuses a truncated .gz file with a clear message", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mssmc-gz-"));
    const whole = gzipSync(readFileSync(join(packageRoot(), "..", "shared", "data", "adult", "adult.test")));
    const path = join(dir, "cut.csv.gz");
    writeFileSync(path, whole.subarray(0, 5000));
    await expect(rows(path)).rejects.toThrow(`${path}: cannot decompress the file (unexpected end of file); the .gz file is truncated or corrupt`);
  });
});
