import { UserError } from "./user-error.js";

// Errors of the operating system about files (a full disk, a read-only file system, a permission,
// a file that vanished) are the machine's state, not bugs: they reach the user as one line naming
// the file and the cause.

/** A Node file-system error: ENOSPC, EROFS, EACCES and the like, with the call that failed. */
export interface FileSystemErrorLike {
  code: string;
  syscall: string;
  path?: string;
  message: string;
}

/** True for an error thrown by a Node file-system call. */
export function isFileSystemError(e: unknown): e is FileSystemErrorLike {
  return typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" && typeof (e as { syscall?: unknown }).syscall === "string";
}

/** The operating system's words for an error: "no space left on device" from "ENOSPC: no space left on device, write". */
function cause(e: FileSystemErrorLike): string {
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(e.message);
  return m ? m[1]! : e.code;
}

/** `FILE: cannot ACTION: CAUSE (CODE)` as a UserError. */
export function fileSystemError(file: string, action: string, e: FileSystemErrorLike): UserError {
  return new UserError(`${file}: cannot ${action}: ${cause(e)} (${e.code})`, "file-system");
}

/** The UserError for any file-system error, naming the path the failing call was given when there is one. */
export function describeFileSystemError(e: FileSystemErrorLike): UserError {
  return fileSystemError(e.path ?? "a file", e.syscall, e);
}
