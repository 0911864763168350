import { dirname } from "node:path";
import { mkdirSync } from "node:fs";
import { writeFileAtomic } from "../compiler/fs/atomic-write.js";
import { loadTrainedModel } from "../runtime/checkpoint.js";
import { exportModel } from "../runtime/export.js";
import type { PruneReport } from "../runtime/prune.js";
import { reportUserErrors } from "./user-errors.js";

export interface ExportCommandOptions {
  output: string;
  checkpoint: "best" | "last";
  opset: number;
  /** Remove what closed gates cut (default true). */
  prune: boolean;
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** The pruning summary line. */
function prunedLine(r: PruneReport): string {
  const n = (x: number) => x.toLocaleString("en-US");
  return `  pruned: ${r.blocks} closed block(s) cut; numbers ${n(r.params.before)} -> ${n(r.params.after)}, nodes ${r.nodes.before} -> ${r.nodes.after}\n`;
}

/** `mssmc export RUN_DIR -o model.onnx`: the trained model as one self-contained ONNX file (raw columns in, per-task scores out). */
export function runExport(runDir: string, o: ExportCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    const model = loadTrainedModel(runDir, o.checkpoint);
    const exported = exportModel(model, { opset: o.opset, prune: o.prune });
    mkdirSync(dirname(o.output), { recursive: true });
    writeFileAtomic(o.output, exported.bytes);
    const inputs = exported.inputs.map((i) => `${i.name} (${i.dtype})`).join(", ");
    const { total, closed } = exported.gates;
    process.stdout.write(
      `exported ${model.manifest.spec.model} to ${o.output} (${kib(exported.bytes.length)}, ${exported.params.toLocaleString("en-US")} numbers, opset ${o.opset})\n` +
        `  inputs: ${inputs}\n` +
        `  outputs: ${exported.outputs.map((t) => `${t.name} (${t.kind})`).join(", ")}\n` +
        (total > 0 ? `  L0 gates folded: ${total}, ${closed} of them closed (exactly 0)\n` : "") +
        (exported.pruned ? prunedLine(exported.pruned) : ""),
    );
    return 0;
  });
}
