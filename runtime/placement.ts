import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { UserError } from "../base/user-error.js";
import type { Device } from "./device.js";

// Where onnxruntime puts a model's nodes on a device: which run on its provider, which fall back
// to the CPU (no kernel on the device, or shape arithmetic onnxruntime keeps on the CPU on
// purpose), and the copies it inserts between them. Read from onnxruntime's verbose session log:
//   ... VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 17
//   ... VerifyEachNodeIsAssignedToAnEp]   Shape (onnx/size/batch)
//   ... AddCopyNode] Add MemcpyFromHost after emb/workclass/index for WebGpuExecutionProvider

/** A node as the log names it. */
export interface PlacedNode {
  readonly op: string;
  readonly name: string;
}

/** One model's placement on a device. */
export interface Placement {
  /** How many nodes each execution provider runs (onnxruntime's names, e.g. "WebGpuExecutionProvider"), copies included. */
  readonly counts: Readonly<Record<string, number>>;
  /** The nodes on the CPU when some run elsewhere (onnxruntime lists nodes only for a mixed placement), copies excluded. */
  readonly cpuNodes: readonly PlacedNode[];
  /** Copies onnxruntime inserted: the direction and the tensor. */
  readonly copies: readonly { readonly direction: "to device" | "to CPU"; readonly tensor: string }[];
}

const CPU = "CPUExecutionProvider";

/** The placement written in an onnxruntime verbose session log. */
export function parsePlacement(log: string): Placement {
  const counts: Record<string, number> = {};
  const cpuNodes: PlacedNode[] = [];
  const copies: Placement["copies"][number][] = [];
  let provider: string | undefined;
  for (const line of log.split("\n")) {
    const copy = /Add (MemcpyFromHost|MemcpyToHost) (?:after|before) (\S+) for /.exec(line);
    if (copy) copies.push({ direction: copy[1] === "MemcpyFromHost" ? "to device" : "to CPU", tensor: copy[2]! });
    const header = /VerifyEachNodeIsAssignedToAnEp\]\s+(?:All nodes|Node\(s\)) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (header) counts[(provider = header[1]!)] = Number(header[2]);
    const node = /VerifyEachNodeIsAssignedToAnEp\]\s{3}(\S+) \((.*)\)\s*$/.exec(line);
    if (node && provider === CPU && !node[1]!.startsWith("Memcpy")) cpuNodes.push({ op: node[1]!, name: node[2]! });
  }
  return { counts, cpuNodes, copies };
}

/** The placement of a model file on `device`, from a session opened in a process of its own (the log is native output). */
export function modelPlacement(modelPath: string, device: Device): Placement {
  const probe = fileURLToPath(new URL("./placement-probe.js", import.meta.url));
  const run = spawnSync(process.execPath, [probe, modelPath, device], { encoding: "utf8", maxBuffer: 1 << 30 });
  if (run.status !== 0) {
    const reason = run.stderr.split("\n").find((l) => /error|Error/.test(l)) ?? `exit status ${run.status}`;
    throw new UserError(`--placement: onnxruntime could not open ${modelPath} on ${device}: ${reason.trim()}`, "placement-failed");
  }
  return parsePlacement(run.stderr + run.stdout);
}

/** The placement as text lines: counts per provider, each node on the CPU and each copy. */
export function formatPlacement(file: string, p: Placement): string[] {
  const counts = Object.entries(p.counts).map(([provider, n]) => `${n} on ${provider}`);
  const lines = [`${file}: ${counts.join(", ") || "no nodes placed"}; ${p.copies.length} copies between devices`];
  for (const n of p.cpuNodes) lines.push(`  on the CPU: ${n.op} ${n.name}`);
  for (const c of p.copies) lines.push(`  copy ${c.direction}: ${c.tensor}`);
  return lines;
}
