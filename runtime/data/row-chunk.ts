// What every reader hands to the encoder (read-raw.ts): runs of rows of one file, column by
// column (docs/design.md, "Data"). Delimited text gives trimmed text cells; Parquet and JSON lines
// give a number column as the doubles DuckDB holds, with DuckDB's validity bits for its nulls, so
// no number is printed and parsed again on its way to a Float32Array.

/** One requested column of a chunk: text cells (missing: "" or "?"), or a typed file's numbers. */
export type ChunkColumn =
  | { kind: "text"; cells: readonly string[] }
  /** Row r is null (missing) when `valid` is given and its bit r (byte r >> 3, bit r & 7) is 0. */
  | { kind: "number"; values: Float64Array; valid: Uint8Array | null };

/** A run of rows of one file. */
export interface RowChunk {
  file: string;
  rows: number;
  /** Each row's place, for messages: the file line for delimited text; the 1-based row number in the file for Parquet and JSON lines. */
  lines: Int32Array;
  /** The requested columns, in request order. */
  columns: ChunkColumn[];
}

/** True when row r of a number column holds a value (is not null). */
export function isPresent(valid: Uint8Array | null, r: number): boolean {
  return valid === null || ((valid[r >> 3]! >> (r & 7)) & 1) === 1;
}

/** The cells of a column as text: a number as the shortest text that reads back to it, a null as "" (missing). */
export function textCells(column: ChunkColumn): readonly string[] {
  if (column.kind === "text") return column.cells;
  return Array.from(column.values, (v, r) => (isPresent(column.valid, r) ? String(v) : ""));
}

/** Rows `from` up to, not including, `to` of a chunk. */
export function sliceChunk(chunk: RowChunk, from: number, to: number): RowChunk {
  return {
    file: chunk.file,
    rows: to - from,
    lines: chunk.lines.subarray(from, to),
    columns: chunk.columns.map((c) => (c.kind === "text" ? { kind: "text", cells: c.cells.slice(from, to) } : { kind: "number", values: c.values.subarray(from, to), valid: c.valid && sliceBits(c.valid, from, to) })),
  };
}

/** Validity bits `from` up to `to`, renumbered from 0. */
function sliceBits(valid: Uint8Array, from: number, to: number): Uint8Array | null {
  if (from % 8 === 0) return valid.subarray(from >> 3, (to + 7) >> 3);
  const out = new Uint8Array((to - from + 7) >> 3);
  for (let r = from; r < to; r++) if (isPresent(valid, r)) out[(r - from) >> 3]! |= 1 << ((r - from) & 7);
  return out;
}

/**
 * Successive runs of at most `rows` rows each of one stream of chunks: each call of the returned
 * function gives the next run's chunks (splitting a chunk where a run ends) and ends the run
 * early only at the end of the stream; `ended()` tells whether the stream is spent.
 */
export function rowRuns(chunks: AsyncIterable<RowChunk>, rows: number): { next: () => AsyncGenerator<RowChunk>; ended: () => boolean } {
  let iterator: AsyncIterator<RowChunk> | undefined;
  let rest: RowChunk | undefined;
  let done = false;
  async function* next(): AsyncGenerator<RowChunk> {
    iterator ??= chunks[Symbol.asyncIterator]();
    let left = rows;
    while (left > 0) {
      let chunk = rest;
      rest = undefined;
      if (!chunk) {
        const r = await iterator.next();
        if (r.done) {
          done = true;
          return;
        }
        chunk = r.value;
      }
      if (chunk.rows > left) {
        rest = sliceChunk(chunk, left, chunk.rows);
        chunk = sliceChunk(chunk, 0, left);
      }
      left -= chunk.rows;
      yield chunk;
    }
  }
  return { next, ended: () => done };
}
