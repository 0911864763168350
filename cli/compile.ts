import { join } from "node:path";
import { IR_VERSION_FOR_OPSET, compileSpec, loadSpec, sourceLocator, stepMacsPerExample, type TargetName } from "../compiler/index.js";
import { writeFileAtomic } from "../base/atomic-write.js";
import { assertDeviceAvailable } from "../runtime/device.js";
import { formatPlacement, modelPlacement } from "../runtime/placement.js";
import { formatText, useColor } from "./report.js";
import { reportUserErrors } from "./user-errors.js";
import { makeDirs } from "../base/make-dirs.js";

export interface CompileCommandOptions {
  out: string;
  opset: number;
  /** The device the graphs are compiled for (default cpu). */
  device?: TargetName;
  /** After writing, report where onnxruntime places each graph's nodes on the device. */
  placement?: boolean;
}

/** The opsets the emitter supports, for the usage message. */
export const OPSETS = Object.keys(IR_VERSION_FOR_OPSET).map(Number);

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** `mssmc compile SPEC -o DIR [--device D] [--placement]`: checks the spec and writes manifest.json, train.onnx and eval.onnx, compiled for the device. */
export function runCompile(path: string, options: CompileCommandOptions): Promise<number> {
  return reportUserErrors(async () => compile(path, options));
}

/** The compilation of `runCompile`, whose user errors it reports. */
function compile(path: string, options: CompileCommandOptions): number {
  const device = options.device ?? "cpu";
  // The placement needs the device; a missing one is said before anything is written.
  if (options.placement) assertDeviceAvailable(device);
  const result = loadSpec(path);
  if (result.diagnostics.length) process.stderr.write(formatText(result.diagnostics, result.files, useColor(process.stderr)) + "\n");
  if (result.library) {
    process.stderr.write(`${path}: error: this file declares no model (only fields and tasks to import); there is nothing to compile.\n`);
    return 1;
  }
  if (!result.spec) return 1;
  const artifact = compileSpec(result.spec, { opset: options.opset, locate: sourceLocator(result.map, result.files), ...(options.device ? { target: options.device } : {}) });
  makeDirs(options.out);
  for (const [name, data] of Object.entries(artifact.files)) writeFileAtomic(join(options.out, name), data);
  const s = artifact.manifest.summary;
  const step = stepMacsPerExample(result.spec);
  process.stdout.write(
    `compiled ${result.spec.model}: ${s.params.toLocaleString("en-US")} parameters, ${s.gates} L0 gates in ${s.gateGroups} groups, ` +
      `${s.macsPerExample.toLocaleString("en-US")} multiply-adds per example${step < s.macsPerExample ? ` (a training step: ${step.toLocaleString("en-US")})` : ""}, opset ${options.opset}\n` +
      `wrote ${join(options.out, "manifest.json")}, train.onnx (${artifact.train.nodes.length} nodes, ${kib(artifact.files["train.onnx"].length)}), ` +
      `eval.onnx (${artifact.eval.nodes.length} nodes, ${kib(artifact.files["eval.onnx"].length)})\n`,
  );
  if (options.placement) {
    process.stdout.write(`placement on ${device} (onnxruntime's session log; nodes on the CPU and copies between devices listed):\n`);
    for (const file of ["train.onnx", "eval.onnx"]) process.stdout.write(formatPlacement(file, modelPlacement(join(options.out, file), device)).join("\n") + "\n");
  }
  return 0;
}
