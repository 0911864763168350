import { dirname } from "node:path";
import { mkdirSync } from "node:fs";
import { writeFileAtomic } from "../compiler/fs/atomic-write.js";
import { loadTrainedModel } from "../runtime/checkpoint.js";
import { exportModel } from "../runtime/export.js";
import { reportUserErrors } from "./user-errors.js";

export interface ExportCommandOptions {
  output: string;
  checkpoint: "best" | "last";
  opset: number;
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** `mssmc export RUN_DIR -o model.onnx`: the trained model as one self-contained ONNX file (raw columns in, per-task scores out). */
export function runExport(runDir: string, o: ExportCommandOptions): Promise<number> {
  return reportUserErrors(async () => {
    const model = loadTrainedModel(runDir, o.checkpoint);
    const exported = exportModel(model, { opset: o.opset });
    mkdirSync(dirname(o.output), { recursive: true });
    writeFileAtomic(o.output, exported.bytes);
    const inputs = exported.inputs.map((i) => `${i.name} (${i.dtype})`).join(", ");
    const { total, closed } = exported.gates;
    process.stdout.write(
      `exported ${model.manifest.spec.model} to ${o.output} (${kib(exported.bytes.length)}, ${exported.params.toLocaleString("en-US")} numbers, opset ${o.opset})\n` +
        `  inputs: ${inputs}\n` +
        `  outputs: ${exported.outputs.map((t) => `${t.name} (${t.kind})`).join(", ")}\n` +
        (total > 0 ? `  L0 gates folded: ${total}, ${closed} of them closed (exactly 0)\n` : ""),
    );
    return 0;
  });
}
