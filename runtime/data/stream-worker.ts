// The reading thread of streamed training (docs/design.md, "Data", Streaming): a worker that
// reads, encodes and cuts into batches the buffers of an epoch with its own StreamBatches (and its
// own DuckDB), so that the main thread only runs the steps. Group g of (seed, epoch) is asked for
// in order, 0, 1, 2, ...; the answer's arrays are moved, not copied.

import { parentPort, workerData } from "node:worker_threads";
import type { Spec } from "../../compiler/index.js";
import { UserError } from "../../base/user-error.js";
import type { Batch } from "./batches.js";
import type { Preprocessing } from "./dataset.js";
import type { DataSource } from "./source.js";
import { GROUP_BATCHES, StreamBatches, type GroupAnswer, type GroupRequest, type StreamOptions } from "./stream-batches.js";

const { spec, source, preprocessing, options } = workerData as { spec: Spec; source: DataSource; preprocessing: Preprocessing; options: StreamOptions };
const stream = new StreamBatches(spec, source, preprocessing, { ...options, worker: false });
let epoch: { key: string; batches: AsyncIterator<Batch> } | undefined;
// Requests are answered one at a time, in the order they came.
let queue: Promise<void> = Promise.resolve();

/** The batches' typed arrays, each once (two views may share one). */
function transferables(batches: readonly Batch[]): ArrayBuffer[] {
  const arrays = batches.flatMap((b) => [
    b.rows,
    b.numeric,
    ...Object.values(b.labels),
    ...Object.values(b.rowWeights),
    ...Object.values(b.embeddings).flatMap((e) => [e.unique, e.index, ...(e.weights ? [e.weights] : [])]),
  ]);
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

parentPort!.on("message", (request: GroupRequest) => {
  queue = queue.then(async () => {
    let answer: GroupAnswer;
    try {
      const key = `${request.seed}/${request.epoch}/${request.batchSize}`;
      if (epoch?.key !== key) epoch = { key, batches: stream.epoch(request.batchSize, request.seed, request.epoch)[Symbol.asyncIterator]() };
      const group: Batch[] = [];
      while (group.length < GROUP_BATCHES) {
        const next = await epoch.batches.next();
        if (next.done) break;
        group.push(next.value);
      }
      answer = { batches: group.length > 0 ? group : null };
    } catch (e) {
      answer = { error: e instanceof UserError ? { message: e.message, code: e.code } : { message: e instanceof Error ? (e.stack ?? e.message) : String(e) } };
    }
    parentPort!.postMessage(answer, "batches" in answer && answer.batches ? transferables(answer.batches) : []);
  });
});
