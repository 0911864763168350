import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTrainingData } from "../../../runtime/data/dataset.js";
import { duckdb, sqlString } from "../../../runtime/data/duckdb.js";
import { isPresent, rowRuns, sliceChunk, textCells, type RowChunk } from "../../../runtime/data/row-chunk.js";
import { dataError, specOf, tempFile } from "./helpers.js";

// Rows travel from every reader to the encoder in chunks, column by column (row-chunk.ts): a
// chunk boundary must change nothing, neither the data nor which bad row is reported first.

/** A chunk of `n` rows with one number column whose row r is null when r % 3 === 0. */
function numbers(n: number): RowChunk {
  const valid = new Uint8Array(Math.ceil(n / 64) * 8);
  for (let r = 0; r < n; r++) if (r % 3 !== 0) valid[r >> 3]! |= 1 << (r & 7);
  return { file: "f", rows: n, lines: Int32Array.from({ length: n }, (_, r) => r + 1), columns: [{ kind: "number", values: Float64Array.from({ length: n }, (_, r) => r / 4), valid }] };
}

async function collect(chunks: AsyncGenerator<RowChunk>): Promise<RowChunk[]> {
  const out: RowChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

describe("row chunks", () => {
  it("slices a chunk anywhere, its null bits renumbered from the slice's first row", () => {
    const whole = numbers(50);
    for (const [from, to] of [[0, 50], [3, 17], [8, 40], [13, 14]] as const) {
      const part = sliceChunk(whole, from, to);
      expect(part.rows).toBe(to - from);
      expect(Array.from(part.lines)).toEqual(Array.from(whole.lines.subarray(from, to)));
      expect(textCells(part.columns[0]!)).toEqual(textCells(whole.columns[0]!).slice(from, to));
      const col = part.columns[0] as Extract<RowChunk["columns"][number], { kind: "number" }>;
      expect(Array.from({ length: to - from }, (_, r) => isPresent(col.valid, r))).toEqual(Array.from({ length: to - from }, (_, r) => (from + r) % 3 !== 0));
    }
  });

  it("cuts a stream of chunks into runs of exactly the asked rows, the last one shorter", async () => {
    async function* stream(): AsyncGenerator<RowChunk> {
      for (const n of [5, 1, 12, 7]) yield numbers(n);
    }
    const runs = rowRuns(stream(), 8);
    const sizes: number[][] = [];
    while (!runs.ended()) sizes.push((await collect(runs.next())).map((c) => c.rows));
    expect(sizes).toEqual([[5, 1, 2], [8], [2, 6], [1]]);
  });

  it("reports the first bad row of a long delimited file first, whether the cell or the row's length is wrong", async () => {
    const spec = specOf("a numeric\nb categorical", 'y binary(label: y, positive: ["1"])');
    const lines = ["a,b,y"];
    for (let i = 0; i < 5000; i++) lines.push(`${i},${i % 7},${i % 2}`);
    // Line 101 has a bad number; line 1502 has a missing cell; line 2600 opens a quote never closed.
    lines[100] = "x,1,0";
    lines[1501] = "1,0";
    const file = tempFile(lines.join("\n") + "\n");
    expect((await dataError(loadTrainingData(spec, file))).message).toBe(`${file}:101:a: expected a number, found "x"`);
    const skipped = await loadTrainingData(spec, file, { skipBadRows: true });
    expect(skipped.report.firstBadRows).toEqual([`${file}:101:a: expected a number, found "x"`, `${file}:1502: expected 3 cells (one per header column), found 2`]);
    expect(skipped.train.rows).toBe(4998);
    lines[2599] = '"1,0,1';
    const broken = tempFile(lines.join("\n") + "\n");
    expect((await dataError(loadTrainingData(spec, broken))).message).toBe(`${broken}:101:a: expected a number, found "x"`);
  });

  it("reads Parquet across DuckDB's chunks and files, with nulls and a column named file_index, as its CSV", async () => {
    const spec = specOf("a numeric\nb categorical\nfile_index categorical", "r regression(label: r)");
    const rows = Array.from({ length: 5000 }, (_, i) => [i % 11 === 0 ? "" : String(i / 8), `v${i % 13}`, `f${i % 3}`, String(i % 5)]);
    const csv = tempFile(["a,b,file_index,r", ...rows.map((r) => r.join(","))].join("\n") + "\n");
    const folder = mkdtempSync(join(tmpdir(), "mssmc-chunks-"));
    const c = await duckdb();
    const read = `read_csv(${sqlString(csv)}, header = true, columns = {a: 'DOUBLE', b: 'VARCHAR', file_index: 'VARCHAR', r: 'DOUBLE'})`;
    await c.run(`COPY (SELECT * FROM ${read} LIMIT 3001) TO ${sqlString(join(folder, "part-1.parquet"))} (FORMAT parquet)`);
    await c.run(`COPY (SELECT * FROM ${read} OFFSET 3001) TO ${sqlString(join(folder, "part-2.parquet"))} (FORMAT parquet)`);
    const a = await loadTrainingData(spec, csv);
    const b = await loadTrainingData(spec, folder);
    expect(b.train.rows).toBe(5000);
    expect([b.train.fields, b.train.labels, b.preprocessing, b.report.imputed]).toEqual([a.train.fields, a.train.labels, a.preprocessing, a.report.imputed]);
    // The label census counts a typed file's numbers as their text: the CSV's cells.
    const census = (d: typeof a) => {
      const c = d.labelValues.get("r")!;
      return [c.counts, c.allNumbers, c.missing, c.distinct()];
    };
    expect(census(b)).toEqual(census(a));
    expect(census(a)[0]).toEqual(new Map([["0", 1000], ["1", 1000], ["2", 1000], ["3", 1000], ["4", 1000]]));
    // Rows are numbered within their own file.
    expect([b.train.lines[3000], b.train.lines[3001]]).toEqual([3001, 1]);
  });
});
