// Reading what a user names (a data file, a spec, an import) only when it is a regular file: a
// FIFO would block forever, /dev/zero or /dev/urandom never end, and a folder is a mistake. The
// open does not wait for a FIFO's writer (O_NONBLOCK, which changes nothing for a regular file),
// and the check is on what was opened, so the path cannot be swapped in between.

import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { UserError } from "./user-error.js";

/** What a path that is not a regular file is, in words: "a named pipe", "a device", "a folder"... */
function kindOf(stat: ReturnType<typeof fstatSync>): string {
  if (stat.isFIFO()) return "a named pipe";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isDirectory()) return "a folder";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Opens `file` for reading and returns its descriptor. Throws a UserError when it is not a regular
 * file (`FILE: is a named pipe; WHAT must be regular files`, `what` being "data files", "specs"...)
 * or holds more than `maxBytes` (`FILE: is N bytes; WHAT may be at most M`); the open's own error
 * (ENOENT, EACCES...) is thrown as it is, for the caller to phrase.
 */
export function openRegularFile(file: string, what: string, maxBytes = Infinity): number {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  const stat = fstatSync(fd);
  if (stat.isFile() && stat.size <= maxBytes) return fd;
  closeSync(fd);
  if (!stat.isFile()) throw new UserError(`${file}: is ${kindOf(stat)}; ${what} must be regular files`, "not-a-file");
  throw new UserError(`${file}: is ${stat.size} bytes; ${what} may be at most ${maxBytes}`, "file-too-large");
}

/** The text of a regular file of at most `maxBytes` bytes, as UTF-8 (errors as openRegularFile). */
export function readRegularFile(file: string, what: string, maxBytes: number): string {
  const fd = openRegularFile(file, what, maxBytes);
  try {
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}
