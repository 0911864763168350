/**
 * A problem caused by the user's input, data or environment (a bad cell, a missing CUDA library, a corrupt
 * checkpoint): the CLI prints its message and exits 1, without a stack trace.
 */
export class UserError extends Error {
  override name = "UserError";

  constructor(
    message: string,
    /** A stable kebab-case code. */
    readonly code: string,
  ) {
    super(message);
  }
}
