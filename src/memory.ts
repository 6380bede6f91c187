// Returning a large request's garbage at once. An analysis or a report allocates tens to hundreds of megabytes that
// are garbage as soon as the answer is sent, and V8 lets its heap grow a long way before it collects; measured on a
// week of the demo fleet (bench/analysis.ts), the service's peak resident memory was 690 MB with V8's own timing and
// 510 MB with a full collection after each heavy request. A full collection holds the event loop while it runs, for
// about 0.4-0.8 ms per MB of used heap here (2026-12-07, AMD EPYC 2 vCPU: 30-75 ms at 36-115 MB during a week's
// comprehensive report, 115 ms at 180 MB after a write of 100,000 new series beside 60,000), so it runs at most once
// per MIN_INTERVAL_MS, and a caller may bound the pause it accepts (past that bound, V8's own incremental collector,
// whose pauses are a few milliseconds, is left to it).
import { performance } from 'node:perf_hooks';
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

/** The last forced collection: when, the heap it left, and its pause per byte of the heap it started from. */
export interface LastCollection {
  at: number;
  heapAfter: number;
  msPerByte: number;
}

/** The pace assumed before the first forced collection: the slowest measured (above), 0.8 ms per MB. */
const FIRST_MS_PER_BYTE = 0.8 / 1024 ** 2;

const last: LastCollection = { at: 0, heapAfter: 0, msPerByte: FIRST_MS_PER_BYTE };

/**
 * Whether a full collection is worth its time: none in the last MIN_INTERVAL_MS, the heap grown enough since, and
 * its pause, expected at the last one's rate per byte of heap, within `maxPauseMs`.
 */
export function collectionDue(
  now: number,
  usedHeap: number,
  previous: LastCollection,
  maxPauseMs = Number.POSITIVE_INFINITY,
): boolean {
  return (
    now - previous.at >= MIN_INTERVAL_MS &&
    usedHeap - previous.heapAfter >= MIN_GROWTH_BYTES &&
    usedHeap * previous.msPerByte <= maxPauseMs
  );
}

/**
 * A full garbage collection when one is due (collectionDue); otherwise V8's own timing is good enough. Each one's
 * pause sets the rate the next is judged by (an average with the one before, as a busy machine may stretch one).
 */
export function collectGarbage(now: number = Date.now(), maxPauseMs = Number.POSITIVE_INFINITY): void {
  if (!gc) return;
  const used = getHeapStatistics().used_heap_size;
  if (!collectionDue(now, used, last, maxPauseMs)) return;
  const started = performance.now();
  gc();
  last.msPerByte = (last.msPerByte + (performance.now() - started) / used) / 2;
  last.at = now;
  last.heapAfter = getHeapStatistics().used_heap_size;
}
