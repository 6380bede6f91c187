// The report's memoized view of a real DuckDB store: a read asked twice runs once, and an aggregate over equal
// buckets that overlaps a held one is joined from it and the buckets it lacks, equal to asking the store directly.
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, HOUR, type Row } from '../../test/support/helpers.js';
import { DuckDBStore } from '../store/duckdb/index.js';
import type { AggregateQuery, Store } from '../store/types.js';
import { memoizedStore } from './memo.js';

const T0 = Date.UTC(2026, 10, 2);
let store: DuckDBStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** The store, counting the aggregate queries that reach it. */
function counted(s: Store): { store: Store; calls: AggregateQuery[] } {
  const calls: AggregateQuery[] = [];
  return {
    calls,
    store: {
      ...s,
      aggregate: (q) => {
        calls.push(q);
        return s.aggregate(q);
      },
      runSummaries: (q) => s.runSummaries(q),
      status: (n) => s.status(n),
    } as Store,
  };
}

describe('memoizedStore', () => {
  it('answers a repeated read once and an overlapping hourly range from the held buckets plus the missing ones', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const rows: Row[] = [];
    for (let i = 0; i < 600; i++) {
      rows.push({
        t: T0 + i * 7 * 60_000,
        latency: (i * 37) % 101,
        success: i % 9 !== 0,
        tags: { endpoint: i % 3 ? 'a' : 'b', worker: `w${i % 4}` },
      });
    }
    await store.write(batchOf(rows));
    await store.rollup(T0 + 40 * HOUR);
    const hours = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => T0 + (from + i) * HOUR);
    const q = (from: number, to: number): AggregateQuery => ({
      period: 'hour',
      tz: 'UTC',
      boundaries: hours(from, to),
      filters: {},
      groupBy: ['endpoint'],
      metric: 'latency_ms',
    });
    const { store: s, calls } = counted(store);
    const memo = memoizedStore(s);

    const trends = await memo.aggregate(q(10, 60));
    expect(await memo.aggregate(q(10, 60))).toBe(trends); // the same read: the same answer, asked once
    expect(calls).toHaveLength(1);
    // Anomalies: the same series with history before them, and a little more after.
    const wider = await memo.aggregate(q(2, 65));
    expect(calls.map((c) => [c.boundaries[0], c.boundaries.at(-1)])).toEqual([
      [T0 + 10 * HOUR, T0 + 60 * HOUR],
      [T0 + 2 * HOUR, T0 + 10 * HOUR],
      [T0 + 60 * HOUR, T0 + 65 * HOUR],
    ]);
    const direct = await store.aggregate(q(2, 65));
    const strip = (r: typeof direct) => r.groups.map((g) => ({ group: g.group, buckets: g.buckets }));
    expect(strip(wider)).toEqual(strip(direct));
    // A range inside a held one needs no query at all.
    const inner = await memo.aggregate(q(20, 30));
    expect(calls).toHaveLength(3);
    expect(strip(inner)).toEqual(strip(await store.aggregate(q(20, 30))));
  });
});
