import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../../base/package-root.js";
import { UserError } from "../../../base/user-error.js";
import { loadSpec } from "../../../compiler/load/load.js";
import type { Spec } from "../../../compiler/load/types.js";

/** The UCI Adult files shared by the project's sessions. */
export const adultDir = join(packageRoot(), "..", "shared", "data", "adult");

/** The zoo's MSSM model over the Adult fields and tasks. */
export function adultSpec(): Spec {
  const r = loadSpec(join(packageRoot(), "specs", "zoo", "mssm.mssm"));
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.spec;
}

const dir = mkdtempSync(join(tmpdir(), "mssmc-data-"));
let counter = 0;

/** Writes `text` to a fresh file and returns its path. */
export function tempFile(text: string | Buffer, ext = ".csv"): string {
  const path = join(dir, `f${++counter}${ext}`);
  writeFileSync(path, text);
  return path;
}

/** A checked spec with the given `fields { }` and `tasks { }` bodies and a one-expert model. */
export function specOf(fields: string, tasks: string): Spec {
  const path = tempFile(
    `fields {\n${fields}\n}\ntasks {\n${tasks}\n}\nmodel m {\n  groups shared\n  level 1 { experts: mlp[4] relu, connect: dense }\n  towers { tower: mlp[4] relu }\n}\n`,
    ".mssm",
  );
  const r = loadSpec(path);
  if (!r.spec) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return r.spec;
}

/** The UserError a data load rejects with (any other outcome fails the test). */
export async function dataError(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a UserError");
}
