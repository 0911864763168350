import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileSpec } from "../../compiler/compile.js";
import { loadSpec } from "../../compiler/load/load.js";
import type { Spec } from "../../compiler/load/types.js";
import { loadTrainingData } from "../../runtime/data/dataset.js";
import type { CompiledModel, RunData } from "../../runtime/train.js";

/** A fresh temporary folder. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "mssmc-run-"));
}

/**
 * A small model with every kind of input the training graph takes: a categorical and a numeric
 * field, cell-level L0 gates (noise inputs), a binary and a regression task.
 */
export const SMALL_SPEC = `fields {
  x numeric
  c categorical(dim: 4)
}
tasks {
  y binary(label: y)
  r regression(label: r)
}
model small {
  groups y, shared
  level 1 { experts: mlp[8] relu, connect: cssm }
  towers { tower: mlp[4] relu }
  train { optimizer: adam(lr: 0.02), batch: 32, epochs: 3, seed: 5 }
}
`;

/**
 * An easy separable data set: y = 1 when x + (c is "a" ? 0.3 : 0) > 0, r = 2x. Values come from
 * a fixed linear congruential sequence, so the file is the same on every run.
 */
export function smallCsv(rows: number): string {
  let s = 12345;
  const next = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const lines = ["x,c,y,r"];
  for (let i = 0; i < rows; i++) {
    const x = next() * 2 - 1;
    const c = "abcd"[Math.floor(next() * 4)]!;
    const y = x + (c === "a" ? 0.3 : 0) > 0 ? 1 : 0;
    lines.push(`${x.toFixed(4)},${c},${y},${(2 * x).toFixed(4)}`);
  }
  return lines.join("\n") + "\n";
}

/** Writes a file into a fresh folder and returns its path. */
export function writeTemp(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

/** The checked small spec, with optional changes to its training settings. */
export function smallSpec(train: Partial<Spec["train"]> = {}): Spec {
  const r = loadSpec(writeTemp("small.mssm", SMALL_SPEC));
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return { ...r.spec, train: { ...r.spec.train, ...train } };
}

/** The compiled graphs of a spec. */
export function compiled(spec: Spec): CompiledModel {
  const a = compileSpec(spec);
  return { manifest: a.manifest, train: a.files["train.onnx"], eval: a.files["eval.onnx"] };
}

/** 400 rows of the small data set, 20% held out for validation. */
export async function smallData(spec: Spec): Promise<RunData> {
  const d = await loadTrainingData(spec, writeTemp("small.csv", smallCsv(400)), { validFraction: 0.2, seed: spec.train.seed });
  return { train: d.train, valid: d.valid, preprocessing: d.preprocessing };
}
