// Returning a large request's garbage at once. An analysis or a report allocates tens to hundreds of megabytes that
// are garbage as soon as the answer is sent, and V8 lets its heap grow a long way before it collects; measured on a
// week of the demo fleet (bench/analysis.ts), the service's peak resident memory was 690 MB with V8's own timing and
// 510 MB with a full collection after each heavy request. A collection of a heap this size takes a few
// milliseconds to a few tens of them, so it runs at most once per MIN_INTERVAL_MS.
import { setFlagsFromString } from 'node:v8';
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

let last = 0;

/** A full garbage collection, unless one ran less than a second ago (then V8's own timing is good enough). */
export function collectGarbage(now: number = Date.now()): void {
  if (!gc || now - last < MIN_INTERVAL_MS) return;
  last = now;
  gc();
}
