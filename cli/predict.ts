import { readFileSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { writeFileAtomic } from "../base/atomic-write.js";
import { loadTrainedModel } from "../runtime/checkpoint.js";
import { formatLoadReport, loadData } from "../runtime/data/dataset.js";
import { writeParquet, type OutputColumn } from "../runtime/data/write-parquet.js";
import { predictDataset } from "../runtime/evaluate.js";
import { openSession, type Device } from "../runtime/session.js";
import { UserError } from "../base/user-error.js";
import { reportUserErrors } from "./user-errors.js";
import { makeDirs } from "../base/make-dirs.js";

export interface PredictCommandOptions {
  data: string;
  /** The file to write, Parquet for a .parquet name, else CSV; absent: CSV on standard output. */
  output?: string;
  /** Input columns copied into the output before the scores (row ids to join on). */
  keep?: string[];
  /** The delimiter of a delimited text file; absent: sniffed. */
  delimiter?: string;
  checkpoint: "best" | "last";
  device: Device;
  threads: number;
  skipBadRows: boolean;
}

/** A float32 in the fewest digits that read back to the same float32 (9 significant digits always suffice). */
function float32Text(x: number): string {
  for (let digits = 6; digits < 9; digits++) {
    const text = x.toPrecision(digits);
    if (Math.fround(Number(text)) === x) return String(Number(text));
  }
  return String(Number(x.toPrecision(9)));
}

/** A CSV cell, quoted when it needs to be. */
const cell = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** The output as CSV text: a header line, then one line per row. */
function csvText(columns: readonly OutputColumn[], rows: number): string {
  const lines = [columns.map((c) => cell(c.name)).join(",")];
  for (let r = 0; r < rows; r++) lines.push(columns.map((c) => ("text" in c ? cell(c.text[r]!) : float32Text(c.float[r]!))).join(","));
  return lines.join("\n") + "\n";
}

/**
 * `mssmc predict RUN_DIR --data FILE [--keep id] [-o scores.csv|.parquet]`: one row of scores per
 * input row, in input order: the kept columns as read, then a column per task (binary: the
 * probability of the positive class; regression: the value; multiclass: one column
 * `<task>/<class>` per class probability). Label columns are not needed.
 */
export function runPredict(runDir: string, o: PredictCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    const model = loadTrainedModel(runDir, o.checkpoint);
    const spec = model.manifest.spec;
    const keep = o.keep ?? [];
    const scoreNames = spec.tasks.flatMap((t) => (t.kind === "multiclass" ? Array.from({ length: t.classes }, (_, c) => `${t.name}/${c}`) : [t.name]));
    const clash = keep.find((k, i) => k === "" || scoreNames.includes(k) || keep.indexOf(k) !== i);
    if (clash !== undefined) {
      throw new UserError(clash === "" ? "--keep: empty column name" : `--keep: column "${clash}" is named twice, or like a score column (${scoreNames.join(", ")})`, "bad-option");
    }
    // The output's folder first, as export and report make theirs: a path that cannot be written fails before the scoring.
    if (o.output !== undefined) {
      makeDirs(dirname(o.output));
      const ext = extname(o.output).toLowerCase();
      if (![".csv", ".parquet", ".txt", ""].includes(ext)) process.stderr.write(`warning: ${o.output}: written as CSV (mssmc writes CSV, or Parquet for a .parquet name), whatever its ${ext} says\n`);
    }
    const { data, report } = await loadData(spec, o.data, model.preprocessing, { skipBadRows: o.skipBadRows, labels: false, keep, ...(o.delimiter !== undefined ? { delimiter: o.delimiter } : {}) });
    for (const line of formatLoadReport(report)) process.stderr.write(line + "\n");
    const session = await openSession(readFileSync(join(runDir, "artifact", "eval.onnx")), { device: o.device, threads: o.threads });
    const predictions = await predictDataset(session, model.manifest, model, data);
    const columns: OutputColumn[] = keep.map((name) => ({ name, text: data.kept![name]! }));
    for (const t of spec.tasks) {
      const width = t.kind === "multiclass" ? t.classes : 1;
      for (let c = 0; c < width; c++) {
        const scores = predictions[t.name]!;
        columns.push({ name: width > 1 ? `${t.name}/${c}` : t.name, float: Float32Array.from({ length: data.rows }, (_, r) => scores[r * width + c]!) });
      }
    }
    if (o.output === undefined) process.stdout.write(csvText(columns, data.rows));
    else {
      if (o.output.toLowerCase().endsWith(".parquet")) await writeParquet(o.output, columns, data.rows);
      else writeFileAtomic(o.output, csvText(columns, data.rows));
      process.stderr.write(`wrote ${data.rows} rows of scores to ${o.output}\n`);
    }
    return 0;
  });
}
