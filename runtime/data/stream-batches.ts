// Batches of streamed training (docs/design.md, "Data", Streaming): each epoch reads the training
// source again, a buffer of blocks at a time, and never holds more than two buffers (the one being
// trained on and the next, read ahead while the steps run).
//
// The order of epoch e, a function of (seed, e) only:
//   - blocks: a Parquet file's row groups (read by file_row_number range, which DuckDB prunes to
//     the row group), of all files, in the permutation Random.stream(seed, STREAM.shuffle, e, 1);
//   - buffers: consecutive runs of K blocks of that order, K = max(1, floor(BUFFER_ROWS / the
//     largest block's rows)); other formats, which DuckDB cannot seek in, are read front to back,
//     buffer i being the next BUFFER_ROWS rows;
//   - rows: buffer i's rows (blocks in order, rows in file order) in the permutation
//     Random.stream(seed, STREAM.shuffle, e, 2, i); the epoch's order is the buffers' orders one
//     after another, cut into batches of the batch size (the last one shorter).
// Rows are encoded by the in-memory reader with the fitted preprocessing (dataset.ts, loadData),
// so a batch carries exactly what an in-memory batch carries (labels, missing labels, weights).

import type { Spec } from "../../compiler/index.js";
import { permutation, Random, STREAM } from "../../base/random.js";
import { batchOf, type Batch } from "./batches.js";
import type { ColumnUse } from "./csv.js";
import { gatherRows, loadData, type Dataset, type FieldColumn, type LabelColumn, type Preprocessing } from "./dataset.js";
import { runOrExplain, sqlString } from "./duckdb.js";
import { BadRows } from "./errors.js";
import { rowRuns, type RowChunk } from "./row-chunk.js";
import { readSource, type DataSource } from "./source.js";
import { readTable } from "./table.js";
import { Worker } from "node:worker_threads";
import { UserError } from "../../base/user-error.js";

/** Rows a shuffle buffer aims at (K blocks). */
export const BUFFER_ROWS = 1 << 18;

/** One block: a run of rows of one file (0-based, `to` excluded). */
interface Block {
  file: number;
  from: number;
  to: number;
}

/** How streamed batches are read. */
export interface StreamOptions {
  skipBadRows?: boolean;
  delimiter?: string;
  /** Rows a shuffle buffer aims at (default BUFFER_ROWS); smaller in tests. */
  bufferRows?: number;
  /** Read, encode and cut the batches in a worker thread (stream-worker.ts, from the built dist/), so that all of it overlaps the steps (default false). */
  worker?: boolean;
}

/** Batches the worker hands over in one message. */
export const GROUP_BATCHES = 256;

/** What the main thread asks the worker: group g (batches g·GROUP_BATCHES, ...) of epoch `epoch` under `seed`, asked for in order 0, 1, 2, .... */
export interface GroupRequest {
  seed: number;
  epoch: number;
  batchSize: number;
  g: number;
}

/** The worker's answer: the group's batches (null past the last), or the error that stopped it. */
export type GroupAnswer = { batches: Batch[] | null } | { error: { message: string; code?: string } };

/** The blocks of each Parquet file: its row groups, in file order. */
async function parquetBlocks(source: DataSource): Promise<Block[]> {
  const blocks: Block[] = [];
  for (let f = 0; f < source.files.length; f++) {
    const path = source.files[f]!.path;
    const sizes = await runOrExplain(path, "cannot read the file's Parquet metadata", async (c) => {
      const r = await c.runAndReadAll(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(${sqlString(path)}) ORDER BY row_group_id`);
      return r.getRowsJS().map((row) => Number(row[1]));
    });
    let from = 0;
    for (const n of sizes) {
      if (n > 0) blocks.push({ file: f, from, to: from + n });
      from += n;
    }
  }
  return blocks;
}

/** The batches of streamed training over `source`, encoded with `preprocessing`. */
export class StreamBatches {
  private blocks: Block[] | undefined;

  constructor(
    private readonly spec: Spec,
    private readonly source: DataSource,
    private readonly preprocessing: Preprocessing,
    private readonly options: StreamOptions = {},
  ) {}

  /** The batches of epoch `epoch`, in the order described at the top of this file. */
  async *epoch(batchSize: number, seed: number, epoch: number): AsyncGenerator<Batch> {
    if (!this.options.worker) {
      yield* this.batches(await this.bufferReader(seed, epoch), batchSize, seed, epoch);
      return;
    }
    const thread = this.startWorker();
    try {
      // The next group is asked for while the batches of this one are trained on.
      let next = thread.group({ seed, epoch, batchSize, g: 0 });
      for (let g = 0; ; g++) {
        const group = await next;
        if (!group) break;
        next = thread.group({ seed, epoch, batchSize, g: g + 1 });
        // A failure is reported when the group is awaited, not as an unhandled rejection.
        next.catch(() => undefined);
        yield* group;
      }
    } finally {
      // Also when the loop stops early (a stop at a step, an error): the thread ends with its epoch.
      await thread.worker.terminate();
    }
  }

  /** The batches of an epoch whose buffers `read` gives. */
  private async *batches(read: (i: number) => Promise<Dataset | undefined>, batchSize: number, seed: number, epoch: number): AsyncGenerator<Batch> {
    let pending: { data: Dataset; rows: Int32Array }[] = [];
    let pendingRows = 0;
    const load = (i: number): Promise<Dataset | undefined> => {
      const p = read(i);
      // Read ahead: a failure is reported when the buffer is awaited, not as an unhandled rejection.
      p.catch(() => undefined);
      return p;
    };
    let next = load(0);
    for (let i = 0; ; i++) {
      const data = await next;
      if (!data) break;
      next = load(i + 1);
      const order = permutation(data.rows, Random.stream(seed, STREAM.shuffle, epoch, 2, i));
      let at = 0;
      while (at < order.length) {
        const take = Math.min(batchSize - pendingRows, order.length - at);
        pending.push({ data, rows: order.subarray(at, at + take) });
        pendingRows += take;
        at += take;
        if (pendingRows === batchSize) {
          yield this.batch(pending, pendingRows);
          pending = [];
          pendingRows = 0;
        }
      }
    }
    if (pendingRows > 0) yield this.batch(pending, pendingRows);
  }

  /** A worker thread that reads, encodes and cuts the batches of one epoch (stream-worker.ts). */
  private startWorker(): { worker: Worker; group: (request: GroupRequest) => Promise<Batch[] | undefined> } {
    const worker = new Worker(new URL("./stream-worker.js", import.meta.url), {
      workerData: { spec: this.spec, source: this.source, preprocessing: this.preprocessing, options: this.options },
    });
    const answers: ((a: GroupAnswer) => void)[] = [];
    worker.on("message", (a: GroupAnswer) => answers.shift()!(a));
    worker.on("error", (e) => {
      for (const answer of answers.splice(0)) answer({ error: { message: e.stack ?? e.message } });
    });
    const group = (request: GroupRequest) =>
      new Promise<GroupAnswer>((resolve) => {
        answers.push(resolve);
        worker.postMessage(request);
      }).then((a) => {
        if ("batches" in a) return a.batches ?? undefined;
        if (a.error.code !== undefined) throw new UserError(a.error.message, a.error.code);
        throw new Error(`the streaming worker failed: ${a.error.message}`);
      });
    return { worker, group };
  }

  /** Reads buffer i of epoch `epoch` (undefined past the last); called for 0, 1, 2, ... in turn, each after the previous one settled. */
  async bufferReader(seed: number, epoch: number): Promise<(i: number) => Promise<Dataset | undefined>> {
    const target = this.options.bufferRows ?? BUFFER_ROWS;
    if (this.source.format !== "parquet") {
      // Text and JSON lines are read front to back (DuckDB cannot seek in them): buffer i is the next `target` rows.
      const badRows = new BadRows(this.options.skipBadRows ?? false);
      let runs: ReturnType<typeof rowRuns> | undefined;
      const read = (columns: readonly ColumnUse[]) => (runs ??= rowRuns(readSource(this.source, columns, badRows, this.options.delimiter), target)).next();
      return async () => {
        if (runs?.ended()) return undefined;
        const data = await this.encode(read, target);
        return data.rows > 0 ? data : undefined;
      };
    }
    this.blocks ??= await parquetBlocks(this.source);
    const blocks = this.blocks;
    const ordered = Array.from(permutation(blocks.length, Random.stream(seed, STREAM.shuffle, epoch, 1)), (b) => blocks[b]!);
    const k = Math.max(1, Math.floor(target / Math.max(1, ...blocks.map((b) => b.to - b.from))));
    const source = this.source;
    return async (i) => {
      const mine = ordered.slice(i * k, (i + 1) * k);
      if (mine.length === 0) return undefined;
      const rows = mine.reduce((sum, b) => sum + b.to - b.from, 0);
      return this.encode(async function* (columns) {
        for (const b of mine) {
          const one: DataSource = { name: source.name, format: source.format, files: [source.files[b.file]!] };
          yield* readTable(one, columns, { from: b.from, to: b.to });
        }
      }, rows);
    };
  }

  /** Encodes the rows `read` gives (about `rows` of them) with the fitted preprocessing. */
  private async encode(read: (columns: readonly ColumnUse[]) => AsyncIterable<RowChunk>, rows: number): Promise<Dataset> {
    const { data } = await loadData(this.spec, this.source.name, this.preprocessing, { skipBadRows: this.options.skipBadRows ?? false, read, expectedRows: rows, numericRows: true });
    return data;
  }

  /** The batch of the rows `parts` (each a dataset and rows of it), in that order: straight from its buffer, or from the rows of two buffers joined. */
  private batch(parts: { data: Dataset; rows: Int32Array }[], size: number): Batch {
    if (parts.length === 1) return batchOf(this.spec, parts[0]!.data, parts[0]!.rows);
    return batchOf(this.spec, takeRows(parts, size), Int32Array.from({ length: size }, (_, k) => k));
  }
}

/** A dataset of the rows `parts` (each a dataset and rows of it), in that order. */
export function takeRows(parts: readonly { data: Dataset; rows: Int32Array }[], size: number): Dataset {
  const first = parts[0]!.data;
  const fields: Record<string, FieldColumn> = {};
  for (const [name, col] of Object.entries(first.fields)) {
    if (col.kind === "numeric") {
      const values = new Float32Array(size);
      let k = 0;
      for (const { data, rows } of parts) {
        const from = (data.fields[name] as typeof col).values;
        for (const r of rows) values[k++] = from[r]!;
      }
      fields[name] = { kind: "numeric", values };
    } else if (col.kind === "categorical") {
      const ids = new Int32Array(size);
      let k = 0;
      for (const { data, rows } of parts) {
        const from = (data.fields[name] as typeof col).ids;
        for (const r of rows) ids[k++] = from[r]!;
      }
      fields[name] = { kind: "categorical", ids };
    } else {
      const offsets = new Int32Array(size + 1);
      const ids: number[] = [];
      let k = 0;
      for (const { data, rows } of parts) {
        const from = data.fields[name] as typeof col;
        for (const r of rows) {
          for (let j = from.offsets[r]!; j < from.offsets[r + 1]!; j++) ids.push(from.ids[j]!);
          offsets[++k] = ids.length;
        }
      }
      fields[name] = { kind: "multi_hot", offsets, ids: Int32Array.from(ids) };
    }
  }
  const gather = <T extends LabelColumn>(pick: (d: Dataset) => T): T => {
    const out = new (pick(first).constructor as new (n: number) => T)(size);
    let k = 0;
    for (const { data, rows } of parts) {
      const from = pick(data);
      for (const r of rows) out[k++] = from[r]!;
    }
    return out;
  };
  const labels = Object.fromEntries(Object.keys(first.labels).map((t) => [t, gather((d) => d.labels[t]!)]));
  const weights = first.weights ? Object.fromEntries(Object.keys(first.weights).map((t) => [t, gather((d) => d.weights![t]!)])) : undefined;
  const lines = gather((d) => d.lines);
  let numericRows: Float32Array | undefined;
  if (first.numericRows) {
    const width = first.numericRows.length / first.rows;
    numericRows = new Float32Array(size * width);
    let k = 0;
    for (const { data, rows } of parts) {
      numericRows.set(gatherRows(data.numericRows!, width, rows), k * width);
      k += rows.length;
    }
  }
  return { file: first.file, rows: size, lines, fields, labels, ...(weights ? { weights } : {}), ...(numericRows ? { numericRows } : {}) };
}
