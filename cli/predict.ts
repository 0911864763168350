import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../base/atomic-write.js";
import { loadTrainedModel } from "../runtime/checkpoint.js";
import { formatLoadReport, loadData } from "../runtime/data/dataset.js";
import { predictDataset } from "../runtime/evaluate.js";
import { openSession, type Device } from "../runtime/session.js";
import { reportUserErrors } from "./user-errors.js";

export interface PredictCommandOptions {
  data: string;
  /** The CSV to write; absent: standard output. */
  output?: string;
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

/** A CSV header cell, quoted when it needs to be. */
const cell = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/**
 * `mssmc predict RUN_DIR --data FILE [-o scores.csv]`: one row of scores per input row, in input
 * order: a column per task (binary: the probability of the positive class; regression: the value;
 * multiclass: one column `<task>/<class>` per class probability). Label columns are not needed.
 */
export function runPredict(runDir: string, o: PredictCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    const model = loadTrainedModel(runDir, o.checkpoint);
    const spec = model.manifest.spec;
    const { data, report } = await loadData(spec, o.data, model.preprocessing, { skipBadRows: o.skipBadRows, labels: false });
    for (const line of formatLoadReport(report)) process.stderr.write(line + "\n");
    const session = await openSession(readFileSync(join(runDir, "artifact", "eval.onnx")), { device: o.device, threads: o.threads });
    const predictions = await predictDataset(session, model.manifest, model, data);
    const header: string[] = [];
    for (const t of spec.tasks) {
      if (t.kind === "multiclass") for (let c = 0; c < t.classes; c++) header.push(`${t.name}/${c}`);
      else header.push(t.name);
    }
    const lines = [header.map(cell).join(",")];
    for (let r = 0; r < data.rows; r++) {
      const row: string[] = [];
      for (const t of spec.tasks) {
        const width = t.kind === "multiclass" ? t.classes : 1;
        for (let c = 0; c < width; c++) row.push(float32Text(predictions[t.name]![r * width + c]!));
      }
      lines.push(row.join(","));
    }
    const text = lines.join("\n") + "\n";
    if (o.output === undefined) process.stdout.write(text);
    else {
      writeFileAtomic(o.output, text);
      process.stderr.write(`wrote ${data.rows} rows of scores to ${o.output}\n`);
    }
    return 0;
  });
}
