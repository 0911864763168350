import * as ort from "onnxruntime-node";
import { assertDeviceAvailable, deviceStartError, executionProviders, type Device } from "./device.js";

// Opens onnxruntime sessions on the requested device (runtime/device.ts says which providers and
// checks that they can start).

export { assertCudaAvailable, CUDA_INSTALL_HINT, type Device } from "./device.js";

export interface SessionOptions {
  device: Device;
  /** Intra-op threads; 0 lets onnxruntime choose. */
  threads: number;
  /** Write onnxruntime's profile (Chrome trace JSON) to files starting with this path (for benchmarks). */
  profile?: string;
  /** onnxruntime's log level, 0 (verbose: node placements) to 4 (fatal); default 3 (errors). */
  logLevel?: 0 | 1 | 2 | 3 | 4;
}

/** Creates an inference session for model bytes on the chosen device. */
export async function openSession(model: Uint8Array, options: SessionOptions): Promise<ort.InferenceSession> {
  assertDeviceAvailable(options.device);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: executionProviders(options.device),
    graphOptimizationLevel: "all",
    logSeverityLevel: options.logLevel ?? 3,
  };
  if (options.threads > 0) sessionOptions.intraOpNumThreads = options.threads;
  if (options.profile !== undefined) {
    sessionOptions.enableProfiling = true;
    sessionOptions.profileFilePrefix = options.profile;
  }
  try {
    return await ort.InferenceSession.create(model, sessionOptions);
  } catch (e) {
    throw deviceStartError(options.device, e instanceof Error ? e.message : String(e)) ?? e;
  }
}
