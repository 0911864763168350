import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { UserError } from "../base/user-error.js";

// Opens onnxruntime sessions on the requested device. The CUDA execution provider needs shared
// libraries that onnxruntime-node downloads only when asked to at install time; without them ORT
// fails deep inside session creation with a message about a .so file, so we look first and say
// what to do.

export type Device = "cpu" | "cuda";

export interface SessionOptions {
  device: Device;
  /** Intra-op threads; 0 lets onnxruntime choose. */
  threads: number;
  /** Write onnxruntime's profile (Chrome trace JSON) to files starting with this path (for benchmarks). */
  profile?: string;
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

/** Creates an inference session for model bytes on the chosen device. */
export async function openSession(model: Uint8Array, options: SessionOptions): Promise<ort.InferenceSession> {
  if (options.device === "cuda") assertCudaAvailable();
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: options.device === "cuda" ? ["cuda", "cpu"] : ["cpu"],
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
  };
  if (options.threads > 0) sessionOptions.intraOpNumThreads = options.threads;
  if (options.profile !== undefined) {
    sessionOptions.enableProfiling = true;
    sessionOptions.profileFilePrefix = options.profile;
  }
  try {
    return await ort.InferenceSession.create(model, sessionOptions);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (options.device === "cuda" && /cuda|cudnn|shared library/i.test(message)) {
      throw new UserError(`--device cuda: onnxruntime could not start the CUDA execution provider (${message}). ${CUDA_INSTALL_HINT}`, "cuda-unavailable");
    }
    throw e;
  }
}
