import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import { UserError } from "../base/user-error.js";
import { TARGET_NAMES, type TargetName } from "../compiler/index.js";

// The devices onnxruntime runs the compiled graphs on, for every command (train, eval, predict,
// inspect, an exported model): which execution providers a session asks for and, before anything
// is read or written, whether the device can start here. onnxruntime fails deep inside session
// creation when a provider's libraries or adapter are missing ("libonnxruntime_providers_cuda.so:
// cannot open shared object file", "No supported adapters"), so we look first and say what to do.
//
// Where tensors live (measured with onnxruntime-node 1.30 on SwiftShader): inputs are copied to
// the device at every run and outputs back to the CPU. A session created with
// `preferredOutputLocation: "gpu-buffer"` keeps its outputs on the device, and such an output can
// be fed back as the next run's input without a copy (parameters and optimizer state could stay
// there between steps), but reading one on the CPU (`getData`) aborts the process: it has to be
// copied out by running it through a second session whose output is on the CPU.

/** Where onnxruntime runs; the compiler knows each one's limits (its compile targets). */
export type Device = TargetName;

/** The devices, in the order the usage message lists them. */
export const DEVICES: readonly Device[] = TARGET_NAMES;

/** Each device's execution providers, in onnxruntime's order of preference (nodes a GPU provider has no kernel for run on the CPU). */
export function executionProviders(device: Device): InferenceSession.ExecutionProviderConfig[] {
  return device === "cpu" ? ["cpu"] : [device, "cpu"];
}

/** Where onnxruntime-node keeps its native libraries for this platform. */
function nativeDir(): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("onnxruntime-node/package.json"));
  return join(root, "bin", "napi-v6", process.platform, process.arch);
}

/** The install hint for the CUDA provider, in one place so tests and docs agree. */
export const CUDA_INSTALL_HINT =
  "Install onnxruntime-node's CUDA libraries with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm install --ignore-scripts=false` (the project's .npmrc turns install scripts off; needs CUDA 12 and cuDNN 9 on the machine), or train with --device cpu.";

/** Debian's chromium ships SwiftShader, a Vulkan driver that runs on the CPU, with its own Vulkan loader. */
const SWIFTSHADER = "/usr/lib/chromium";

/** The way to a Vulkan driver, in one place so tests and docs agree. */
export const VULKAN_HINT =
  `Install the GPU's Vulkan driver and loader (Debian: \`apt-get install libvulkan1 mesa-vulkan-drivers\`); without a GPU, Chromium's software driver works: ` +
  `\`LD_LIBRARY_PATH=${SWIFTSHADER} VK_ICD_FILENAMES=${SWIFTSHADER}/vk_swiftshader_icd.json\` (Debian's chromium package); or use --device cpu.`;

/** Fails with a clear message when the CUDA execution provider cannot be loaded here. */
export function assertCudaAvailable(libraryDir = nativeDir()): void {
  const provider = join(libraryDir, "libonnxruntime_providers_cuda.so");
  const shared = join(libraryDir, "libonnxruntime_providers_shared.so");
  if (process.platform !== "linux" && process.platform !== "win32") {
    throw new UserError(`--device cuda is not available on ${process.platform}: onnxruntime-node ships CUDA support for Linux and Windows only.`, "cuda-unavailable");
  }
  if (process.platform === "linux" && (!existsSync(provider) || !existsSync(shared))) {
    throw new UserError(`--device cuda: the CUDA execution provider is not installed (no ${provider}). ${CUDA_INSTALL_HINT}`, "cuda-unavailable");
  }
}

/** The folders the dynamic linker searches for a library loaded by name: LD_LIBRARY_PATH, then the system's. */
function librarySearchPath(env: NodeJS.ProcessEnv): string[] {
  const own = (env["LD_LIBRARY_PATH"] ?? "").split(":").filter((d) => d !== "");
  return [...own, nativeDir(), "/lib", "/usr/lib", "/lib64", "/usr/lib64", `/lib/${process.arch === "x64" ? "x86_64" : "aarch64"}-linux-gnu`, `/usr/lib/${process.arch === "x64" ? "x86_64" : "aarch64"}-linux-gnu`];
}

/** True when the dynamic linker can find the Vulkan loader: on the search path or in its cache (/etc/ld.so.cache, which names every library it holds). */
export function hasVulkanLoader(env: NodeJS.ProcessEnv = process.env): boolean {
  const name = "libvulkan.so.1";
  if (librarySearchPath(env).some((d) => existsSync(join(d, name)))) return true;
  try {
    return readFileSync("/etc/ld.so.cache").includes(name);
  } catch {
    return false;
  }
}

/** Fails with a clear message when the WebGPU provider cannot find Vulkan here (Linux: Dawn loads libvulkan.so.1 by name; the variables must be set before the process starts). */
export function assertWebGpuAvailable(env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform !== "linux") return;
  if (!hasVulkanLoader(env)) throw new UserError(`--device webgpu: no Vulkan loader (libvulkan.so.1) on the library path. ${VULKAN_HINT}`, "webgpu-unavailable");
  const icd = env["VK_ICD_FILENAMES"];
  if (icd !== undefined && icd.split(":").some((f) => f !== "" && !existsSync(f))) {
    throw new UserError(`--device webgpu: VK_ICD_FILENAMES names a file that does not exist (${icd}). ${VULKAN_HINT}`, "webgpu-unavailable");
  }
}

/** Fails with a clear message when `device` cannot start here; run before anything is read or written. */
export function assertDeviceAvailable(device: Device): void {
  if (device === "cuda") assertCudaAvailable();
  if (device === "webgpu") assertWebGpuAvailable();
}

/** onnxruntime's failure to start a device's provider as a one-line user error; undefined when the message is about something else. */
export function deviceStartError(device: Device, message: string): UserError | undefined {
  const first = message.split("\n")[0]!.trim();
  if (device === "cuda" && /cuda|cudnn|shared library/i.test(message)) {
    return new UserError(`--device cuda: onnxruntime could not start the CUDA execution provider (${message}). ${CUDA_INSTALL_HINT}`, "cuda-unavailable");
  }
  if (device === "webgpu" && /adapter|vulkan|dawn|webgpu device/i.test(message)) {
    return new UserError(`--device webgpu: onnxruntime found no WebGPU adapter (${first}): no Vulkan driver answered. ${VULKAN_HINT}`, "webgpu-unavailable");
  }
  return undefined;
}
