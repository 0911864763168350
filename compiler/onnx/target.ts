// What a device asks of the graphs it runs. onnxruntime's CPU and CUDA providers take any node;
// the WebGPU provider compiles each node into a shader whose tensors are storage buffers, and a
// WebGPU device binds at most `maxStorageBuffersPerShaderStage` of them to one shader: 8 is the
// WebGPU default every adapter grants, SwiftShader grants 12 (docs/design.md, "Measured facts").
// A node with more inputs plus outputs than that fails when the session first runs it.

/** The devices a graph can be compiled for. */
export type TargetName = "cpu" | "cuda" | "webgpu";

/** The limits of a device that the emitted graphs must respect. */
export interface Target {
  readonly name: TargetName;
  /** The most tensors (inputs plus outputs) one node may touch; undefined: no limit. */
  readonly maxNodeTensors?: number;
}

/** Each target's limits; webgpu's are the WebGPU defaults, so its graphs run on any adapter. */
export const TARGETS: Readonly<Record<TargetName, Target>> = {
  cpu: { name: "cpu" },
  cuda: { name: "cuda" },
  webgpu: { name: "webgpu", maxNodeTensors: 8 },
};

/** The target names, for usage messages. */
export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];
