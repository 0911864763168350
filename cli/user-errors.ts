import { describeFileSystemError, isFileSystemError } from "../base/file-system-error.js";
import { UserError } from "../base/user-error.js";

/**
 * Runs a command; a UserError (the user's data, files or machine, not a bug) becomes its one-line
 * message on standard error and exit code 1, without a stack trace. So does an error of the
 * operating system about a file (no space left, read-only, permission denied), which no layer
 * below turned into a UserError naming its file first.
 */
export async function reportUserErrors(command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (e) {
    if (reportedUserError(e)) return 1;
    throw e;
  }
}

/** Writes `mssmc: error: MESSAGE` for a UserError or a file-system error and returns true; false for anything else (a bug). */
export function reportedUserError(e: unknown): boolean {
  const error = isFileSystemError(e) ? describeFileSystemError(e) : e;
  if (!(error instanceof UserError)) return false;
  process.stderr.write(`mssmc: error: ${error.message}\n`);
  return true;
}
