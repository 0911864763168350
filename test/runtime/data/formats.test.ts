import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { loadData, loadTrainingData, type Dataset, type TrainingData } from "../../../runtime/data/dataset.js";
import { duckdb, sqlString } from "../../../runtime/data/duckdb.js";
import { sniffDelimiter } from "../../../runtime/data/csv.js";
import { Random } from "../../../base/random.js";
import { packageRoot } from "../../../base/package-root.js";
import { adultDir, adultSpec, dataError, specOf } from "./helpers.js";

// The same rows in every format the data path reads must encode to the same data: fields,
// labels and fitted preprocessing equal to the comma-separated file's, value for value.

const dir = mkdtempSync(join(tmpdir(), "mssmc-formats-"));
const path = (name: string): string => join(dir, name);

const spec = specOf(
  'age numeric\ngain numeric(transform: log1p)\ncolor categorical\ntags multi_hot(separator: "|", pooling: sum)\ncity categorical(hash_buckets: 8)\nzip categorical',
  'y binary(label: y, positive: ["yes"])\nk multiclass(3, label: k)\nr regression(label: r)',
);

/** Generated rows: numbers with fractions and missing values, words, lists, ids with leading zeros. */
function rows(n: number): Record<string, string | number | string[] | null>[] {
  const rng = Random.stream(11);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)]!;
  return Array.from({ length: n }, () => ({
    age: rng.uniform() < 0.1 ? null : Math.round(rng.uniform() * 800) / 10,
    gain: rng.uniform() < 0.1 ? null : Math.floor(rng.uniform() * 1e5) / 7,
    color: pick(["red", "blue", "green", "?", "dark red"]),
    tags: pick([["a", "b"], ["b"], [], ["c", "a", "d"]]),
    city: pick(["Paris", "Rome", "Oslo", "Lima"]),
    zip: pick(["00123", "4500", "01"]),
    y: pick(["yes", "no"]),
    k: Math.floor(rng.uniform() * 3),
    r: Math.round(rng.uniform() * 1e6) / 1e3 - 500,
  }));
}

const data = rows(300);
const columns = Object.keys(data[0]!);
const cell = (v: unknown): string => (v === null ? "" : Array.isArray(v) ? v.join("|") : String(v));
const delimited = (sep: string): string => [columns.join(sep), ...data.map((r) => columns.map((c) => cell(r[c])).join(sep))].join("\n") + "\n";

async function sql(text: string): Promise<void> {
  await (await duckdb()).run(text);
}

/** Everything encoded from a file, without the file's name and row positions. */
function encoded(d: TrainingData): unknown {
  const strip = (x: Dataset | undefined) => x && { rows: x.rows, fields: x.fields, labels: x.labels };
  return { train: strip(d.train), valid: strip(d.valid), preprocessing: d.preprocessing };
}

describe("the same rows in every format", async () => {
  writeFileSync(path("rows.csv"), delimited(","));
  writeFileSync(path("rows.tsv"), delimited("\t"));
  writeFileSync(path("rows.txt"), delimited(";"));
  writeFileSync(path("rows.csv.gz"), gzipSync(delimited(",")));
  writeFileSync(path("rows.jsonl"), data.map((r) => JSON.stringify(r)).join("\n") + "\n");
  writeFileSync(path("rows.json"), JSON.stringify(data));
  // A name with a bracket is a path when the file exists, not a glob.
  writeFileSync(path("rows[1].csv"), delimited(","));
  // Parquet with typed columns: doubles, text (zip keeps its leading zeros), a list of text, integers.
  await sql(`COPY (SELECT * FROM read_json(${sqlString(path("rows.jsonl"))}, format = 'newline_delimited', columns = {age: 'DOUBLE', gain: 'DOUBLE', color: 'VARCHAR', tags: 'VARCHAR[]', city: 'VARCHAR', zip: 'VARCHAR', y: 'VARCHAR', k: 'INTEGER', r: 'DOUBLE'})) TO ${sqlString(path("rows.parquet"))} (FORMAT parquet)`);
  // The rows split over two CSV files (a glob) and over a hive-partitioned Parquet folder.
  writeFileSync(path("part-1.csv"), [columns.join(","), ...data.slice(0, 120).map((r) => columns.map((c) => cell(r[c])).join(","))].join("\n") + "\n");
  writeFileSync(path("part-2.csv"), [columns.join(","), ...data.slice(120).map((r) => columns.map((c) => cell(r[c])).join(","))].join("\n") + "\n");
  // Hive folders: the city column lives only in the folder names (city=Paris/...).
  mkdirSync(path("hive"));
  await sql(`COPY (SELECT * FROM ${sqlString(path("rows.parquet"))}) TO ${sqlString(path("hive"))} (FORMAT parquet, PARTITION_BY (city), OVERWRITE_OR_IGNORE)`);
  const others = columns.filter((c) => c !== "city");
  for (const city of new Set(data.map((r) => r.city as string))) {
    mkdirSync(path(`hive-csv/city=${city}`), { recursive: true });
    const part = data.filter((r) => r.city === city).map((r) => others.map((c) => cell(r[c])).join(","));
    writeFileSync(path(`hive-csv/city=${city}/part.csv`), [others.join(","), ...part].join("\n") + "\n");
  }
  const load = (file: string) => loadTrainingData(spec, file, { validFraction: 0.2, seed: 3 });
  const reference = await load(path("rows.csv"));

  it("reads TSV, other delimiters, gzip, JSON lines, a JSON array and Parquet to the same encoded data", async () => {
    expect(reference.train.rows + reference.valid!.rows).toBe(300);
    for (const name of ["rows.tsv", "rows.txt", "rows.csv.gz", "rows.jsonl", "rows.json", "rows.parquet", "rows[1].csv"]) {
      expect({ name, data: encoded(await load(path(name))) }).toEqual({ name, data: encoded(reference) });
    }
  });

  it("reads a glob of files and a hive-partitioned folder in file order", async () => {
    const glob = await load(path("part-*.csv"));
    expect(encoded(glob)).toEqual(encoded(reference));
    // Partitioned, the rows come grouped by partition: compare the encoding of the same rows.
    const csv = await loadData(spec, path("rows.csv"), reference.preprocessing);
    const order = data.map((r, i) => [r.city as string, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    const column = (d: Dataset, f: string) => Array.from((d.fields[f] as { values?: Float32Array; ids?: Int32Array }).values ?? (d.fields[f] as { ids: Int32Array }).ids);
    for (const folder of ["hive", "hive-csv"]) {
      const hive = await loadData(spec, path(folder), reference.preprocessing);
      for (const f of ["age", "city", "color"]) expect({ folder, f, v: column(hive.data, f) }).toEqual({ folder, f, v: order.map(([, i]) => column(csv.data, f)[i]) });
    }
  });

  it("numbers a Parquet row by its place in the file and a delimited row by its line", async () => {
    const parquet = await loadData(spec, path("rows.parquet"), reference.preprocessing);
    const csv = await loadData(spec, path("rows.csv"), reference.preprocessing);
    expect([parquet.data.lines[0], parquet.data.lines[299], csv.data.lines[0], csv.data.lines[299]]).toEqual([1, 300, 2, 301]);
  });

  it("sniffs the delimiter from the header line, outside quotes", () => {
    expect(["a,b,c", "a\tb\tc", "a;b;c", "a|b", '"x,y"\tb', "one"].map(sniffDelimiter)).toEqual([",", "\t", ";", "|", "\t", ","]);
  });

  it("says which delimiter splits the header when the one given leaves it whole", async () => {
    const one = specOf("age numeric", "r regression(label: r)");
    expect((await dataError(loadTrainingData(one, path("rows.tsv"), { delimiter: "," }))).message).toBe(
      `${path("rows.tsv")}:1: missing columns "age" (read by field "age"), "r" (read by the label of task "r"): split on ",", the header line is one column; it splits on tab (give --delimiter tab, or leave --delimiter out to sniff it)`,
    );
  });

  it("says in one line when a column's type does not fit the field, a glob matches nothing, or a file is not what its name says", async () => {
    await sql(`COPY (SELECT 'abc' AS age, 1 AS x) TO ${sqlString(path("text-age.parquet"))} (FORMAT parquet)`);
    const one = specOf("age numeric", "x regression(label: x)");
    expect((await dataError(loadTrainingData(one, path("text-age.parquet")))).message).toBe(
      `${path("text-age.parquet")}: column "age" is VARCHAR, but field "age" needs a number column (integer, float, double or decimal)`,
    );
    await sql(`COPY (SELECT 1.5 AS c, 1 AS y) TO ${sqlString(path("float-category.parquet"))} (FORMAT parquet)`);
    const cat = specOf("c categorical", "y binary(label: y)");
    expect((await dataError(loadTrainingData(cat, path("float-category.parquet")))).message).toBe(
      `${path("float-category.parquet")}: column "c" is DECIMAL(2,1), but field "c" needs a text, whole-number or boolean column`,
    );
    expect((await dataError(loadTrainingData(one, path("nothing-*.parquet")))).message).toBe(`${path("nothing-*.parquet")}: no data file matches this pattern`);
    writeFileSync(path("not.parquet"), "age,x\n1,2\n");
    expect((await dataError(loadTrainingData(one, path("not.parquet")))).message).toBe(`${path("not.parquet")}: cannot read the file as Parquet (File too small to be a Parquet file)`);
    writeFileSync(path("bad.jsonl"), '{"age": 1, "x": 2}\n{"age": \n');
    expect((await dataError(loadTrainingData(one, path("bad.jsonl")))).message).toMatch(/^[^\n]+: cannot read the file as JSON lines \([^\n]+\)$/);
    expect((await dataError(loadTrainingData(one, path("rows.parquet")))).message).toBe(
      `${path("rows.parquet")}: missing column "x" (read by the label of task "x"; did you mean "y"?). The header has: age, gain, color, tags, city, zip, y, k, r`,
    );
  });

  it("refuses a file DuckDB stops reading part-way (its streaming read ends as at the end), with DuckDB's error", async () => {
    // Adult as JSON lines, cut off in line 30,001 (past DuckDB's 20,480-line sample): the streamed
    // read used to end at 26,624 rows without a word.
    const adultJson = path("adult-cut.jsonl");
    await sql(`COPY (SELECT * FROM read_csv(${sqlString(join(packageRoot(), "data", "adult", "adult.data.gz"))})) TO ${sqlString(adultJson)} (FORMAT json)`);
    const lines = readFileSync(adultJson, "utf8").trimEnd().split("\n");
    expect(lines.length).toBe(32_561);
    const whole = lines.slice();
    lines[30_000] = lines[30_000]!.slice(0, 30);
    writeFileSync(adultJson, lines.join("\n") + "\n");
    expect((await dataError(loadTrainingData(adultSpec(), adultJson))).message).toMatch(/^\S+adult-cut\.jsonl: cannot read the file as JSON lines \(Malformed JSON .*line 3000\d.*\)$/);
    // A key DuckDB's sample takes for whole numbers that later holds fractions is read as numbers,
    // not rounded; a key first seen after the sample is no error.
    const late = whole.map((l, i) => (i >= 25_000 ? l.replace(/"age":(\d+)/, '"age":$1.5').replace(/}$/, ', "late": 1}') : l));
    writeFileSync(path("adult-late.jsonl"), late.join("\n") + "\n");
    const ages = whole.map((l) => Number(/"age":(\d+)/.exec(l)![1]) + 0);
    const mean = ages.reduce((a, x, i) => a + x + (i >= 25_000 ? 0.5 : 0), 0) / ages.length;
    const read = await loadTrainingData(adultSpec(), path("adult-late.jsonl"));
    expect(read.train.rows).toBe(32_561);
    const stats = (read.preprocessing.fields["age"] as { stats: { mean: number } }).stats;
    expect(stats.mean).toBeCloseTo(mean, 9);
    const one = specOf("age numeric", "x regression(label: x)");
    // A Parquet file damaged near its end (row groups of 2,048 rows): an error, not the rows before the damage.
    const damaged = path("damaged.parquet");
    await sql(`COPY (SELECT range::DOUBLE AS age, (range % 7)::DOUBLE AS x FROM range(100000)) TO ${sqlString(damaged)} (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
    const bytes = readFileSync(damaged);
    bytes.fill(0xff, Math.floor(bytes.length * 0.9), Math.floor(bytes.length * 0.9) + 500);
    writeFileSync(damaged, bytes);
    expect((await dataError(loadTrainingData(one, damaged))).message).toMatch(/^\S+damaged\.parquet: (cannot read the file as Parquet \(.+\)|DuckDB read [\d,]+ of the 100,000 rows the Parquet metadata counts, and stopped; the file may be damaged\.)$/);
    // A folder whose later Parquet files type a column otherwise than the first: DuckDB would read
    // them with the first's types (27.5 as 28, 'abc' failing part-way), so it is refused up front.
    mkdirSync(path("lacking"));
    await sql(`COPY (SELECT range::BIGINT AS age, 1 AS x FROM range(10)) TO ${sqlString(path("lacking/part-1.parquet"))} (FORMAT parquet)`);
    await sql(`COPY (SELECT 1 AS x FROM range(10)) TO ${sqlString(path("lacking/part-2.parquet"))} (FORMAT parquet)`);
    expect((await dataError(loadTrainingData(one, path("lacking")))).message).toBe(`${path("lacking/part-2.parquet")}: missing column "age" (read by field "age"), which ${path("lacking/part-1.parquet")} has.`);
    for (const [name, later] of [["fractions", "range::DOUBLE + 0.5"], ["text", "'abc'"]] as const) {
      mkdirSync(path(name));
      await sql(`COPY (SELECT range::BIGINT AS age, 1 AS x FROM range(3000)) TO ${sqlString(path(`${name}/part-1.parquet`))} (FORMAT parquet)`);
      await sql(`COPY (SELECT ${later} AS age, 1 AS x FROM range(3000)) TO ${sqlString(path(`${name}/part-2.parquet`))} (FORMAT parquet)`);
      const type = name === "text" ? "VARCHAR" : "DOUBLE";
      expect((await dataError(loadTrainingData(one, path(name)))).message).toBe(
        `${path(`${name}/part-2.parquet`)}: column "age" is ${type} here and BIGINT in ${path(`${name}/part-1.parquet`)}; DuckDB reads every file of ${path(name)} with the first file's types, which would round or fail, so write the column with one type in every file.`,
      );
    }
  });

  it("names the file, row and column of a bad cell in a typed file", async () => {
    await sql(`COPY (SELECT * FROM (VALUES (1.0, 'yes'), ('nan'::DOUBLE, 'no')) t(age, y)) TO ${sqlString(path("nan.parquet"))} (FORMAT parquet)`);
    const one = specOf("age numeric", 'y binary(label: y, positive: ["yes"])');
    expect((await dataError(loadTrainingData(one, path("nan.parquet")))).message).toBe(`${path("nan.parquet")}:2:age: expected a number, found "NaN"`);
  });

  it("reads Adult's Parquet copy to exactly the data of its CSV", async () => {
    const adult = adultSpec();
    await sql(`COPY (SELECT * FROM read_csv(${sqlString(join(adultDir, "adult.data"))}, header = true)) TO ${sqlString(path("adult.parquet"))} (FORMAT parquet)`);
    const fromCsv = await loadTrainingData(adult, join(adultDir, "adult.data"), { validFraction: 0.1, seed: 7 });
    const fromParquet = await loadTrainingData(adult, path("adult.parquet"), { validFraction: 0.1, seed: 7 });
    expect(encoded(fromParquet)).toEqual(encoded(fromCsv));
  });
});
