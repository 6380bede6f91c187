// Returning a large request's garbage at once. An analysis or a report allocates tens to hundreds of megabytes that
// are garbage as soon as the answer is sent, and V8 lets its heap grow a long way before it collects; measured on a
// week of the demo fleet (bench/analysis.ts), the service's peak resident memory was 690 MB with V8's own timing and
// 510 MB with a full collection after each heavy request. A collection of a heap this size takes a few
// milliseconds to a few tens of them, so it runs at most once per MIN_INTERVAL_MS.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MIN_INTERVAL_MS = 250;

/** V8's gc(), made available without a command-line flag (a flag read when a context is created); null if refused. */
const gc: (() => void) | null = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    return typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    return null;
  }
})();

/**
 * The heap must have grown this much since the last collection before another one is worth its time. Measured on
 * a week of demo data (2026-12-07, comprehensive reports, four runs each, two reports a run): with 32 MB the reports
 * took 4.7-5.0 s (first) and 3.6-3.8 s (second), peaking at 470-547 MB; collecting after every section, 4.9-5.4 s
 * and 4.0-4.6 s at 451-517 MB (full collections were a fifth of the report's time).
 */
const MIN_GROWTH_BYTES = 32 * 1024 ** 2;

let last = 0;
let heapAfterLast = 0;

/** Whether a full collection is worth its time: none in the last MIN_INTERVAL_MS, and the heap grown enough since. */
export function collectionDue(now: number, usedHeap: number, previous: { at: number; heapAfter: number }): boolean {
  return now - previous.at >= MIN_INTERVAL_MS && usedHeap - previous.heapAfter >= MIN_GROWTH_BYTES;
}

/** A full garbage collection when one is due (collectionDue); otherwise V8's own timing is good enough. */
export function collectGarbage(now: number = Date.now()): void {
  if (!gc || !collectionDue(now, getHeapStatistics().used_heap_size, { at: last, heapAfter: heapAfterLast })) return;
  last = now;
  gc();
  heapAfterLast = getHeapStatistics().used_heap_size;
}
