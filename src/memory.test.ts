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
    const previous = { at: 10_000, heapAfter: 100 * MB };
    expect(collectionDue(10_250, 132 * MB, previous)).toBe(true);
    expect(collectionDue(10_250, 131 * MB, previous)).toBe(false);
    expect(collectionDue(10_249, 500 * MB, previous)).toBe(false);
    expect(collectionDue(1e9, 90 * MB, previous)).toBe(false);
  });
});
