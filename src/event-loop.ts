// Long synchronous work (a write of 100,000 new series, a walk of 20,000 buckets, a long analysis) gives the event
// loop a turn now and then, so that /ping and other requests are answered meanwhile.

/** Resolves after one turn of the event loop (a macrotask: pending I/O callbacks run first). */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
