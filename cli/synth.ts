import { UserError } from "../base/user-error.js";
import { SYNTH_DEFAULTS, cosine, writeSynth, type SynthOptions } from "../runtime/synth.js";
import { reportUserErrors } from "./user-errors.js";

export interface SynthCommandOptions {
  out: string;
  correlation: number;
  /** "train,valid,test" row counts. */
  rows: string;
  seed: number;
  dim: number;
}

/** Parses "10000,1000,1000" into the three split sizes, or says what was expected. */
export function parseRows(text: string): SynthOptions["rows"] {
  const parts = text.split(",").map((s) => s.trim());
  const n = parts.map(Number);
  if (parts.length !== 3 || n.some((v, i) => parts[i] === "" || !Number.isInteger(v) || v < 1)) {
    throw new UserError(`--rows expects three positive whole numbers TRAIN,VALID,TEST (like 10000,1000,1000), got "${text}"`, "bad-option");
  }
  return { train: n[0]!, valid: n[1]!, test: n[2]! };
}

/** `mssmc synth --out DIR`: writes MMoE-style synthetic train/valid/test CSVs (x0..x{d-1}, y1, y2). */
export function runSynth(o: SynthCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    if (!(o.correlation >= -1 && o.correlation <= 1)) throw new UserError(`--correlation must lie in [-1, 1], got ${o.correlation}`, "bad-option");
    if (!(Number.isInteger(o.dim) && o.dim >= 2)) throw new UserError(`--dim must be a whole number of at least 2, got ${o.dim}`, "bad-option");
    const options: SynthOptions = { ...SYNTH_DEFAULTS, correlation: o.correlation, dim: o.dim, seed: o.seed, rows: parseRows(o.rows) };
    const { files, problem } = writeSynth(o.out, options);
    const r = options.rows;
    process.stdout.write(
      `wrote ${files.train} (${r.train} rows), ${files.valid} (${r.valid}), ${files.test} (${r.test}): ` +
        `${o.dim} numeric columns x0..x${o.dim - 1}, labels y1, y2; correlation ${o.correlation} (cos(w1, w2) = ${cosine(problem.w1, problem.w2).toFixed(6)}), seed ${o.seed}\n`,
    );
    return 0;
  });
}
