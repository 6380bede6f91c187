// Writing a long answer to a client at the pace its socket takes it: the routes that stream (aggregates, the
// results export, reports) hand their pieces here instead of handling the socket's back-pressure themselves.
import type { Response } from 'express';

/** Bytes written under one cork: many small pieces leave in one writev. */
const FLUSH_BYTES = 256 * 1024;

/** Waits until the client has taken what was written, or has gone (one listener each, both removed after). */
export function drained(res: Response): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes the chunks corked between flushes of FLUSH_BYTES, waiting while the socket is full, and ends the answer.
 * Stops without ending it when the client has gone.
 */
export async function writeCorked(res: Response, chunks: Iterable<string | Uint8Array>): Promise<void> {
  let corked = 0;
  res.cork();
  for (const chunk of chunks) {
    if (res.destroyed) return;
    const ok = res.write(chunk);
    corked += chunk.length;
    if (corked >= FLUSH_BYTES || !ok) {
      res.uncork();
      corked = 0;
      if (!ok) await drained(res);
      res.cork();
    }
  }
  res.uncork();
  res.end();
}
