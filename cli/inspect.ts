import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { loadTrainedModel } from "../runtime/checkpoint.js";
import { formatLoadReport, loadData } from "../runtime/data/dataset.js";
import { UserError } from "../base/user-error.js";
import { formatInspection, inspectModel, inspectModelOnData, type Inspection } from "../runtime/inspect.js";
import { reportUserErrors } from "./user-errors.js";

export interface InspectCommandOptions {
  /** A CSV sample for the field selection. */
  data?: string;
  checkpoint: "best" | "last";
  format: "text" | "json";
  /** Rows of `data` averaged over. */
  sample?: number;
  /** Shuffles per field for permutation importance, and their seed. */
  repeats?: number;
  seed?: number;
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

/** Loads `file` with its labels, or without them when it has none (permutation importance then says so). */
async function loadInspectionData(model: ReturnType<typeof loadTrainedModel>, file: string) {
  try {
    return await loadData(model.manifest.spec, file, model.preprocessing, { labels: true });
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return await loadData(model.manifest.spec, file, model.preprocessing, { labels: false });
  }
}

/** Loads a run and inspects it (shared by `mssmc inspect` and `mssmc report`); with `data`, also measures importance and gate usage on it. */
export async function inspectRun(target: string, o: { data?: string; checkpoint: "best" | "last"; sample?: number; repeats?: number; seed?: number }): Promise<{ runDir: string; inspection: Inspection }> {
  const { runDir, checkpoint } = resolveRun(target, o.checkpoint);
  const model = loadTrainedModel(runDir, checkpoint);
  if (!o.data) return { runDir, inspection: inspectModel(model, { checkpoint }) };
  const loaded = await loadInspectionData(model, o.data);
  for (const line of formatLoadReport(loaded.report)) process.stderr.write(line + "\n");
  const evalFile = join(runDir, "artifact", model.manifest.graphs.eval.file);
  if (!existsSync(evalFile)) throw new UserError(`${runDir}: the run has no ${join("artifact", model.manifest.graphs.eval.file)}, which importance and gate usage run`, "not-a-run");
  const options = { checkpoint, data: loaded.data, ...(o.sample ? { sample: o.sample } : {}), ...(o.repeats ? { repeats: o.repeats } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) };
  return { runDir, inspection: await inspectModelOnData(model, readFileSync(evalFile), options) };
}

/** `mssmc inspect RUN_DIR`: field selection, connection states and pruning savings of a trained model. */
export function runInspect(target: string, o: InspectCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    const { inspection } = await inspectRun(target, o);
    process.stdout.write(o.format === "json" ? JSON.stringify(inspection, null, 2) + "\n" : formatInspection(inspection));
    return 0;
  });
}
