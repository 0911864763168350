import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../base/package-root.js";
import { loadSpec, type Spec } from "../compiler/index.js";
import { loadTrainingData, type TrainingData } from "../runtime/data/dataset.js";
import { duckdb, sqlName, sqlString } from "../runtime/data/duckdb.js";
import { BadRows } from "../runtime/data/errors.js";
import { readSource, resolveSource } from "../runtime/data/source.js";
import { wholeNumber } from "./args.js";

// Loading Adult (32,561 rows, the zoo MSSM's 13 fields and 2 labels) in each format the data
// path reads, side by side in one process: "read" is the rows of text cells alone, "load" is
// read + encode (vocabularies, standardization: loadTrainingData). The copies are written once
// by DuckDB from the CSV. One more row measures the alternative not taken for delimited text:
// DuckDB's read_csv giving the same cells (docs/design.md, "Data", says why csv-parse stays).
// Every format's encoded data is checked equal to the CSV's.
//
//   node dist/bench/data-load.js [--repeats N]

/** One measured way of reading Adult. */
export interface LoadRow {
  name: string;
  file: string;
  rows: number;
  /** Median milliseconds to read the cells. */
  readMs: number;
  /** Median milliseconds to read and encode; undefined for the read-only alternative. */
  loadMs: number | undefined;
  /** Whether the encoded data equals the CSV's (undefined for the read-only alternative). */
  same: boolean | undefined;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: performance.now() - t0, value };
}

/** The columns the spec reads, as the data path asks for them. */
function columnsOf(spec: Spec) {
  return [
    ...spec.fields.map((f) => ({ column: f.column, usedBy: f.name, type: f.kind === "numeric" ? { kind: "number" as const } : { kind: "text" as const } })),
    ...spec.tasks.map((t) => ({ column: t.label, usedBy: t.name })),
  ];
}

/** The encoded arrays of a load, without file names and lines, for comparison. */
const encoded = (d: TrainingData): string => JSON.stringify([d.preprocessing, d.train.fields, d.train.labels], (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v));

/** Measures every format; `dir` receives the copies. */
export async function measureDataLoad(repeats: number, dir: string): Promise<LoadRow[]> {
  const spec = loadSpec(join(packageRoot(), "specs", "zoo", "mssm.mssm")).spec!;
  const csv = join(packageRoot(), "..", "shared", "data", "adult", "adult.data");
  const c = await duckdb();
  const copies: [string, string][] = [
    ["TSV", "adult.tsv"],
    ["Parquet", "adult.parquet"],
    ["JSON lines", "adult.jsonl"],
  ];
  const formats: Record<string, string> = { "adult.tsv": "(FORMAT csv, DELIMITER '\t', HEADER)", "adult.parquet": "(FORMAT parquet)", "adult.jsonl": "(FORMAT json)" };
  for (const [, name] of copies) await c.run(`COPY (SELECT * FROM read_csv(${sqlString(csv)}, header = true)) TO ${sqlString(join(dir, name))} ${formats[name]}`);
  const columns = columnsOf(spec);

  const reference = encoded(await loadTrainingData(spec, csv));
  const variants: { name: string; file: string; delimiter?: string }[] = [
    { name: "CSV, delimiter sniffed", file: csv },
    { name: "CSV, --delimiter ,", file: csv, delimiter: "," },
    { name: "CSV gzip (bundled copy)", file: join(packageRoot(), "data", "adult", "adult.data.gz") },
    ...copies.map(([name, file]) => ({ name, file: join(dir, file) })),
  ];
  const readRows = async (file: string, delimiter?: string) => {
    let n = 0;
    for await (const chunk of readSource(await resolveSource(file), columns, new BadRows(false), delimiter)) n += chunk.rows;
    return n;
  };
  // The alternative: DuckDB's CSV reader, every cell as text, trimmed as csv-parse's cells are.
  const select = columns.map((u) => `CAST(${sqlName(u.column)} AS VARCHAR)`).join(", ");
  const duckdbCsv = async () => {
    const result = await c.stream(`SELECT ${select} FROM read_csv(${sqlString(csv)}, header = true, all_varchar = true)`);
    let n = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const cols = chunk.getColumns();
      for (let r = 0; r < chunk.rowCount; r++) {
        const cells = cols.map((col) => (col[r] === null ? "" : (col[r] as string).trim()));
        if (cells.length === columns.length) n++;
      }
    }
    return n;
  };

  // Round robin, after one unmeasured round: a busy machine slows every variant alike.
  const reads = variants.map(() => [] as number[]);
  const loads = variants.map(() => [] as number[]);
  const alt: number[] = [];
  const rows = variants.map(() => 0);
  const same = variants.map(() => true);
  let altRows = 0;
  for (let round = 0; round <= repeats; round++) {
    for (const [i, v] of variants.entries()) {
      const r = await timed(() => readRows(v.file, v.delimiter));
      const l = await timed(() => loadTrainingData(spec, v.file, v.delimiter !== undefined ? { delimiter: v.delimiter } : {}));
      rows[i] = r.value;
      same[i] = same[i]! && encoded(l.value) === reference;
      if (round > 0) reads[i]!.push(r.ms), loads[i]!.push(l.ms);
    }
    const a = await timed(duckdbCsv);
    altRows = a.value;
    if (round > 0) alt.push(a.ms);
  }
  return [
    ...variants.map((v, i) => ({ name: v.name, file: v.file, rows: rows[i]!, readMs: median(reads[i]!), loadMs: median(loads[i]!), same: same[i]! })),
    { name: "DuckDB read_csv (not used)", file: csv, rows: altRows, readMs: median(alt), loadMs: undefined, same: undefined },
  ];
}

/** The rows as an aligned text table. */
export function formatDataLoad(rows: readonly LoadRow[], repeats: number): string[] {
  const header = ["format", "rows", "read ms", "read+encode ms", "same data as CSV"];
  const lines = rows.map((r) => [r.name, r.rows.toLocaleString("en-US"), r.readMs.toFixed(0), r.loadMs === undefined ? "-" : r.loadMs.toFixed(0), r.same === undefined ? "-" : r.same ? "yes" : "NO"]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [`Adult (adult.data) with the zoo MSSM's columns, median of ${repeats} rounds (each variant once per round, after a warm-up round), one process:`, row(header), ...lines.map(row)];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const repeats = wholeNumber(process.argv, "repeats", 5, 1);
  const dir = mkdtempSync(join(tmpdir(), "mssmc-bench-data-"));
  try {
    for (const line of formatDataLoad(await measureDataLoad(repeats, dir), repeats)) console.log(line);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
