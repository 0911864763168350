import { existsSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { loadTrainedModel } from "../runtime/checkpoint.js";
import { formatLoadReport, loadData } from "../runtime/data/dataset.js";
import { UserError } from "../base/user-error.js";
import { formatInspection, inspectModel, type Inspection } from "../runtime/inspect.js";
import { reportUserErrors } from "./user-errors.js";

export interface InspectCommandOptions {
  /** A CSV sample for the field selection. */
  data?: string;
  checkpoint: "best" | "last";
  format: "text" | "json";
  /** Rows of `data` averaged over. */
  sample?: number;
}

/**
 * The run folder and checkpoint that `target` names: a run folder (with `checkpoint`), or a
 * checkpoint file RUN/checkpoints/<best|last>.ckpt.
 */
export function resolveRun(target: string, checkpoint: "best" | "last"): { runDir: string; checkpoint: "best" | "last" } {
  if (existsSync(target) && statSync(target).isFile()) {
    const m = /^(best|last)\.ckpt$/.exec(basename(target));
    if (!m || basename(dirname(resolve(target))) !== "checkpoints") {
      throw new UserError(`${target}: not a run's checkpoint; pass a run folder or RUN/checkpoints/best.ckpt or last.ckpt`, "not-a-run");
    }
    return { runDir: dirname(dirname(resolve(target))), checkpoint: m[1] as "best" | "last" };
  }
  return { runDir: target, checkpoint };
}

/** Loads a run and inspects it (shared by `mssmc inspect` and `mssmc report`). */
export async function inspectRun(target: string, o: { data?: string; checkpoint: "best" | "last"; sample?: number }): Promise<{ runDir: string; inspection: Inspection }> {
  const { runDir, checkpoint } = resolveRun(target, o.checkpoint);
  const model = loadTrainedModel(runDir, checkpoint);
  let data;
  if (o.data) {
    const loaded = await loadData(model.manifest.spec, o.data, model.preprocessing, { labels: false });
    for (const line of formatLoadReport(loaded.report)) process.stderr.write(line + "\n");
    data = loaded.data;
  }
  return { runDir, inspection: inspectModel(model, { checkpoint, ...(data ? { data } : {}), ...(o.sample ? { sample: o.sample } : {}) }) };
}

/** `mssmc inspect RUN_DIR`: field selection, connection states and pruning savings of a trained model. */
export function runInspect(target: string, o: InspectCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    const { inspection } = await inspectRun(target, o);
    process.stdout.write(o.format === "json" ? JSON.stringify(inspection, null, 2) + "\n" : formatInspection(inspection));
    return 0;
  });
}
