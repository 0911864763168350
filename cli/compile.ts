import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { IR_VERSION_FOR_OPSET, compileSpec, loadSpec, sourceLocator } from "../compiler/index.js";
import { writeFileAtomic } from "../base/atomic-write.js";
import { formatText, useColor } from "./report.js";

export interface CompileCommandOptions {
  out: string;
  opset: number;
}

/** The opsets the emitter supports, for the usage message. */
export const OPSETS = Object.keys(IR_VERSION_FOR_OPSET).map(Number);

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** `mssmc compile SPEC -o DIR`: checks the spec and writes manifest.json, train.onnx and eval.onnx. */
export function runCompile(path: string, options: CompileCommandOptions): number {
  const result = loadSpec(path);
  if (result.diagnostics.length) process.stderr.write(formatText(result.diagnostics, result.files, useColor(process.stderr)) + "\n");
  if (result.library) {
    process.stderr.write(`${path}: error: this file declares no model (only fields and tasks to import); there is nothing to compile.\n`);
    return 1;
  }
  if (!result.spec) return 1;
  const artifact = compileSpec(result.spec, { opset: options.opset, locate: sourceLocator(result.map, result.files) });
  mkdirSync(options.out, { recursive: true });
  for (const [name, data] of Object.entries(artifact.files)) writeFileAtomic(join(options.out, name), data);
  const s = artifact.manifest.summary;
  process.stdout.write(
    `compiled ${result.spec.model}: ${s.params.toLocaleString("en-US")} parameters, ${s.gates} L0 gates in ${s.gateGroups} groups, ` +
      `${s.macsPerExample.toLocaleString("en-US")} multiply-adds per example, opset ${options.opset}\n` +
      `wrote ${join(options.out, "manifest.json")}, train.onnx (${artifact.train.nodes.length} nodes, ${kib(artifact.files["train.onnx"].length)}), ` +
      `eval.onnx (${artifact.eval.nodes.length} nodes, ${kib(artifact.files["eval.onnx"].length)})\n`,
  );
  return 0;
}
