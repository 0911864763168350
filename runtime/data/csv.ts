// Streams a delimited text file (CSV, TSV, ...) by header name. The parsing itself (quotes, CRLF,
// BOM) is csv-parse's; this module adds what error messages need: the 1-based line where each row
// starts (the header is line 1) and the names of the columns, and it checks the header against
// what the spec reads. The delimiter is given or sniffed from the header line (docs/design.md, "Data").

import { once } from "node:events";
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { CsvError, parse } from "csv-parse";
import { openRegularFile } from "../../base/regular-file.js";
import { suggest } from "../../base/suggest.js";
import { BadRows } from "./errors.js";
import { UserError } from "../../base/user-error.js";

/** A column the spec reads, and who reads it (for the missing-column message). */
export interface ColumnUse {
  column: string;
  /** Who reads it, e.g. `field "age"` or `the label of task "income"`. */
  usedBy: string;
  /**
   * What a typed column (Parquet, JSON) must hold for its reader (absent: text): numbers, text
   * (strings, whole numbers, booleans), or tokens (text, or a list joined by `separator`).
   * Delimited text is read as text whatever this says; a typed file's numbers come as numbers (row-chunk.ts).
   */
  type?: { kind: "number" } | { kind: "text" } | { kind: "tokens"; separator: string };
}

/** One data row: the cells of the requested columns, in request order, trimmed. */
export interface CsvRow {
  /** The file line where the row starts (the header is line 1). */
  line: number;
  cells: string[];
}

/**
 * The most characters one record (a row, with its quoted line breaks) may hold. Real rows are a
 * few hundred bytes; without a bound, a file with no line break (a binary file, a runaway quote)
 * would be buffered whole before anything is reported.
 */
export const MAX_RECORD_CHARS = 1 << 20;

/** True for a cell that holds no value: empty, or `?` as in the UCI data sets. */
export function isMissing(cell: string): boolean {
  return cell === "" || cell === "?";
}

/** How to read a delimited file. */
export interface CsvOptions {
  /** The cell delimiter; absent: sniffed from the header line (sniffDelimiter). */
  delimiter?: string;
  /** Columns the file lacks but its folders name (hive partitioning, key=value): appended to every row. */
  partition?: readonly [string, string][];
}

/** The delimiters a header line is sniffed for, most likely first (a tie goes to the earlier one). */
const SNIFFED_DELIMITERS = [",", "\t", ";", "|"] as const;

/**
 * The delimiter of a file whose first line is `header`: the candidate that occurs most often
 * outside double quotes; a comma when none occurs (a one-column file).
 */
export function sniffDelimiter(header: string): string {
  const counts = new Map<string, number>(SNIFFED_DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of header) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best: string = ",";
  for (const d of SNIFFED_DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

/**
 * Reads the rows of `file`, keeping only `columns`. Throws a UserError when the header lacks a
 * column (listing the header and a likely intended name) or when the CSV is malformed (even when
 * skipping bad rows: after broken quoting the parser cannot tell where the next row starts, and
 * csv-parse's own skipping then drops the rest of the file); a row with the wrong number of cells
 * goes to `badRows`.
 */
export async function* readCsv(file: string, columns: readonly ColumnUse[], badRows: Pick<BadRows, "report">, options: CsvOptions = {}): AsyncGenerator<CsvRow> {
  // A .gz file (the bundled Adult copy) is decompressed on the fly.
  const raw = createReadStream(file, { fd: openDataFile(file) });
  const input: Readable = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  raw.on("error", (e: Error) => input.destroy(e));
  let header: string[] | undefined;
  let picks: number[] = [];
  let width = 0;
  let extraCells: string[] = [];
  // csv-parse counts a CRLF inside a quoted cell as two lines; this tally undoes that drift.
  let extraBreaks = 0;
  // The line where the last complete record ended: an unclosed quote opened on the row after it.
  let lastEnd = 0;
  try {
    const delimiter = options.delimiter ?? (await sniff(input));
    const partition = options.partition ?? [];
    const parser = input.pipe(
      parse({
        bom: true,
        delimiter,
        // The UCI files put a space after every comma; trailing blanks are never meaningful either.
        ltrim: true,
        rtrim: true,
        // Both line endings, even mixed in one file (auto-detection would pick one from line 1).
        record_delimiter: ["\r\n", "\n"],
        skip_empty_lines: true,
        // A quote inside an unquoted cell (5'11") is kept as text rather than rejected.
        relax_quotes: true,
        // Row length is checked here, so the message can name the file and line.
        relax_column_count: true,
        info: true,
        max_record_size: MAX_RECORD_CHARS,
      }),
    );
    // pipe() does not forward the source's errors (a missing file); the parser must fail with them.
    input.on("error", (e: Error) => parser.destroy(e));
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      let inner = 0;
      for (const cell of record) {
        if (cell.indexOf("\n") < 0 && cell.indexOf("\r") < 0) continue;
        inner += cell.match(/\r\n|\r|\n/g)!.length;
        extraBreaks += (cell.match(/\r\n/g) ?? []).length;
      }
      lastEnd = info.lines - extraBreaks;
      const line = lastEnd - inner;
      if (header === undefined) {
        // Partition values follow the file's own cells; a column the file has keeps its own value.
        const extra = partition.filter(([key]) => !record.includes(key));
        width = record.length;
        header = [...record, ...extra.map(([key]) => key)];
        picks = withDelimiterHint(() => pickColumns(`${file}:${line}`, header!, columns), record, delimiter);
        extraCells = extra.map(([, value]) => value);
        continue;
      }
      if (record.length !== width) {
        badRows.report(`${file}:${line}: expected ${width} cells (one per header column), found ${record.length}`);
        continue;
      }
      if (extraCells.length > 0) record.push(...extraCells);
      // ltrim and rtrim stop at quotes: a quoted cell is trimmed here, as Parquet's and JSON's text
      // is (table.ts), and a line break inside it is "\n" whatever the file's line endings.
      yield { line, cells: picks.map((i) => cellText(record[i]!)) };
    }
  } catch (e) {
    if (e instanceof CsvError) {
      const line = e.code === "CSV_QUOTE_NOT_CLOSED" ? lastEnd + 1 : (e as unknown as { lines: number }).lines - extraBreaks;
      throw new UserError(`${file}:${line}: ${describeCsvError(e)}`, "malformed-csv");
    }
    if (isFsError(e)) throw unreadable(file, e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("Z_")) {
      throw new UserError(`${file}: cannot decompress the file (${(e as Error).message}); the .gz file is truncated or corrupt`, "unreadable-file");
    }
    throw e;
  } finally {
    // A reader that stops early (a bad row, a missing column) must not leave the file open.
    input.destroy();
  }
  if (header === undefined) throw new UserError(`${file}: the file is empty; expected a header line naming the columns`, "empty-file");
}

/**
 * Reads `input` up to the end of its first line, puts what it read back (unshift) and returns the
 * delimiter sniffed there; the stream is then parsed from its start, as if never touched.
 */
async function sniff(input: Readable): Promise<string> {
  const head: Buffer[] = [];
  let size = 0;
  // One wait for the end, however many chunks the first line takes (a file without line feeds
  // reads up to MAX_RECORD_CHARS): a new once() per chunk would pile up listeners.
  let ended: Promise<unknown> | undefined;
  for (;;) {
    const chunk = input.read() as Buffer | null;
    if (chunk === null) {
      if (input.readableEnded) break;
      // once() rejects with the stream's error (a missing file), which readCsv reports.
      if (!ended) {
        ended = once(input, "end");
        ended.catch(() => undefined);
      }
      await Promise.race([once(input, "readable"), ended]);
      continue;
    }
    head.push(chunk);
    size += chunk.length;
    if (chunk.includes(10) || size > MAX_RECORD_CHARS) break;
  }
  const read = Buffer.concat(head);
  if (read.length > 0) input.unshift(read);
  const text = read.toString("utf8");
  const end = text.indexOf("\n");
  return sniffDelimiter(end >= 0 ? text.slice(0, end) : text);
}

/** How a delimiter is named in messages and on the command line. */
const delimiterName = (d: string): string => (d === "\t" ? "tab" : JSON.stringify(d));

/**
 * Runs `pick`; when it finds columns missing from a header line that `delimiter` left whole but
 * another delimiter splits, the message says so (a TSV read with --delimiter ",").
 */
function withDelimiterHint<T>(pick: () => T, header: readonly string[], delimiter: string): T {
  try {
    return pick();
  } catch (e) {
    const likely = header.length === 1 ? sniffDelimiter(header[0]!) : delimiter;
    if (!(e instanceof UserError) || e.code !== "missing-column" || likely === delimiter || !header[0]!.includes(likely)) throw e;
    throw new UserError(`${e.message.replace(/\. The header has: .*$/s, "")}: split on ${delimiterName(delimiter)}, the header line is one column; it splits on ${delimiterName(likely)} (give --delimiter ${delimiterName(likely)}, or leave --delimiter out to sniff it)`, e.code);
  }
}

/** Opens a data file, refusing anything but a regular file before a byte is read (base/regular-file.ts). */
function openDataFile(file: string): number {
  try {
    return openRegularFile(file, "data files");
  } catch (e) {
    if (isFsError(e)) throw unreadable(file, e);
    throw e;
  }
}

/** Where each requested column sits in the header (at `where`, file:line); throws one UserError naming every missing column. */
export function pickColumns(where: string, header: readonly string[], columns: readonly ColumnUse[]): number[] {
  const missing: string[] = [];
  const picks = columns.map(({ column, usedBy }) => {
    const at = header.indexOf(column);
    if (at < 0) {
      const near = suggest(column, header);
      missing.push(`"${column}" (read by ${usedBy}${near ? `; did you mean "${near}"?` : ""})`);
    } else if (header.indexOf(column, at + 1) >= 0) {
      throw new UserError(`${where}: the header names column "${column}" twice (columns ${at + 1} and ${header.indexOf(column, at + 1) + 1}); ${usedBy} reads it`, "duplicate-column");
    }
    return at;
  });
  if (missing.length > 0) {
    const noun = missing.length === 1 ? "column" : "columns";
    throw new UserError(`${where}: missing ${noun} ${missing.join(", ")}. The header has: ${shownHeader(header)}`, "missing-column");
  }
  return picks;
}

/** A short reason for a malformed-CSV error, without csv-parse's own position text. */
function describeCsvError(err: CsvError): string {
  switch (err.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return "malformed CSV: a quoted cell that starts on this row is never closed";
    case "CSV_INVALID_CLOSING_QUOTE":
    case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
      return "malformed CSV: a closing quote is followed by text instead of a comma or line end";
    case "CSV_MAX_RECORD_SIZE":
      return `a row starting here is longer than ${MAX_RECORD_CHARS.toLocaleString("en-US")} characters (is this a CSV file, with line breaks?)`;
    default:
      return `malformed CSV: ${err.message}`;
  }
}

/** True for a Node file-system error such as ENOENT. */
/** A parsed cell as the readers give it: trimmed, its line breaks "\n". */
function cellText(cell: string): string {
  const trimmed = cell.trim();
  return trimmed.indexOf("\r") < 0 ? trimmed : trimmed.replace(/\r\n?/g, "\n");
}

/**
 * A header line as an error quotes it: its names JSON-quoted where they hold control characters
 * (a binary file read as text), and at most 400 characters, so that a garbage file does not
 * print its bytes to the terminal.
 */
function shownHeader(header: readonly string[]): string {
  // eslint-disable-next-line no-control-regex
  const text = header.map((h) => (/[\u0000-\u001f\u007f-\u009f\ufffd]/.test(h) ? JSON.stringify(h) : h)).join(", ");
  return text.length <= 400 ? text : `${text.slice(0, 400)}... (${header.length} columns)`;
}

/** The error for a data file the operating system will not read: "no such file" for ENOENT, else its code. */
function unreadable(file: string, e: { code: string }): UserError {
  const why = e.code === "ENOENT" ? "no such file" : e.code === "EACCES" ? "permission denied" : e.code === "EISDIR" ? "it is a folder" : e.code;
  return new UserError(`${file}: cannot read the file (${why}${why === e.code ? "" : `, ${e.code}`})`, "unreadable-file");
}

function isFsError(e: unknown): e is { code: string } {
  return typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" && (e as { syscall?: unknown }).syscall !== undefined;
}
