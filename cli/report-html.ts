import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../base/atomic-write.js";
import { readRunManifest } from "../runtime/checkpoint.js";
import { parseMetrics, renderReport } from "../runtime/report.js";
import { inspectRun } from "./inspect.js";
import { reportUserErrors } from "./user-errors.js";
import { makeDirs } from "../base/make-dirs.js";

// (cli/report.ts renders diagnostics; this file is the `mssmc report` command.)

export interface ReportCommandOptions {
  output: string;
  /** A CSV sample for the field-selection heatmap, importance and gate usage. */
  data?: string;
  checkpoint: "best" | "last";
  sample?: number;
  repeats?: number;
  seed?: number;
}

/** `mssmc report RUN_DIR -o report.html`: one self-contained HTML page about a trained run. */
export function runReport(target: string, o: ReportCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    const { runDir, inspection } = await inspectRun(target, o);
    const metricsPath = join(runDir, "metrics.jsonl");
    const history = existsSync(metricsPath) ? parseMetrics(readFileSync(metricsPath, "utf8")) : [];
    const html = renderReport(inspection, history, readRunManifest(runDir).spec.tasks.map((t) => t.name));
    makeDirs(dirname(o.output));
    writeFileAtomic(o.output, html);
    process.stdout.write(`wrote ${o.output} (${(Buffer.byteLength(html) / 1024).toFixed(1)} KiB)\n`);
    return 0;
  });
}
