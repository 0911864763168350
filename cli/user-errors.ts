import { UserError } from "../base/user-error.js";

/**
 * Runs a command; a UserError (the user's data, files or machine, not a bug) becomes
 * its one-line message on standard error and exit code 1, without a stack trace.
 */
export async function reportUserErrors(command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`mssmc: error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
