import { describe, expect, it } from 'vitest';
import { batchOf, HOUR } from '../../test/support/helpers.js';
import { DuckDBStore } from '../store/duckdb/index.js';
import { type AggregateParams, FragmentCache, queryAggregates, queryAggregatesJson } from './index.js';

const T0 = Date.UTC(2026, 10, 21, 10);

describe('serialised aggregates', () => {
  it('sends the same answer as text, cold and from the cache, in pieces of bounded size', async () => {
    const s = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const rows = [];
    for (let h = 0; h < 48; h++) {
      for (const endpoint of ['a', 'b', 'c', 'dd', 'eee', 'f', 'g', 'h'])
        rows.push({
          t: T0 + h * HOUR + 60_000,
          latency: h + endpoint.length,
          success: h % 7 !== 0,
          tags: { endpoint },
        });
    }
    await s.write(batchOf(rows));
    const now = T0 + 48 * HOUR + 30 * 60_000;
    await s.rollup(now);
    const p: AggregateParams = {
      period: 'hour',
      tz: 'UTC',
      start: T0,
      stop: now,
      groupBy: ['endpoint'],
      filters: {},
      metric: 'latency_ms',
      fill: true,
    };
    const objects = await queryAggregates(s, p, now);
    expect(objects.series.map((x) => x.buckets.length)).toEqual(new Array(8).fill(49));
    const cache = new FragmentCache();
    for (let run = 0; run < 3; run++) {
      const chunks = [...(await queryAggregatesJson(s, p, now, cache))];
      expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual(objects);
      expect(chunks.length).toBeGreaterThan(1);
      expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(65_536 + 1000);
    }
    // A late write into a held bucket shows at once, through the text path too.
    await s.write(batchOf([{ t: T0 + 5 * HOUR + 1, latency: 1000, tags: { endpoint: 'b' } }]));
    const after = JSON.parse(
      Buffer.concat([...(await queryAggregatesJson(s, p, now, cache))]).toString(),
    ) as typeof objects;
    const b5 = after.series.find((x) => x.group.endpoint === 'b')!.buckets[5]!;
    expect(b5.test_count).toBe(2);
    expect(b5.stats?.max).toBe(1000);
    expect(after).toEqual(await queryAggregates(s, p, now));
    await s.close();
  });
});

describe('serialised aggregates from held blocks', () => {
  // 72 hours of 6 endpoints; each endpoint skips some hours, so groups differ in which buckets they have.
  const rows: Parameters<typeof batchOf>[0] = [];
  for (let h = 0; h < 72; h++) {
    for (let e = 0; e < 6; e++)
      if ((h + e) % 5 !== 0)
        rows.push({
          t: T0 + h * HOUR + 60_000 * (e + 1),
          latency: 10 + h + e,
          success: (h * e) % 9 !== 0,
          tags: { endpoint: `e${e}` },
        });
  }
  const now = T0 + 72 * HOUR + 30 * 60_000;
  const make = async (extra: Parameters<typeof batchOf>[0] = []): Promise<DuckDBStore> => {
    const s = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    await s.write(batchOf(rows));
    await s.rollup(now);
    if (extra.length) await s.write(batchOf(extra));
    return s;
  };
  const text = async (s: DuckDBStore, p: AggregateParams, cache: FragmentCache): Promise<unknown> =>
    JSON.parse(Buffer.concat([...(await queryAggregatesJson(s, p, now, cache))]).toString());

  it('answers as a store without a cache would, as the window moves, shrinks, grows and data arrives late', async () => {
    const s = await make();
    const cache = new FragmentCache();
    const late = [{ t: T0 + 30 * HOUR + 5, latency: 999, success: false, tags: { endpoint: 'e2' } }];
    const windows: [number, number, boolean][] = [
      [0, 48, false],
      [0, 48, false],
      [5, 53, false],
      [5, 53, false],
      [1, 50, false],
      [24, 73, false],
      [0, 73, true],
      [0, 73, false],
      [-3, 73, false],
      [6, 30, false],
    ];
    for (const [n, [a, b, fill]] of windows.entries()) {
      if (n === 8) await s.write(batchOf(late));
      const p: AggregateParams = {
        period: 'hour',
        tz: 'UTC',
        start: T0 + a * HOUR,
        stop: T0 + b * HOUR,
        groupBy: ['endpoint'],
        filters: {},
        metric: 'latency_ms',
        fill,
      };
      const truth = await make(n >= 8 ? late : []);
      expect(await text(s, p, cache), `window ${n}: hours ${a}..${b}${fill ? ' filled' : ''}`).toEqual(
        await queryAggregates(truth, p, now),
      );
      await truth.close();
    }
    await s.close();
  });
});

describe('FragmentCache', () => {
  const entry = (n: number): Map<string, Buffer> =>
    new Map(Array.from({ length: n }, (_, i) => [`g${i}`, Buffer.from(`{"i":${i}}`)]));

  it('holds at most its bound, dropping the least recently used shapes first', () => {
    const c = new FragmentCache(10);
    c.put('a', '1', [[0, entry(4)]]);
    c.put('b', '1', [[0, entry(4)]]);
    expect(c.groupBuckets).toBe(10);
    c.get('a'); // a is now more recent than b
    c.put('c', '1', [[0, entry(2)]]);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')?.buckets.get(0)?.size).toBe(4);
    expect(c.get('c')?.buckets.get(0)?.size).toBe(2);
    expect(c.groupBuckets).toBe(8);
    // One shape larger than the bound keeps what fits and never exceeds it.
    c.put('d', '1', [
      [0, entry(5)],
      [1, entry(5)],
    ]);
    expect(c.groupBuckets).toBeLessThanOrEqual(10);
    expect(c.get('d')?.buckets.size).toBe(1);
  });

  it('drops a shape held under an older generation', () => {
    const c = new FragmentCache(100);
    c.put('a', '1', [
      [0, entry(3)],
      [1, entry(3)],
    ]);
    c.put('a', '2', [[5, entry(1)]]);
    expect(c.get('a')?.generation).toBe('2');
    expect([...c.get('a')!.buckets.keys()]).toEqual([5]);
    expect(c.groupBuckets).toBe(2);
  });
});
