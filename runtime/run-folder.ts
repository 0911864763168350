// What a run folder guarantees, and the few operations that keep it so.
//
// A run folder holds artifact/ (manifest.json, train.onnx, eval.onnx), preprocessing.json,
// metrics.jsonl and checkpoints/ (best.ckpt, last.ckpt). checkpoints/last.ckpt is the run: a
// folder without it holds no run, and its rename is the one commit point of each epoch.
//
//   start    remove last.ckpt (the old run, if any, is no longer a run), then best.ckpt; write
//            artifact/, preprocessing.json and an empty metrics.jsonl
//   epoch e  append e's line to metrics.jsonl (flushed); if e is the best so far, write best.ckpt;
//            then write last.ckpt (progress e, and the best epoch so far): the commit
//   resume   read last.ckpt (epoch c); keep metrics.jsonl's lines of epochs 1..c, one each
//
// Every file is written through a temporary file, flushed, renamed, and its folder flushed
// (base/atomic-write.ts). A kill at any instant therefore leaves last.ckpt at some epoch c with
// metrics.jsonl holding epochs 1..c (perhaps c+1, dropped on resume) and best.ckpt equal to what
// an uninterrupted run had after epoch c, or after epoch c+1 when the kill fell between best.ckpt's
// and last.ckpt's renames. Epoch c+1 is recomputed bit for bit on resume (the state after c
// determines it), so it rewrites that best.ckpt with the same bytes; best.ckpt is never behind.
// One training process at a time holds the folder's lock file; a lock left by a killed process is
// taken over.

import { closeSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { processAlive, removeAbandonedTemps, syncDirectory, writeFileAtomic } from "../base/atomic-write.js";
import { UserError } from "../base/user-error.js";
import { checkpointPath } from "./checkpoint.js";
import { makeDirs } from "../base/make-dirs.js";

/** The lock file of a run folder, holding the training process's id. */
export function lockPath(runDir: string): string {
  return join(runDir, "train.lock");
}

/** The metrics log of a run folder: one JSON line per finished epoch. */
export function metricsPath(runDir: string): string {
  return join(runDir, "metrics.jsonl");
}

/** True when the folder holds a run: its last checkpoint was committed. */
export function holdsRun(runDir: string): boolean {
  return existsSync(checkpointPath(runDir, "last"));
}

/**
 * Whether `runDir` can be a run that `--resume` goes on with: it holds what a run writes first
 * (artifact/, checkpoints/, its lock or the lock's temporary file), or nothing at all (killed as
 * it was made). A folder of other files is someone else's.
 */
export function mayHoldRun(runDir: string): boolean {
  const names = readdirSync(runDir);
  return names.length === 0 || names.some((n) => n === "artifact" || n === "checkpoints" || n === "train.lock" || n.startsWith(".train.lock."));
}

/** The process id a lock file names, or undefined when it names none. */
function lockHolder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const inUse = (runDir: string, pid: number): UserError =>
  new UserError(`${runDir} is being trained by process ${pid} (lock file ${lockPath(runDir)}); wait for it to finish, or choose another --out.`, "run-locked");

/**
 * Takes the run folder's lock (creating the folder), or throws a UserError naming the process that
 * holds it. A lock whose process is gone is taken over. Returns the function that releases it.
 */
export function lockRunFolder(runDir: string): () => void {
  makeDirs(runDir);
  const lock = lockPath(runDir);
  // The lock appears whole or not at all: written beside it, then linked into place (link fails if it exists).
  const mine = join(runDir, `.train.lock.${process.pid}.tmp`);
  writeFileSync(mine, `${process.pid}\n`, { flush: true });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, lock);
        syncDirectory(runDir);
        return () => {
          if (lockHolder(lock) === process.pid) rmSync(lock, { force: true });
        };
      } catch (e) {
        if ((e as { code?: string }).code !== "EEXIST") throw e;
      }
      const holder = lockHolder(lock);
      if (holder !== undefined && processAlive(holder)) throw inUse(runDir, holder);
      // Stale. Move it aside under a name of our own and look again at what was moved: another
      // process may have taken the lock over between our read and the rename; then it goes back.
      const aside = join(runDir, `.train.lock.${process.pid}.stale`);
      try {
        renameSync(lock, aside);
      } catch {
        continue;
      }
      const moved = lockHolder(aside);
      if (moved !== undefined && moved !== holder && processAlive(moved)) {
        try {
          linkSync(aside, lock);
        } finally {
          rmSync(aside, { force: true });
        }
        throw inUse(runDir, moved);
      }
      rmSync(aside, { force: true });
    }
    throw new UserError(`${lock}: could not take the run folder's lock; another mssmc train is starting in ${runDir}.`, "run-locked");
  } finally {
    rmSync(mine, { force: true });
  }
}

/** Removes temporary files that killed writers left in the run folder. */
export function removeAbandonedFiles(runDir: string): void {
  for (const dir of [runDir, join(runDir, "artifact"), join(runDir, "checkpoints")]) removeAbandonedTemps(dir);
}

/** Uncommits a run folder's run before a new one is written over it: last.ckpt first, so no state holds a new artifact and an old checkpoint. */
export function removeCheckpoints(runDir: string): void {
  for (const which of ["last", "best"] as const) rmSync(checkpointPath(runDir, which), { force: true });
  if (existsSync(join(runDir, "checkpoints"))) syncDirectory(join(runDir, "checkpoints"));
}

/** Appends one line to metrics.jsonl and flushes it, before the epoch is committed. */
export function appendMetricsLine(runDir: string, line: string): void {
  const fd = openSync(metricsPath(runDir), "a");
  try {
    writeSync(fd, line + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes metrics.jsonl agree with a checkpoint after `epochs` finished epochs: for each epoch
 * 1..epochs the last complete line recorded for it, in order; lines of later (uncommitted)
 * epochs, repeated epochs and a line cut short by a crash are dropped.
 */
export function reconcileMetrics(runDir: string, epochs: number): void {
  const path = metricsPath(runDir);
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const byEpoch = new Map<number, string>();
  for (const line of text.split("\n")) {
    let epoch: unknown;
    try {
      epoch = (JSON.parse(line) as { epoch?: unknown }).epoch;
    } catch {
      continue;
    }
    if (Number.isInteger(epoch) && (epoch as number) >= 1 && (epoch as number) <= epochs) byEpoch.set(epoch as number, line);
  }
  const kept = [...byEpoch.keys()].sort((a, b) => a - b).map((e) => byEpoch.get(e)! + "\n").join("");
  if (kept !== text) writeFileAtomic(path, kept);
}
