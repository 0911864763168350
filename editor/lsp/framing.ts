// The protocol's framing, checked before the message reader sees it. A message is a header block
// ("Content-Length: N\r\n", other headers, "\r\n") followed by N bytes of JSON. The library's
// reader stops reading for good at a header it cannot parse or a body that is not JSON, so one
// bad message from a client would leave the server deaf, shutdown included. This filter passes
// well-formed messages through unchanged and drops the others, saying why, then finds the next
// header and goes on.

import { Transform, type TransformCallback } from "node:stream";

/** The largest message accepted: more is a broken or hostile client, not an edit. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** The largest header block accepted. */
const MAX_HEADER_BYTES = 8 * 1024;

const SEPARATOR = Buffer.from("\r\n\r\n");
const HEADER_START = Buffer.from("Content-Length:");

/** A stream that forwards well-formed protocol messages and drops malformed ones, calling `dropped` with the reason. */
export function validFrames(dropped: (reason: string) => void): Transform {
  let pending: Buffer = Buffer.alloc(0);
  /** After a malformed message: skip input until the next "Content-Length:", in this chunk or a later one. */
  let syncing = false;
  const resync = (): void => {
    pending = pending.subarray(1);
    syncing = true;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (syncing) {
          const next = pending.indexOf(HEADER_START);
          if (next < 0) {
            // Keep a tail that may be the start of a header cut by the chunk boundary.
            pending = pending.subarray(Math.max(0, pending.length - HEADER_START.length + 1));
            break;
          }
          pending = pending.subarray(next);
          syncing = false;
        }
        const end = pending.indexOf(SEPARATOR);
        if (end < 0) {
          if (pending.length > MAX_HEADER_BYTES) {
            dropped(`a header block longer than ${MAX_HEADER_BYTES} bytes`);
            resync();
            continue;
          }
          break;
        }
        const header = pending.subarray(0, end).toString("ascii");
        const match = /^Content-Length:[ \t]*(\d{1,12})[ \t]*$/im.exec(header);
        const length = match ? Number(match[1]) : NaN;
        if (!match || length > MAX_MESSAGE_BYTES) {
          dropped(match ? `a message of ${length} bytes (at most ${MAX_MESSAGE_BYTES})` : `a header without a valid Content-Length: ${JSON.stringify(header.slice(0, 80))}`);
          resync();
          continue;
        }
        const total = end + SEPARATOR.length + length;
        if (pending.length < total) break;
        const body = pending.subarray(end + SEPARATOR.length, total);
        let json = true;
        try {
          JSON.parse(body.toString("utf8"));
        } catch {
          json = false;
        }
        if (json) this.push(pending.subarray(0, total));
        else dropped(`a message whose ${length}-byte body is not JSON`);
        pending = pending.subarray(total);
      }
      done();
    },
  });
}
