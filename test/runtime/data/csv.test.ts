import { describe, expect, it } from "vitest";
import { isMissing, readCsv, type CsvRow } from "../../../runtime/data/csv.js";
import { BadRows } from "../../../runtime/data/errors.js";
import { tempFile } from "./helpers.js";
import { UserError } from "../../../base/user-error.js";

const use = (...columns: string[]) => columns.map((column) => ({ column, usedBy: `field "${column}"` }));

async function rows(file: string, columns: string[], skip = false): Promise<{ rows: CsvRow[]; bad: BadRows }> {
  const bad = new BadRows(skip);
  const out: CsvRow[] = [];
  for await (const r of readCsv(file, use(...columns), bad)) out.push(r);
  return { rows: out, bad };
}

async function failure(file: string, columns: string[]): Promise<UserError> {
  try {
    await rows(file, columns);
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a UserError");
}

describe("readCsv", () => {
  it("reads columns by header name, trimming the space after commas, with file line numbers", async () => {
    const f = tempFile("age, workclass, Y\n39, State-gov, <=50K\n50, ?, >50K\n");
    expect((await rows(f, ["Y", "age"])).rows).toEqual([
      { line: 2, cells: ["<=50K", "39"] },
      { line: 3, cells: [">50K", "50"] },
    ]);
  });

  it("handles CRLF, a BOM, quoted cells with commas and quotes, and no trailing newline", async () => {
    const f = tempFile("\ufeffa, b\r\n1, \"x, y\"\r\n2, \"say \"\"hi\"\"\"\r\n3, 5'11\"");
    expect((await rows(f, ["a", "b"])).rows).toEqual([
      { line: 2, cells: ["1", "x, y"] },
      { line: 3, cells: ["2", 'say "hi"'] },
      { line: 4, cells: ["3", "5'11\""] },
    ]);
  });

  it("keeps line numbers right across blank lines, quoted line breaks (LF and CRLF) and mixed endings", async () => {
    const f = tempFile('a,b\n1,2\n\n3,"x\r\ny"\n4,"p\nq\r\nr"\r\n5,6\r\n\r\n7,8\n');
    expect((await rows(f, ["a"])).rows.map((r) => `${r.line}:${r.cells[0]}`)).toEqual(["2:1", "4:3", "6:4", "9:5", "11:7"]);
  });

  it("treats an empty cell and ? as missing, and nothing else", () => {
    expect(["", "?", "0", "??", "NA"].map(isMissing)).toEqual([true, true, false, false, false]);
  });

  it("names every missing column, the header, and a likely intended name", async () => {
    const f = tempFile("age, workclass, Y\n1, a, b\n");
    const e = await failure(f, ["age", "wrkclass", "income"]);
    expect(e.code).toBe("missing-column");
    expect(e.message).toBe(
      `${f}:1: missing columns "wrkclass" (read by field "wrkclass"; did you mean "workclass"?), "income" (read by field "income"). The header has: age, workclass, Y`,
    );
  });

  it("quotes a header of control characters (a binary file) and cuts a long one", async () => {
    const f = tempFile(`x\u0001y,${Array.from({ length: 100 }, (_v, i) => `column_${i}`).join(",")}\n1\n`);
    const message = (await failure(f, ["age"])).message;
    expect(message.startsWith(`${f}:1: missing column "age" (read by field "age"). The header has: "x\\u0001y", column_0, column_1,`)).toBe(true);
    expect(message.endsWith("... (101 columns)")).toBe(true);
    expect(message.length).toBeLessThan(f.length + 520);
  });

  it("trims quoted cells as it trims unquoted ones, and reads a line break inside quotes as \\n whatever the file's endings", async () => {
    const f = tempFile('a,b\r\n" Private ",x\r\n"two\r\nlines", y \r\n');
    const { rows: got } = await rows(f, ["a", "b"]);
    expect(got.map((r) => r.cells)).toEqual([
      ["Private", "x"],
      ["two\nlines", "y"],
    ]);
  });

  it("sniffs a long first line without piling up listeners (a file of carriage returns only)", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const f = tempFile("age,x\r" + Array.from({ length: 200_000 }, (_v, i) => `${i},${i}\r`).join(""));
      expect((await failure(f, ["age"])).message).toMatch(/is longer than 1,048,576 characters/);
      await new Promise((r) => setTimeout(r, 20));
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("blames the header at its own line when blank lines precede it", async () => {
    const f = tempFile("\n\nage\n1\n");
    expect((await failure(f, ["agee"])).message).toBe(`${f}:3: missing column "agee" (read by field "agee"; did you mean "age"?). The header has: age`);
  });

  it("rejects a header that names a needed column twice", async () => {
    const f = tempFile("a,b,a\n1,2,3\n");
    expect((await failure(f, ["a"])).message).toBe(`${f}:1: the header names column "a" twice (columns 1 and 3); field "a" reads it`);
  });

  it("stops at a row with the wrong number of cells, or skips and counts it", async () => {
    const f = tempFile("a,b\n1,2\n3\n4,5,6\n7,8\n");
    expect((await failure(f, ["a"])).message).toBe(`${f}:3: expected 2 cells (one per header column), found 1`);
    const r = await rows(f, ["a"], true);
    expect(r.rows.map((x) => x.line)).toEqual([2, 5]);
    expect(r.bad.count).toBe(2);
    expect(r.bad.first).toEqual([`${f}:3: expected 2 cells (one per header column), found 1`, `${f}:4: expected 2 cells (one per header column), found 3`]);
  });

  it("reports malformed quoting with the file and line", async () => {
    const f = tempFile('a,b\n1,2\n3,"4"x\n');
    const e = await failure(f, ["a"]);
    expect(e.code).toBe("malformed-csv");
    expect(e.message).toBe(`${f}:3: malformed CSV: a closing quote is followed by text instead of a comma or line end`);
    const g = tempFile('a,b\n1,"2\n3,4\n');
    expect((await failure(g, ["a"])).message).toBe(`${g}:2: malformed CSV: a quoted cell that starts on this row is never closed`);
  });

  it("stops at malformed quoting even when skipping bad rows (the next row's start is unknown)", async () => {
    const f = tempFile('a,b\n1,2\n3,"4"x\n5,6\n');
    await expect(rows(f, ["a"], true)).rejects.toThrow(`${f}:3: malformed CSV: a closing quote is followed by text instead of a comma or line end`);
  });

  it("says so for an empty file and for a file that does not exist", async () => {
    const f = tempFile("");
    expect((await failure(f, ["a"])).message).toBe(`${f}: the file is empty; expected a header line naming the columns`);
    const e = await failure(`${f}.nope`, ["a"]);
    expect([e.code, e.message]).toEqual(["unreadable-file", `${f}.nope: cannot read the file (no such file, ENOENT)`]);
  });
});
