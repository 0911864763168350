// Problems with a user's data files. They are the user's mistakes, not ours, so they are UserErrors carrying a
// complete one-line message (file:row:column: ...) that the CLI prints without a stack trace.

import { UserError } from "../../base/user-error.js";

/** How many bad-row locations a report keeps, so a file full of errors does not flood the terminal. */
export const KEPT_BAD_ROWS = 5;

/** The message for a cell that cannot be read: `file:row:column: expected X, found "Y"`. */
export function badCell(file: string, line: number, column: string, expected: string, found: string): string {
  const shown = found.length > 60 ? `${found.slice(0, 57)}...` : found;
  return `${file}:${line}:${column}: expected ${expected}, found ${JSON.stringify(shown)}${numberHint(expected, found)}`;
}

/** For a number written the way some locales and tools write it, what mssmc reads instead. */
function numberHint(expected: string, found: string): string {
  if (!expected.startsWith("a number")) return "";
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(found)) return " (thousands separators? numbers are read without them: 77516)";
  if (/^-?\d+,\d+$/.test(found)) return ` (a decimal comma? numbers are read with a point: ${found.replace(",", ".")})`;
  if (/^(NA|N\/A|null|NULL|None|-)$/.test(found)) return ' (a missing value? leave the cell empty or write "?"; --skip-bad-rows drops such rows)';
  return "";
}

/**
 * The policy for rows that cannot be encoded: stop at the first one (the default, because a
 * silently shrunk training set is worse than an error) or skip them, counting them for the report.
 */
export class BadRows {
  /** Rows skipped so far. */
  count = 0;
  /** The messages of the first few skipped rows. */
  readonly first: string[] = [];

  constructor(readonly skip: boolean) {}

  /** Records a bad row; throws a UserError with `message` unless bad rows are skipped. */
  report(message: string): void {
    if (!this.skip) throw new UserError(message, "bad-row");
    this.count++;
    if (this.first.length < KEPT_BAD_ROWS) this.first.push(message);
  }
}
