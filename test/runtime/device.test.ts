// The device layer: providers per device, the Vulkan check and onnxruntime's start failures as
// one-line errors, and the placement read from onnxruntime's verbose session log.

import { describe, expect, it } from "vitest";
import { UserError } from "../../base/user-error.js";
import { assertWebGpuAvailable, deviceStartError, executionProviders, hasVulkanLoader, VULKAN_HINT } from "../../runtime/device.js";
import { formatPlacement, parsePlacement } from "../../runtime/placement.js";

describe("device", () => {
  it("asks for the device's provider first and the CPU for the rest", () => {
    expect(executionProviders("cpu")).toEqual(["cpu"]);
    expect(executionProviders("cuda")).toEqual(["cuda", "cpu"]);
    expect(executionProviders("webgpu")).toEqual(["webgpu", "cpu"]);
  });

  it.skipIf(process.platform !== "linux" || hasVulkanLoader({}))("refuses --device webgpu with one line naming the Vulkan loader and the fix when none is on the library path", () => {
    expect(() => assertWebGpuAvailable({})).toThrow(UserError);
    expect(() => assertWebGpuAvailable({})).toThrow(`--device webgpu: no Vulkan loader (libvulkan.so.1) on the library path. ${VULKAN_HINT}`);
  });

  it.skipIf(process.platform !== "linux")("refuses a VK_ICD_FILENAMES that names no file", () => {
    const env = { LD_LIBRARY_PATH: "/usr/lib/chromium", VK_ICD_FILENAMES: "/nonexistent/icd.json" };
    if (!hasVulkanLoader(env)) return;
    expect(() => assertWebGpuAvailable(env)).toThrow("--device webgpu: VK_ICD_FILENAMES names a file that does not exist (/nonexistent/icd.json).");
  });

  it("turns onnxruntime's missing adapter into one line with the fix, and leaves other failures alone", () => {
    const e = deviceStartError("webgpu", "No supported adapters\n    at new OnnxruntimeSessionHandler (backend.js:53:92)");
    expect(e?.message).toBe(`--device webgpu: onnxruntime found no WebGPU adapter (No supported adapters): no Vulkan driver answered. ${VULKAN_HINT}`);
    expect(e?.message).not.toContain("\n");
    expect(deviceStartError("webgpu", "Load model from x failed: protobuf parsing failed")).toBeUndefined();
    expect(deviceStartError("cpu", "No supported adapters")).toBeUndefined();
  });
});

const LOG = [
  "2026-12-05 09:07:30.845469144 [I:onnxruntime:, transformer_memcpy.cc:393 AddCopyNode] Add MemcpyFromHost after emb/sex/index for WebGpuExecutionProvider",
  "2026-12-05 09:07:30.845827123 [I:onnxruntime:, graph_transformer.cc:15 Apply] GraphTransformer MemcpyTransformer modified: 1 with status: OK",
  "2026-12-05 09:07:30.848599445 [V:onnxruntime:, session_state.cc:1377 VerifyEachNodeIsAssignedToAnEp] Node placements",
  "2026-12-05 09:07:30.848621000 [V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2",
  "2026-12-05 09:07:30.848630000 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Shape (onnx/size/batch)",
  "2026-12-05 09:07:30.848640000 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Unsqueeze (grad/emb/sex/rows/indices)",
  "2026-12-05 09:07:30.848709000 [V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 3",
  "2026-12-05 09:07:30.848710000 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   MatMul (level1/matmul)",
  "2026-12-05 09:07:30.848711000 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Relu (level1/relu)",
  "2026-12-05 09:07:30.850868813 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   MemcpyFromHost (Memcpy)",
].join("\n");

describe("parsePlacement", () => {
  it("counts nodes per provider, lists the CPU's and the copies", () => {
    const p = parsePlacement(LOG);
    expect(p.counts).toEqual({ CPUExecutionProvider: 2, WebGpuExecutionProvider: 3 });
    expect(p.cpuNodes).toEqual([
      { op: "Shape", name: "onnx/size/batch" },
      { op: "Unsqueeze", name: "grad/emb/sex/rows/indices" },
    ]);
    expect(p.copies).toEqual([{ direction: "to device", tensor: "emb/sex/index" }]);
    expect(formatPlacement("train.onnx", p)).toEqual([
      "train.onnx: 2 on CPUExecutionProvider, 3 on WebGpuExecutionProvider; 1 copies between devices",
      "  on the CPU: Shape onnx/size/batch",
      "  on the CPU: Unsqueeze grad/emb/sex/rows/indices",
      "  copy to device: emb/sex/index",
    ]);
  });

  it("reads a placement with every node on one provider", () => {
    const log = "2026-12-05 09:07:30 [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]  All nodes placed on [WebGpuExecutionProvider]. Number of nodes: 75";
    expect(parsePlacement(log)).toEqual({ counts: { WebGpuExecutionProvider: 75 }, cpuNodes: [], copies: [] });
  });
});
