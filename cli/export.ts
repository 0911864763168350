import { dirname } from "node:path";
import { writeFileAtomic } from "../base/atomic-write.js";
import { loadTrainedModel } from "../runtime/checkpoint.js";
import { exportModel, type ClosedSelection, type ExportPruning } from "../runtime/export.js";
import { reportUserErrors } from "./user-errors.js";
import { makeDirs } from "../base/make-dirs.js";

export interface ExportCommandOptions {
  output: string;
  checkpoint: "best" | "last";
  opset: number;
  /** Remove what closed gates cut (default true). */
  prune: boolean;
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** The pruning summary: what was removed, and the inputs a server must no longer feed. */
function prunedLines(r: ExportPruning): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const fields = r.fields.length ? ` (${r.fields.join(", ")})` : "";
  return (
    `  pruned: removed ${r.blocks} closed block(s), ${r.units} unit(s), ${r.fields.length} field(s)${fields}; numbers ${n(r.params.before)} -> ${n(r.params.after)}, nodes ${r.nodes.before} -> ${r.nodes.after}\n` +
    (r.inputs.length ? `  inputs removed (do not feed them): ${r.inputs.join(", ")}\n` : "")
  );
}

/** The FSCM selections found closed, as field -> group. */
function selectionsLine(closed: readonly ClosedSelection[]): string {
  return closed.length ? `  field selections closed (mask 0 for every example): ${closed.map((c) => `${c.field} -> ${c.group}`).join(", ")}\n` : "";
}

/** `mssmc export RUN_DIR -o model.onnx`: the trained model as one self-contained ONNX file (raw columns in, per-task scores out). */
export function runExport(runDir: string, o: ExportCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    const model = loadTrainedModel(runDir, o.checkpoint);
    const exported = exportModel(model, { opset: o.opset, prune: o.prune });
    makeDirs(dirname(o.output));
    writeFileAtomic(o.output, exported.bytes);
    const inputs = exported.inputs.map((i) => `${i.name} (${i.dtype}${i.shape.length > 1 ? " tokens" : ""})`).join(", ");
    const { total, closed } = exported.gates;
    process.stdout.write(
      `exported ${model.manifest.spec.model} to ${o.output} (${kib(exported.bytes.length)}, ${exported.params.toLocaleString("en-US")} numbers, opset ${o.opset})\n` +
        `  inputs: ${inputs}\n` +
        `  outputs: ${exported.outputs.map((t) => `${t.name} (${t.kind})`).join(", ")}\n` +
        (total > 0 ? `  L0 gates folded: ${total}, ${closed} of them closed (exactly 0)\n` : "") +
        (exported.pruned ? selectionsLine(exported.pruned.selections) + prunedLines(exported.pruned) : ""),
    );
    return 0;
  });
}
