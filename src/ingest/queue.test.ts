import { afterEach, describe, expect, it } from 'vitest';
import { batchOf } from '../../test/support/helpers.js';
import { AppError } from '../errors.js';
import { DuckDBStore } from '../store/duckdb/index.js';
import { IngestQueue } from './queue.js';

const T0 = Date.UTC(2026, 10, 21, 10);
let store: DuckDBStore | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

const rows = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ t: T0 + i, latency: i, tags: { s: tag } }));
const total = async (s: DuckDBStore) =>
  (await s.series({ start: 0, stop: 1e16, filters: {}, limit: 1000 })).reduce((a, x) => a + x.count, 0);

describe('the ingest queue', () => {
  it('groups concurrent requests into fewer commits and resolves each once committed', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    let commits = 0;
    const q = new IngestQueue(store, { maxPoints: 1_000_000, onWritten: () => commits++ });
    await Promise.all(Array.from({ length: 20 }, (_, i) => q.submit(batchOf(rows(500, `s${i}`)))));
    expect(await total(store)).toBe(20 * 500);
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThan(20);
    expect(q.depth).toBe(0);
  });

  it('fails only the request that cannot be written when a grouped commit fails', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650, maxSeries: 5 });
    const q = new IngestQueue(store, { maxPoints: 1_000_000 });
    const tooMany = batchOf(Array.from({ length: 10 }, (_, i) => ({ t: T0, tags: { id: `x${i}` } })));
    const results = await Promise.allSettled([
      q.submit(batchOf(rows(5, 'a'))),
      q.submit(tooMany),
      q.submit(batchOf(rows(7, 'b'))),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/beyond the limit of 5/);
    expect(await total(store)).toBe(12);
  });

  it('refuses new requests with a retry hint when more points wait than it holds', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const q = new IngestQueue(store, { maxPoints: 100 });
    const big = q.submit(batchOf(rows(1000, 'big'))); // accepted: nothing else waits
    expect(q.depth).toBe(1000);
    const refused = await q.submit(batchOf(rows(10, 'small'))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('unavailable');
    expect((refused as AppError).retryAfter).toBe(1);
    await big;
    await q.submit(batchOf(rows(10, 'small')));
    expect(await total(store)).toBe(1010);
  });

  it('drains queued requests on close and refuses new ones', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const q = new IngestQueue(store, { maxPoints: 1_000_000 });
    const pending = [q.submit(batchOf(rows(300, 'a'))), q.submit(batchOf(rows(300, 'b')))];
    await q.close();
    await Promise.all(pending);
    expect(await total(store)).toBe(600);
    await expect(q.submit(batchOf(rows(1, 'c')))).rejects.toThrow(/shutting down/);
  });
});
