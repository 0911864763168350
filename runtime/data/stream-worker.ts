// The reading thread of streamed training (docs/design.md, "Data", Streaming): a worker that
// reads and encodes the buffers of an epoch with its own StreamBatches (and its own DuckDB), so
// that the main thread only builds batches and runs the steps. Buffer i of (seed, epoch) is asked
// for in order, 0, 1, 2, ...; the answer's arrays are moved, not copied.

import { parentPort, workerData } from "node:worker_threads";
import type { Spec } from "../../compiler/index.js";
import { UserError } from "../../base/user-error.js";
import type { Dataset, Preprocessing } from "./dataset.js";
import type { DataSource } from "./source.js";
import { StreamBatches, type BufferRequest, type BufferAnswer, type StreamOptions } from "./stream-batches.js";

const { spec, source, preprocessing, options } = workerData as { spec: Spec; source: DataSource; preprocessing: Preprocessing; options: StreamOptions };
const stream = new StreamBatches(spec, source, preprocessing, { ...options, worker: false });
let reader: { key: string; read: (i: number) => Promise<Dataset | undefined> } | undefined;
// Requests are answered one at a time, in the order they came.
let queue: Promise<void> = Promise.resolve();

/** The buffers' typed arrays, each once (two views may share one). */
function transferables(d: Dataset): ArrayBuffer[] {
  const arrays = [d.lines, ...Object.values(d.labels), ...Object.values(d.weights ?? {})];
  for (const f of Object.values(d.fields)) {
    if (f.kind === "numeric") arrays.push(f.values);
    else if (f.kind === "categorical") arrays.push(f.ids);
    else arrays.push(f.offsets, f.ids);
  }
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

parentPort!.on("message", (request: BufferRequest) => {
  queue = queue.then(async () => {
    let answer: BufferAnswer;
    try {
      const key = `${request.seed}/${request.epoch}`;
      if (reader?.key !== key) reader = { key, read: await stream.bufferReader(request.seed, request.epoch) };
      answer = { data: (await reader.read(request.i)) ?? null };
    } catch (e) {
      answer = { error: e instanceof UserError ? { message: e.message, code: e.code } : { message: e instanceof Error ? (e.stack ?? e.message) : String(e) } };
    }
    parentPort!.postMessage(answer, "data" in answer && answer.data ? transferables(answer.data) : []);
  });
});
