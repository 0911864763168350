// Run as its own process by runtime/placement.ts: opens one model on a device with onnxruntime's
// verbose log, which goes to this process's standard error (native code writes it; a process of
// its own is how to read it). Arguments: the model file and the device.

import { readFileSync } from "node:fs";
import type { Device } from "./device.js";
import { openSession } from "./session.js";

const [model, device] = process.argv.slice(2) as [string, Device];
await openSession(readFileSync(model), { device, threads: 1, logLevel: 0 });
