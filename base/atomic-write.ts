import { chmodSync, closeSync, existsSync, fsyncSync, lstatSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import type { Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileSystemError, isFileSystemError } from "./file-system-error.js";

/** How a file is replaced. */
export interface AtomicWriteOptions {
  /**
   * Follow an existing symbolic link at `path` and replace the file it points to (default true:
   * `fmt` keeps a linked spec a link). False replaces the link itself by a regular file, so a
   * link planted at a checkpoint's path never redirects a write elsewhere.
   */
  followLink?: boolean;
}

/** The temporary file a write to `target` goes through: `.NAME.PID.tmp` beside it. */
function tempPath(target: string, pid = process.pid): string {
  return join(dirname(target), `.${basename(target)}.${pid}.tmp`);
}

const TEMP_NAME = /^\..+\.(\d+)\.tmp$/;

/**
 * Replaces a file's contents through a temporary file in the same folder, flushed, then renamed
 * over the target, then the folder flushed, so a crash leaves either the old contents or the new
 * ones, never a truncated file, and a rename that returned is on disk. An existing file's
 * permissions are kept. A file-system error (no space, read-only, permission) becomes a UserError
 * naming the file, after the temporary file is removed; the target is then unchanged.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const follow = options.followLink ?? true;
  const target = follow && existsSync(path) ? realpathSync(path) : path;
  const temp = tempPath(target);
  try {
    // "wx": never write through something already lying at the temporary name (a link, say).
    rmSync(temp, { force: true });
    writeFileSync(temp, data, { flush: true, flag: "wx" });
    const old = follow ? (existsSync(target) ? statSync(target) : undefined) : lstatOrUndefined(target);
    if (old?.isFile()) chmodSync(temp, old.mode & 0o7777);
    renameSync(temp, target);
    syncDirectory(dirname(target));
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // The temporary file was never created, or was renamed.
    }
    throw isFileSystemError(e) ? fileSystemError(target, "write", e) : e;
  }
}

/** The lstat of a path, or undefined when nothing is there. */
function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Flushes a folder, so the renames done in it survive a power cut. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** True while a process with this id exists (one we may not signal counts too). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/**
 * Removes the temporary files that writes in `dir` left behind when their process was killed
 * (`.NAME.PID.tmp` whose PID is not running). Returns their names.
 */
export function removeAbandonedTemps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const pid = TEMP_NAME.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || processAlive(Number(pid))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
