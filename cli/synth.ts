import { UserError } from "../base/user-error.js";
import { FIELD_KINDS, FIELDS_RECIPE_DEFAULTS, writeFieldsRecipe, type Kind } from "../runtime/synth-fields.js";
import { SYNTH_DEFAULTS, cosine, writeSynth, writeSynthParquet, type SynthOptions } from "../runtime/synth.js";
import { reportUserErrors } from "./user-errors.js";

/** The options of `mssmc synth`, as parsed (recipe-specific ones undefined when not given). */
export interface SynthCommandOptions {
  out: string;
  /** Which data (default mmoe). */
  recipe?: "mmoe" | "fields";
  /** "train,valid,test" row counts, or the training rows alone. */
  rows?: string;
  /** The files' format (default csv); parquet for --recipe mmoe. */
  format?: "csv" | "parquet";
  seed: number;
  correlation?: number;
  dim?: number;
  noiseFields?: number;
  overlap?: number;
  fieldsPerTask?: number;
  labelNoise?: number;
  /** Comma-separated kinds the noise fields take in turn. */
  noiseKinds?: string;
}

/** Each recipe's own options, by their command-line names. */
const RECIPE_OPTIONS = {
  mmoe: { correlation: "--correlation", dim: "--dim" },
  fields: { noiseFields: "--noise-fields", overlap: "--overlap", fieldsPerTask: "--fields-per-task", labelNoise: "--label-noise", noiseKinds: "--noise-kinds" },
} as const;

/** Parses "10000,1000,1000" into the three split sizes, or "N" into N training rows and `defaults`' others; or says what was expected. */
export function parseRows(text: string, defaults: SynthOptions["rows"]): SynthOptions["rows"] {
  const parts = text.split(",").map((s) => s.trim());
  const n = parts.map(Number);
  if ((parts.length !== 3 && parts.length !== 1) || n.some((v, i) => parts[i] === "" || !Number.isInteger(v) || v < 1)) {
    throw new UserError(`--rows expects three positive whole numbers TRAIN,VALID,TEST (like 10000,1000,1000) or one (the training rows), got "${text}"`, "bad-option");
  }
  return parts.length === 1 ? { ...defaults, train: n[0]! } : { train: n[0]!, valid: n[1]!, test: n[2]! };
}

/** `mssmc synth --out DIR [--recipe mmoe|fields]`: writes synthetic train/valid/test CSVs. */
export function runSynth(o: SynthCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    const chosen = o.recipe ?? "mmoe";
    for (const [recipe, names] of Object.entries(RECIPE_OPTIONS)) {
      if (recipe === chosen) continue;
      for (const [key, flag] of Object.entries(names)) {
        if (o[key as keyof SynthCommandOptions] !== undefined) throw new UserError(`${flag} applies to --recipe ${recipe} only (this is --recipe ${chosen})`, "bad-option");
      }
    }
    if (chosen === "fields" && o.format === "parquet") throw new UserError("--format parquet applies to --recipe mmoe only", "bad-option");
    return chosen === "fields" ? writeFields(o) : writeMmoe(o);
  });
}

async function writeMmoe(o: SynthCommandOptions): Promise<number> {
  const correlation = o.correlation ?? SYNTH_DEFAULTS.correlation;
  const dim = o.dim ?? SYNTH_DEFAULTS.dim;
  if (!(correlation >= -1 && correlation <= 1)) throw new UserError(`--correlation must lie in [-1, 1], got ${correlation}`, "bad-option");
  if (!(Number.isInteger(dim) && dim >= 2)) throw new UserError(`--dim must be a whole number of at least 2, got ${dim}`, "bad-option");
  const options: SynthOptions = { ...SYNTH_DEFAULTS, correlation, dim, seed: o.seed, rows: o.rows === undefined ? SYNTH_DEFAULTS.rows : parseRows(o.rows, SYNTH_DEFAULTS.rows) };
  const { files, problem } = o.format === "parquet" ? await writeSynthParquet(o.out, options) : writeSynth(o.out, options);
  const r = options.rows;
  process.stdout.write(
    `wrote ${files.train} (${r.train} rows), ${files.valid} (${r.valid}), ${files.test} (${r.test}): ` +
      `${dim} numeric columns x0..x${dim - 1}, labels y1, y2; correlation ${correlation} (cos(w1, w2) = ${cosine(problem.w1, problem.w2).toFixed(6)}), seed ${o.seed}\n`,
  );
  return 0;
}

/** Parses "high_cat,numeric" into field kinds, or says which kinds there are. */
function parseKinds(text: string): Kind[] {
  const kinds = text.split(",").map((s) => s.trim());
  const bad = kinds.find((k) => !(FIELD_KINDS as readonly string[]).includes(k));
  if (bad !== undefined) throw new UserError(`--noise-kinds expects a comma-separated list of ${FIELD_KINDS.join(", ")}, got "${bad}" in "${text}"`, "bad-option");
  return kinds as Kind[];
}

function writeFields(o: SynthCommandOptions): number {
  const d = FIELDS_RECIPE_DEFAULTS;
  const options = {
    rows: o.rows === undefined ? d.rows : parseRows(o.rows, d.rows),
    noiseFields: o.noiseFields ?? d.noiseFields,
    overlap: o.overlap ?? d.overlap,
    fieldsPerTask: o.fieldsPerTask ?? d.fieldsPerTask,
    labelNoise: o.labelNoise ?? d.labelNoise,
    noiseKinds: o.noiseKinds === undefined ? d.noiseKinds : parseKinds(o.noiseKinds),
    seed: o.seed,
  };
  if (options.overlap > 1) throw new UserError(`--overlap must lie in [0, 1], got ${options.overlap}`, "bad-option");
  if (options.noiseFields > 1000) throw new UserError(`--noise-fields must be at most 1000, got ${options.noiseFields}`, "bad-option");
  if (options.fieldsPerTask > 100) throw new UserError(`--fields-per-task must be at most 100, got ${options.fieldsPerTask}`, "bad-option");
  if (options.labelNoise > 100) throw new UserError(`--label-noise must be at most 100, got ${options.labelNoise}`, "bad-option");
  const { files, problem, best } = writeFieldsRecipe(o.out, options);
  const r = options.rows;
  const lines = [
    `wrote ${files.train} (${r.train} rows), ${files.valid} (${r.valid}), ${files.test} (${r.test}), ${files.truth}, ${files.fields}, ${files.recipe}`,
    `${problem.fields.length} fields (${options.noiseFields} read by no task), seed ${o.seed}; each task's true fields and the best achievable test metrics:`,
  ];
  for (const [task, fields] of Object.entries(problem.truth)) {
    const m = best[task]!;
    const metric = "auc" in m ? `auc ${m.auc.toFixed(4)}  logloss ${m.logloss.toFixed(4)}` : `rmse ${m.rmse.toFixed(4)}`;
    lines.push(`  ${task.padEnd(5)}  ${metric}  fields: ${fields.join(", ")}`);
  }
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}
