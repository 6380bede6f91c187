import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { aggregatesCached } from '../../../test/support/aggregates-cached.js';
import { batchOf, HOUR, storedForm, type7 } from '../../../test/support/helpers.js';
import { runStoreContract } from '../../../test/support/store-contract.js';
import { makeSeries, seriesKey, WriteBatch } from '../../model/result.js';
import type { SeriesInfo } from '../types.js';
import { slicesByRows } from './aggregate.js';
import { DuckDBStore } from './index.js';

const dirs: string[] = [];
const tempDb = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'resultant-duckdb-'));
  dirs.push(d);
  return join(d, 'test.duckdb');
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 10, 21, 10);
const LATER = Date.UTC(2026, 11, 1);

describe('DuckDB store (in memory) satisfies the store contract', () => {
  runStoreContract({
    newStore: ({ timezone }) => DuckDBStore.open({ path: ':memory:', timezone, rawRetentionDays: 3650 }),
  });
});

describe('DuckDB store (file) satisfies the store contract', () => {
  runStoreContract({
    newStore: ({ timezone }) => DuckDBStore.open({ path: tempDb(), timezone, rawRetentionDays: 3650 }),
  });
});

describe('DuckDB store specifics', () => {
  it('refuses a write that needs more memory than its limit with a 503 that names the setting, and keeps what it had', async () => {
    const s = await DuckDBStore.open({
      path: tempDb(),
      timezone: 'UTC',
      rawRetentionDays: 3650,
      memoryLimit: 16 * 1024 ** 2,
    });
    try {
      await s.write(batchOf([{ t: T0, latency: 1, tags: { endpoint: 'a' } }]));
      // 400,000 rows: with 100,000 the write fitted in 16 MiB and its spill space about half the time on a loaded
      // 2-core machine. DuckDB words the refusal in several ways ("Out of Memory Error", "failed to pin", and from the
      // appender "Failed to append: failed to allocate data of size ..."): each must become the 503.
      const big = new WriteBatch();
      const series = Array.from({ length: 50 }, (_, i) => makeSeries('test_result', { endpoint: `e${i}` }));
      for (let i = 0; i < 400_000; i++)
        big.addResult(series[i % 50]!, (T0 + i * 10) * 1000, true, i % 100, null, null, null);
      await expect(s.write(big)).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringContaining('RESULTANT_DUCKDB_MEMORY_LIMIT=16MiB'),
      });
      const r = await s.aggregate({
        period: 'hour',
        tz: 'UTC',
        boundaries: [T0, T0 + HOUR],
        filters: {},
        groupBy: [],
        metric: 'latency_ms',
      });
      expect(r.groups.map((g) => g.buckets.map((b) => b.testCount))).toEqual([[1]]);
    } finally {
      await s.close();
    }
  });

  it('finishes the upgrade from schema version 1 at open: configurations, fingerprints and hourly summaries as if never missing', async () => {
    const path = tempDb();
    const rows = [];
    for (let h = 0; h < 30; h++)
      for (const endpoint of ['a', 'b'])
        for (let k = 0; k < 3; k++) {
          const fail = (h + k) % 4 === 0;
          rows.push({
            t: T0 + h * HOUR + k * 600_000,
            latency: 10 + h + k,
            tags: { endpoint, test: `t${k}` },
            success: !fail,
            ...(fail ? { error: k === 1 ? 'connection refused' : `timeout after ${h} ms` } : {}),
          });
        }
    const fresh = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
    await fresh.write(batchOf(rows));
    await fresh.rollup(T0 + 40 * HOUR);
    await fresh.close();
    const contents = async (): Promise<unknown[]> => {
      const db = await DuckDBInstance.create(path);
      const c = await db.connect();
      const out: unknown[] = [];
      for (const q of [
        'SELECT series_id, config FROM series ORDER BY ALL',
        'SELECT id, fingerprint FROM results ORDER BY ALL',
        'SELECT * FROM fingerprints ORDER BY ALL',
        'SELECT * FROM run_hour ORDER BY ALL',
        'SELECT * FROM failure_hour ORDER BY ALL',
      ])
        out.push((await c.runAndReadAll(q)).getRowObjectsJson());
      c.closeSync();
      db.closeSync();
      return out;
    };
    const expected = await contents();
    expect((expected[4] as unknown[]).length).toBeGreaterThan(0);
    // What a file of schema version 1 lacked.
    const db = await DuckDBInstance.create(path);
    const c = await db.connect();
    for (const q of [
      'DROP TABLE run_hour',
      'DROP TABLE failure_hour',
      'DROP TABLE fingerprints',
      'ALTER TABLE series DROP COLUMN config',
      'ALTER TABLE results DROP COLUMN fingerprint',
      "UPDATE meta SET value = '1' WHERE key = 'schema_version'",
    ])
      await c.run(q);
    c.closeSync();
    db.closeSync();
    const warnings: string[] = [];
    const upgraded = await DuckDBStore.open({
      path,
      timezone: 'UTC',
      rawRetentionDays: 3650,
      warn: (m) => warnings.push(m),
    });
    await upgraded.close();
    expect(warnings.join('\n')).toMatch(/upgrading the database to schema version 2/);
    expect(await contents()).toEqual(expected);
  });

  it("says a corrupt file is corrupt, in DuckDB's words, not that another process holds it", async () => {
    const path = tempDb();
    const s = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
    const rows = Array.from({ length: 50_000 }, (_, i) => ({
      t: T0 + i * 1000,
      latency: i % 97,
      tags: { endpoint: `e${i % 7}` },
    }));
    await s.write(batchOf(rows));
    await s.close();
    const bytes = readFileSync(path);
    for (let k = 12_288; k < bytes.length; k += 4096) bytes[k + 100] = bytes[k + 100]! ^ 0xff; // every block's payload
    writeFileSync(path, bytes);
    const err = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 }).then(
      (opened) => opened.close().then(() => null),
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/Corrupt database file/);
    expect(err?.message).not.toMatch(/in use by another process/);
  });

  it('never shows a reader a committed row whose series it does not know, while writes add series', async () => {
    const s = await DuckDBStore.open({ path: tempDb(), timezone: 'UTC', rawRetentionDays: 3650 });
    try {
      let writing = true;
      const writes = (async () => {
        for (let w = 0; w < 60; w++) {
          const b = new WriteBatch();
          for (let i = 0; i < 100; i++)
            b.addResult(
              makeSeries('test_result', { endpoint: `w${w}-s${i}` }),
              (T0 + w * 1000 + i) * 1000,
              true,
              1,
              null,
              null,
              null,
            );
          await s.write(b);
        }
        writing = false;
      })();
      const range = { start: 0, stop: (T0 + HOUR) * 1000, filters: {}, limit: 100_000 };
      let reads = 0;
      const reader = async (): Promise<void> => {
        while (writing) {
          const [results, series] = await Promise.all([
            s.results(range),
            s.series({ ...range, measurement: 'test_result' }),
          ]);
          expect(results.results.length).toBeLessThanOrEqual(6000);
          expect(series.length).toBeLessThanOrEqual(6000);
          reads++;
        }
      };
      await Promise.all([reader(), reader(), reader()]);
      await writes;
      expect(reads).toBeGreaterThan(0);
      expect((await s.results(range)).results).toHaveLength(6000);
    } finally {
      await s.close();
    }
  });

  it('registers the new series of a write in one pass, with the event loop free (100,000 new series beside 60,000)', async () => {
    const s = await DuckDBStore.open({ path: tempDb(), timezone: 'UTC', rawRetentionDays: 3650 });
    try {
      const batch = (from: number, n: number) => {
        const b = new WriteBatch();
        for (let i = from; i < from + n; i++)
          b.addResult(makeSeries('test_result', { endpoint: `e${i}` }), (T0 + i) * 1000, true, 1, null, null, null);
        return b;
      };
      await s.write(batch(0, 60_000));
      const big = batch(60_000, 100_000);
      // The longest the event loop went without a turn while the write ran (a linear search per new series held it
      // for tens of seconds).
      let longest = 0;
      let last = performance.now();
      const tick = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }, 10);
      try {
        await s.write(big);
      } finally {
        clearInterval(tick);
      }
      expect((await s.status(T0)).seriesCount).toBe(160_000);
      // Far above a busy machine's pauses, far below the tens of seconds of the bug.
      expect(longest).toBeLessThan(5000);
    } finally {
      await s.close();
    }
  }, 120_000);

  it('leaves out final buckets the caller holds under the current generation, and only those', async () => {
    const s = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    await s.write(
      batchOf([0, 1, 2].map((h) => ({ t: T0 + h * HOUR + 1000, latency: 10 + h, tags: { endpoint: 'a' } }))),
    );
    await s.rollup(T0 + 3 * HOUR);
    const q = {
      period: 'hour' as const,
      tz: 'UTC',
      boundaries: [0, 1, 2, 3, 4].map((h) => T0 + h * HOUR),
      filters: {},
      groupBy: ['endpoint'],
      metric: 'latency_ms',
    };
    const first = await s.aggregate(q);
    expect(first.final).toEqual([0, 1, 2]); // bucket 3 is the open hour
    expect(first.reused).toEqual([]);
    const gen = first.generation!;
    const indexes = (r: typeof first) => r.groups.flatMap((g) => g.buckets.map((b) => b.bucket));
    const held = await s.aggregate({ ...q, reuse: { generation: gen, buckets: new Set([0, 1, 3]) } });
    expect(held.reused).toEqual([0, 1]); // 3 is not final: it is computed again
    expect(indexes(held)).toEqual([2]);
    const stale = await s.aggregate({ ...q, reuse: { generation: `${gen}x`, buckets: new Set([0, 1]) } });
    expect(stale.reused).toEqual([]);
    expect(indexes(stale)).toEqual([0, 1, 2]);
    // A late write makes hour 1 dirty: no longer final, never reused, and the answer shows the write at once.
    await s.write(batchOf([{ t: T0 + HOUR + 2000, latency: 100, tags: { endpoint: 'a' } }]));
    const late = await s.aggregate({ ...q, reuse: { generation: gen, buckets: new Set([0, 1]) } });
    expect(late.final).toEqual([0, 2]);
    expect(late.reused).toEqual([0]);
    expect(late.groups[0]!.buckets.map((b) => [b.bucket, b.testCount, b.max])).toEqual([
      [1, 2, 100],
      [2, 1, 12],
    ]);
    // Re-rolling the late hour rewrites a past rollup row: a new generation, so nothing held before is reused.
    await s.rollup(T0 + 3 * HOUR);
    const after = await s.aggregate({ ...q, reuse: { generation: gen, buckets: new Set([0, 1, 2]) } });
    expect(after.generation).not.toBe(gen);
    expect(after.reused).toEqual([]);
    await s.close();
  });

  it('slices exact-percentile reads at bucket boundaries once a slice reaches its row limit', () => {
    const nG = 3;
    // keys b * nG + g with 100 rows each; buckets 0..4, groups 0..2 (bucket 2 has one group only)
    const keys = [0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14];
    const slices = slicesByRows(keys, nG, () => 100, 350);
    for (const { keys: sl, over } of slices) {
      expect(over).toBeUndefined();
      const buckets = new Set(sl.map((k) => Math.floor(k / nG)));
      for (const b of buckets)
        expect(sl.filter((k) => Math.floor(k / nG) === b)).toEqual(keys.filter((k) => Math.floor(k / nG) === b));
    }
    expect(slices.flatMap((s) => s.keys)).toEqual(keys);
    expect(slices.map((s) => s.keys.length * 100)).toEqual([600, 400, 300]);
    expect(slicesByRows([], nG, () => 1)).toEqual([]);
  });

  it('makes a bucket whose rows alone exceed the bound a slice of its own, to be ranked (a month in one bucket)', () => {
    const nG = 10;
    // Bucket 0: ten groups of 100 rows (1,000 > 250); bucket 1: two groups of 100; bucket 2: one group of 900.
    const keys = [...Array.from({ length: 10 }, (_, g) => g), 10, 11, 20];
    const rows = (k: number) => (k === 20 ? 900 : 100);
    expect(slicesByRows(keys, nG, rows, 250)).toEqual([
      { keys: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], over: true },
      { keys: [10, 11] },
      { keys: [20], over: true },
    ]);
  });

  it('gives exact type-7 percentiles of a bucket ranked by counting, when its rows exceed the bound of one query', async () => {
    // Four endpoints, two regions each, two hours, two results per series and hour: 8 rows per endpoint and day,
    // 32 in the day's bucket (over the bound), so the bucket's four group-buckets are ranked together.
    const s = await DuckDBStore.open({
      path: ':memory:',
      timezone: 'UTC',
      rawRetentionDays: 3650,
      exactLimits: { sliceRows: 8 },
    });
    const rows: { t: number; latency: number; tags: Record<string, string> }[] = [];
    let k = 0;
    for (const endpoint of ['a', 'b', 'c', 'd'])
      for (const region of ['x', 'y'])
        for (let h = 0; h < 2; h++)
          for (let i = 0; i < 2; i++)
            rows.push({ t: T0 + h * HOUR + i * 1000, latency: ((k++ * 37) % 101) + 0.5, tags: { endpoint, region } });
    await s.write(batchOf(rows));
    await s.rollup(T0 + 3 * HOUR);
    const day = Date.UTC(2026, 10, 21);
    const got = await s.aggregate({
      period: 'day',
      tz: 'UTC',
      boundaries: [day, day + 24 * HOUR],
      filters: {},
      groupBy: ['endpoint'],
      metric: 'latency_ms',
    });
    expect(got.groups.map((g) => g.group.endpoint)).toEqual(['a', 'b', 'c', 'd']);
    for (const g of got.groups) {
      const values = rows.filter((r) => r.tags.endpoint === g.group.endpoint).map((r) => r.latency);
      const b = g.buckets[0]!;
      expect(b.testCount).toBe(8);
      expect([b.p50, b.p95, b.p99]).toEqual([0.5, 0.95, 0.99].map((q) => type7(values, q)));
    }
    await s.close();
  });

  it('gives exact type-7 percentiles of a group-bucket over the bound by counting ranks (ties, signs, extremes)', async () => {
    // sliceRows 4: every group-bucket below holds more, so its values are ranked by histogram passes and at most
    // one value is read at a time (fetchLimit 1), the deepest path. Values drawn so that ties, negative values and
    // magnitudes near the ends of the double range all occur.
    const s = await DuckDBStore.open({
      path: ':memory:',
      timezone: 'UTC',
      rawRetentionDays: 3650,
      exactLimits: { sliceRows: 4 },
    });
    const pools: Record<string, (i: number) => number> = {
      spread: (i) => ((i * 7919) % 1009) / 7 - 40,
      ties: (i) => [3, 3, 3, 5, 5, 8][i % 6]!,
      same: () => 2.5,
      extremes: (i) =>
        i % 50 === 1 ? -1.7e308 : [1.7e308, 1e-300, 0, 1e300, 4.9e-324, -3][i % 6]! * (1 + (i % 5) / 100),
      heavy: (i) => (i % 50 === 0 ? 1e9 : 100 + (i % 3) * 1e-9),
    };
    const rows: { t: number; latency: number; metrics: Record<string, number>; tags: Record<string, string> }[] = [];
    for (const [endpoint, f] of Object.entries(pools))
      for (let i = 0; i < 301; i++)
        rows.push({ t: T0 + i * 10_000, latency: 1, metrics: { v: f(i) }, tags: { endpoint } });
    await s.write(batchOf(rows));
    await s.rollup(T0 + 2 * HOUR);
    for (const period of ['hour', 'day'] as const) {
      const got = await s.aggregate({
        period,
        tz: 'UTC',
        boundaries: period === 'hour' ? [T0, T0 + HOUR, T0 + 2 * HOUR] : [T0, T0 + 24 * HOUR],
        filters: {},
        groupBy: ['endpoint'],
        metric: 'v',
      });
      expect(got.groups.map((g) => g.group.endpoint).sort()).toEqual(Object.keys(pools).sort());
      for (const g of got.groups) {
        for (const b of g.buckets) {
          const lo = period === 'hour' ? T0 + b.bucket * HOUR : T0;
          const hi = period === 'hour' ? lo + HOUR : T0 + 24 * HOUR;
          const values = rows
            .filter((r) => r.tags.endpoint === g.group.endpoint && r.t >= lo && r.t < hi)
            .map((r) => r.metrics.v!);
          expect(b.n).toBe(values.length);
          expect([b.p50, b.p95, b.p99], `${g.group.endpoint} ${period} ${b.bucket}`).toEqual(
            [0.5, 0.95, 0.99].map((q) => type7(values, q)),
          );
        }
      }
    }
    await s.close();
  });

  it('replaces a point written again after a reopen, and in a write whose other points are all new', async () => {
    const path = tempDb();
    let s = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
    await s.write(
      batchOf([
        { t: T0, latency: 1, tags: { endpoint: 'a' } },
        { t: T0 + 1000, latency: 2, tags: { endpoint: 'a' } },
      ]),
    );
    await s.close();
    s = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
    try {
      // The latest stored time of each series is read at open: the retried point is looked up, not appended twice.
      await s.write(
        batchOf([
          { t: T0 + 1000, latency: 5, tags: { endpoint: 'a' } },
          { t: T0 + 2000, latency: 7, tags: { endpoint: 'b' } },
        ]),
      );
      const page = await s.results({ start: 0, stop: 1e16, filters: { endpoint: ['a'] }, limit: 10 });
      expect(page.results.map((r) => r.latency_ms)).toEqual([5, 1]);
    } finally {
      await s.close();
    }
  });

  it('keeps data, series, watermarks and dirty marks across a reopen of the file', async () => {
    const path = tempDb();
    let s = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
    await s.write(batchOf([{ t: T0, latency: 1, tags: { endpoint: 'a' } }]));
    await s.rollup(LATER);
    await s.write(batchOf([{ t: T0 + 1000, latency: 3, tags: { endpoint: 'a' } }])); // late: marks the hour dirty
    await s.close();
    s = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
    expect((await s.status(LATER)).dirtyHours).toBe(1);
    const q = () =>
      aggregatesCached(
        s,
        {
          period: 'hour',
          tz: 'UTC',
          start: T0,
          stop: T0 + HOUR,
          groupBy: ['endpoint'],
          filters: {},
          metric: 'latency_ms',
          fill: false,
        },
        LATER,
      );
    expect((await q()).series[0]!.buckets[0]!.stats).toMatchObject({ count: 2, mean: 2 });
    await s.rollup(LATER);
    expect((await s.status(LATER)).dirtyHours).toBe(0);
    expect((await q()).series[0]!.buckets[0]!.stats).toMatchObject({ count: 2, mean: 2 });
    // New series get new ids after a reopen.
    await s.write(batchOf([{ t: T0, latency: 5, tags: { endpoint: 'b' } }]));
    expect((await q()).series.map((x) => x.group.endpoint)).toEqual(['a', 'b']);
    await s.close();
  });

  it('reads back tags, metric names and error texts that begin with U+FEFF whole, also after a reopen', async () => {
    // The driver decoded every string with a TextDecoder that took a leading U+FEFF for a byte-order mark and
    // dropped it (found by test/e2e/fuzz-soak.test.ts).
    const path = tempDb();
    let s = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
    const b = new WriteBatch();
    b.addResult(
      makeSeries('test_result', { '\ufeffkey': '\ufeffvalue' }),
      T0 * 1000,
      false,
      1,
      { '\ufeffm': 2 },
      '\ufeffboom',
      '\ufefftype',
    );
    await s.write(b);
    const expected = [
      {
        time: T0 * 1000,
        success: false,
        latency_ms: 1,
        metrics: { '\ufeffm': 2 },
        error: '\ufeffboom',
        error_type: '\ufefftype',
        tags: { '\ufeffkey': '\ufeffvalue' },
      },
    ];
    expect((await s.results({ start: 0, stop: 1e16, filters: {}, limit: 10 })).results).toEqual(expected);
    await s.close();
    s = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
    expect((await s.results({ start: 0, stop: 1e16, filters: {}, limit: 10 })).results).toEqual(expected);
    expect((await s.series({ start: 0, stop: 1e16, filters: {}, limit: 10 })).map((x) => x.tags)).toEqual([
      { '\ufeffkey': '\ufeffvalue' },
    ]);
    await s.close();
  });

  it('aggregates and rolls up metric values whose variance leaves the double range, with a null stddev', async () => {
    // DuckDB's var_pop failed the statement ("VARPOP is out of range"): the aggregate answered 500 and the rollup
    // stopped at that hour (found by test/e2e/fuzz-soak.test.ts).
    const s = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    try {
      const values = [1e200, -1e200, 1, 2];
      await s.write(
        batchOf(
          values.map((v, i) => ({ t: T0 + i * 1000, latency: i, metrics: { throughput: v }, tags: { endpoint: 'a' } })),
        ),
      );
      const q = async (metric: string, period: 'hour' | 'day') =>
        (
          await aggregatesCached(
            s,
            { period, tz: 'UTC', start: T0, stop: T0 + HOUR, groupBy: [], filters: {}, metric, fill: false },
            LATER,
          )
        ).series[0]!.buckets[0]!.stats;
      const raw = await q('throughput', 'hour');
      expect(raw).toMatchObject({ count: 4, min: -1e200, max: 1e200, stddev: null });
      expect((await q('latency_ms', 'hour'))!.stddev).toBeCloseTo(Math.sqrt(1.25), 12);
      await s.rollup(LATER);
      expect((await s.status(LATER)).rollupLagSeconds).toBe(0);
      expect(await q('throughput', 'hour')).toEqual(raw);
      expect(await q('throughput', 'day')).toMatchObject({ count: 4, min: -1e200, max: 1e200, stddev: null });
      expect((await q('latency_ms', 'day'))!.stddev).toBeCloseTo(Math.sqrt(1.25), 12);
    } finally {
      await s.close();
    }
  });

  it('lists many series in the order of their keys (measurement, then sorted tags), up to the limit', async () => {
    const s = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    try {
      const b = batchOf(
        Array.from({ length: 3000 }, (_, i) => ({
          t: T0 + i,
          latency: 1,
          tags: { endpoint: `e${(i * 7919) % 3000}`, ...(i % 3 ? { region: `r${i % 7}` } : {}) },
        })),
      );
      for (let i = 0; i < 50; i++)
        b.addBreaker(makeSeries('circuit_breaker', { breaker: `b${(i * 31) % 50}` }), (T0 + i) * 1000, 'open', null);
      await s.write(b);
      const all = await s.series({ start: 0, stop: 1e16, filters: {}, limit: 100_000 });
      const key = (x: SeriesInfo) => seriesKey(x.measurement, x.tags);
      expect(all).toHaveLength(3050);
      expect(all.map(key)).toEqual(all.map(key).sort());
      expect(await s.series({ start: 0, stop: 1e16, filters: {}, limit: 10 })).toEqual(all.slice(0, 10));
    } finally {
      await s.close();
    }
  });

  it('rebuilds daily rollups for a new time zone from raw data', async () => {
    const path = tempDb();
    let s = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
    await s.write(batchOf([{ t: Date.UTC(2026, 10, 21, 23, 30), latency: 1 }]));
    await s.rollup(LATER);
    await s.close();
    const warnings: string[] = [];
    s = await DuckDBStore.open({
      path,
      timezone: 'Europe/Berlin',
      rawRetentionDays: 3650,
      warn: (m) => warnings.push(m),
    });
    expect(warnings[0]).toMatch(/rebuilding them for Europe\/Berlin/);
    await s.rollup(LATER);
    const r = await aggregatesCached(
      s,
      {
        period: 'day',
        tz: 'Europe/Berlin',
        start: Date.UTC(2026, 10, 20),
        stop: Date.UTC(2026, 10, 24),
        groupBy: [],
        filters: {},
        metric: 'latency_ms',
        fill: false,
      },
      LATER,
    );
    expect(r.series[0]!.buckets.map((b) => b.start)).toEqual(['2026-11-21T23:00:00Z']);
    await s.close();
  });

  it('refuses a write that would exceed the series limit and writes none of it', async () => {
    const s = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650, maxSeries: 3 });
    await s.write(
      batchOf([
        { t: T0, tags: { id: '1' } },
        { t: T0, tags: { id: '2' } },
      ]),
    );
    await expect(
      s.write(
        batchOf([
          { t: T0, tags: { id: '1' } },
          { t: T0, tags: { id: '3' } },
          { t: T0, tags: { id: '4' } },
        ]),
      ),
    ).rejects.toThrow(/beyond the limit of 3/);
    const page = await s.results({ start: 0, stop: 1e16, filters: {}, limit: 100 });
    expect(page.results).toHaveLength(2);
    await s.close();
  });

  it('refuses a delete that reaches series data before the raw floor (only rollups there), and cuts one that reaches none there', async () => {
    const DAY = 24 * HOUR;
    const now = Date.UTC(2026, 10, 30, 12);
    const s = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    try {
      await s.write(
        batchOf([
          { t: now - 10 * DAY, latency: 1, tags: { worker: 'old' } },
          { t: now - DAY, latency: 2, tags: { worker: 'old' } },
          { t: now - DAY, latency: 3, tags: { worker: 'live' } },
        ]),
      );
      await s.cleanup({ rawDays: 5, hourlyDays: 30, dailyDays: 0 }, now);
      const floor = Date.UTC(2026, 10, 25);
      await expect(s.delete({ start: 0, stop: now * 1000, tags: { worker: 'old' }, nowMs: now })).rejects.toMatchObject(
        {
          code: 'invalid',
          message: expect.stringMatching(
            /"start" is before 2026-11-25T00:00:00Z: raw results before it were deleted by retention/,
          ),
          details: { parameter: 'start' },
        },
      );
      // Nothing of the refused delete happened.
      expect((await s.results({ start: 0, stop: 1e16, filters: { worker: ['old'] }, limit: 10 })).results).toHaveLength(
        1,
      );
      // From the floor on it deletes; a series with no data before the floor may name an earlier start.
      expect(await s.delete({ start: floor * 1000, stop: now * 1000, tags: { worker: 'old' }, nowMs: now })).toEqual({
        resultsDeleted: 1,
        breakerEventsDeleted: 0,
        seriesDeleted: 0,
      });
      expect(await s.delete({ start: 0, stop: now * 1000, tags: { worker: 'live' }, nowMs: now })).toEqual({
        resultsDeleted: 1,
        breakerEventsDeleted: 0,
        seriesDeleted: 1,
      });
    } finally {
      await s.close();
    }
  });

  it('cleanup removes series with no data left at any level; they stop counting against the limit and can come back', async () => {
    const path = tempDb();
    const DAY = 24 * HOUR;
    const now = Date.UTC(2026, 10, 30, 12);
    const open = () => DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650, maxSeries: 3 });
    let s = await open();
    await s.write(
      batchOf([
        { t: now - 10 * DAY, latency: 1, tags: { worker: 'old-1' } },
        { t: now - 10 * DAY, latency: 1, tags: { worker: 'old-2' } },
        { t: now - DAY, latency: 2, tags: { worker: 'live' } },
      ]),
    );
    await expect(s.write(batchOf([{ t: now - 60_000, tags: { worker: 'new' } }]))).rejects.toThrow(
      /beyond the limit of 3/,
    );
    // Raw rows gone but hourly rollups kept: the series still have data.
    expect((await s.cleanup({ rawDays: 5, hourlyDays: 30, dailyDays: 0 }, now)).seriesDeleted).toBe(0);
    expect((await s.cleanup({ rawDays: 5, hourlyDays: 5, dailyDays: 5 }, now)).seriesDeleted).toBe(2);
    await s.write(
      batchOf([
        { t: now - 60_000, latency: 3, tags: { worker: 'new' } },
        { t: now - 60_000, latency: 4, tags: { worker: 'old-1' } },
      ]),
    );
    await s.close();
    s = await open();
    const agg = await aggregatesCached(
      s,
      {
        period: 'day',
        tz: 'UTC',
        start: now - 20 * DAY,
        stop: now,
        groupBy: ['worker'],
        filters: {},
        metric: 'latency_ms',
        fill: false,
      },
      now,
    );
    expect(agg.series.map((x) => [x.group.worker, x.buckets.map((b) => b.stats!.mean)])).toEqual([
      ['live', [2]],
      ['new', [3]],
      ['old-1', [4]],
    ]);
    expect((await s.status(now)).seriesCount).toBe(3);
    await s.close();
  });

  it('rolls up again in one run only the hours dirty when it began; hours dirtied meanwhile wait for the next run', async () => {
    const s = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const at = (h: number, latency: number) => batchOf([{ t: T0 + h * HOUR + 1000, latency, tags: { endpoint: 'a' } }]);
    await s.write(batchOf([0, 1, 2].map((h) => ({ t: T0 + h * HOUR, latency: 1, tags: { endpoint: 'a' } }))));
    await s.rollup(T0 + 3 * HOUR);
    await s.write(at(0, 2)); // hour 0 dirty
    // The run reads what is dirty first; the write below is taken before its first step, and dirties hour 1.
    const run = s.rollup(T0 + 3 * HOUR);
    await s.write(at(1, 3));
    expect((await run).hoursRolledUp).toBe(1);
    const hours = await s.aggregate({
      period: 'hour',
      tz: 'UTC',
      boundaries: [0, 1, 2, 3].map((h) => T0 + h * HOUR),
      filters: {},
      groupBy: [],
      metric: 'latency_ms',
    });
    expect(hours.final).toEqual([0, 2]); // hour 1 waits for the next run, and is read from raw data meanwhile
    expect(hours.groups[0]!.buckets.map((b) => b.testCount)).toEqual([2, 2, 1]);
    expect((await s.rollup(T0 + 3 * HOUR)).hoursRolledUp).toBe(1);
    await s.close();
  });

  it('stores every column of a write that spans many data chunks as it was written', async () => {
    const s = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const n = 9000; // more than four chunks of 2,048 rows, past a flush of 8,192
    const b = new WriteBatch();
    const series = [0, 1, 2].map((i) => makeSeries('test_result', { endpoint: `e${i}` }));
    for (let i = 0; i < n; i++) {
      const ok = i % 7 !== 0;
      const metrics =
        i % 5 === 0 ? null : Object.fromEntries(Array.from({ length: i % 4 }, (_, k) => [`m${k}`, i + k / 8]));
      b.addResult(
        series[i % 3]!,
        (T0 + i) * 1000 + (i % 1000),
        ok,
        i % 11 === 0 ? null : i / 4,
        metrics && Object.keys(metrics).length > 0 ? metrics : null,
        ok ? null : `failed ${i}`,
        ok || i % 2 === 0 ? null : 'http_500',
      );
    }
    await s.write(b);
    const stored = [];
    let cursor: string | undefined;
    do {
      const page = await s.results({
        start: 0,
        stop: 1e16,
        filters: {},
        limit: 5000,
        ...(cursor ? { cursor } : {}),
      });
      stored.push(...page.results);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const want = storedForm(b);
    const byTime = (x: { time: number }, y: { time: number }) => x.time - y.time;
    expect(stored.sort(byTime)).toEqual(want.sort(byTime));
    await s.close();
  });

  it('rolls back a whole batch when the database refuses part of it', async () => {
    const s = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const b = new WriteBatch();
    const ser = makeSeries('test_result', { endpoint: 'x' });
    b.addResult(ser, T0 * 1000, true, 1, null, null, null);
    // A timestamp DuckDB cannot represent makes the append fail after the first row was appended.
    b.addResult(ser, 1e20, true, 2, null, null, null);
    await expect(s.write(b)).rejects.toThrow();
    expect((await s.results({ start: 0, stop: 1e16, filters: {}, limit: 10 })).results).toHaveLength(0);
    expect(await s.series({ start: 0, stop: 1e16, filters: {}, limit: 10 })).toHaveLength(0);
    await s.write(batchOf([{ t: T0, latency: 1, tags: { endpoint: 'x' } }]));
    expect((await s.results({ start: 0, stop: 1e16, filters: {}, limit: 10 })).results).toHaveLength(1);
    await s.close();
  });
});
