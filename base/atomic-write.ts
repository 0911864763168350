import { chmodSync, existsSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Replaces a file's contents through a temporary file in the same folder, flushed, then renamed
 * over the target, so a crash leaves either the old contents or the new ones, never a truncated
 * file. An existing symbolic link is followed (the link stays a link) and the existing file's
 * permissions are kept. Throws the underlying error after removing the temporary file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const target = existsSync(path) ? realpathSync(path) : path;
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, data, { flush: true });
    if (existsSync(target)) chmodSync(temp, statSync(target).mode & 0o7777);
    renameSync(temp, target);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // The temporary file was never created.
    }
    throw e;
  }
}
