import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { collectGarbage, collectionDue } from './memory.js';

/** About 96 MB of JS arrays on the heap, garbage as soon as this returns (large objects: a full collection frees them). */
function makeGarbage(): number {
  const held: number[][] = [];
  for (let i = 0; i < 12; i++) held.push(new Array<number>(1024 * 1024).fill(0.5));
  return held.length;
}

describe('collectGarbage', () => {
  it("returns a large request's garbage at once when the heap has grown enough since the last collection", () => {
    let now = 1e12;
    collectGarbage(now); // a baseline
    makeGarbage();
    const before = getHeapStatistics().used_heap_size;
    now += 1000;
    collectGarbage(now);
    const after = getHeapStatistics().used_heap_size;
    expect(before - after).toBeGreaterThan(64 * 1024 ** 2);
  });

  it('is due only when the heap has grown 32 MB since the last collection, and none ran in the last 250 ms', () => {
    const MB = 1024 ** 2;
    const previous = { at: 10_000, heapAfter: 100 * MB, msPerByte: 0 };
    expect(collectionDue(10_250, 132 * MB, previous)).toBe(true);
    expect(collectionDue(10_250, 131 * MB, previous)).toBe(false);
    expect(collectionDue(10_249, 500 * MB, previous)).toBe(false);
    expect(collectionDue(1e9, 90 * MB, previous)).toBe(false);
  });

  it("is not due when its pause, at the last one's rate per byte of heap, would exceed the bound", () => {
    const MB = 1024 ** 2;
    // The last one paused 0.5 ms per MB: 200 MB of heap would take 100 ms.
    const previous = { at: 10_000, heapAfter: 40 * MB, msPerByte: 0.5 / MB };
    expect(collectionDue(20_000, 100 * MB, previous, 50)).toBe(true);
    expect(collectionDue(20_000, 101 * MB, previous, 50)).toBe(false);
    expect(collectionDue(20_000, 200 * MB, previous, 100)).toBe(true);
    expect(collectionDue(20_000, 200 * MB, previous)).toBe(true); // no bound
  });
});
