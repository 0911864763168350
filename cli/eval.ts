import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadTrainedModel } from "../runtime/checkpoint.js";
import { formatLoadReport, loadData, oneClassTasks } from "../runtime/data/dataset.js";
import { UserError } from "../base/user-error.js";
import { formatMetricsTable, predictDataset, taskMetrics } from "../runtime/evaluate.js";
import { openSession, type Device } from "../runtime/session.js";
import { reportUserErrors } from "./user-errors.js";

export interface EvalCommandOptions {
  data: string;
  format: "text" | "json";
  checkpoint: "best" | "last";
  device: Device;
  threads: number;
  skipBadRows: boolean;
  /** The delimiter of a delimited text file; absent: sniffed. */
  delimiter?: string;
}

/** `mssmc eval RUN_DIR --data FILE`: each task's metrics of the trained model on a labelled file. */
export function runEval(runDir: string, o: EvalCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    const model = loadTrainedModel(runDir, o.checkpoint);
    const spec = model.manifest.spec;
    const { data, report, labelValues } = await loadData(spec, o.data, model.preprocessing, { skipBadRows: o.skipBadRows, ...(o.delimiter !== undefined ? { delimiter: o.delimiter } : {}) });
    for (const line of formatLoadReport(report)) process.stderr.write(line + "\n");
    if (data.rows === 0) throw new UserError(`${o.data}: no data rows to evaluate on${report.badRows > 0 ? ` (all ${report.badRows} were bad)` : ""}.`, "no-rows");
    // A binary task with one class among the rows has no AUC (NaN below): usually positive values that do not match the file.
    for (const e of oneClassTasks(spec, data, labelValues, "rows")) process.stderr.write(`warning: ${e.message} Its AUC is undefined (NaN) on these rows.\n`);
    const session = await openSession(readFileSync(join(runDir, "artifact", "eval.onnx")), { device: o.device, threads: o.threads });
    const metrics = taskMetrics(spec, await predictDataset(session, model.manifest, model, data), data);
    if (o.format === "json") process.stdout.write(JSON.stringify({ file: o.data, rows: data.rows, checkpoint: o.checkpoint, metrics }, null, 2) + "\n");
    else process.stdout.write(formatMetricsTable(spec, metrics, data.rows).join("\n") + "\n");
    return 0;
  });
}
