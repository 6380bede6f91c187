// Buckets older than the raw retention come from the rollup rows. The rows here are what the Flux programs write
// (flux/README.md), computed directly from generated results; they are served as pivoted annotated CSV by a
// loopback /api/v2/query imitation, and the merged answer is checked against statistics of the results themselves.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Expected, expectedOf, type Row, relErr } from '../../../test/support/helpers.js';
import { csv, InfluxImitation } from '../../../test/support/influx-imitation.js';
import { imitationStore } from '../../../test/support/influx-imitation-contract.js';
import { SKETCH_RELATIVE_ERROR, sketchKey } from '../../model/stats.js';
import { DAY_MS, HOUR_MS } from '../../time/buckets.js';
import type { BucketAggregate } from '../types.js';
import type { InfluxStore } from './index.js';

const T0 = Date.UTC(2026, 9, 1); // a day long past the raw retention at NOW
const NOW = Date.UTC(2026, 10, 21, 12);

interface Table {
  measurement: string;
  time: number;
  tags: Record<string, string>;
  fields: Record<string, number>;
  ints: Set<string>;
}

/** The rollup rows of `rows` per series and window of `windowMs`, as the Flux programs write them. */
function rollupRows(rows: Row[], windowMs: number): Table[] {
  const by = new Map<string, Row[]>();
  for (const r of rows) {
    const k = JSON.stringify([Math.floor(r.t / windowMs) * windowMs, r.tags ?? {}]);
    by.set(k, [...(by.get(k) ?? []), r]);
  }
  const out: Table[] = [];
  for (const [k, rs] of by) {
    const [time, tags] = JSON.parse(k) as [number, Record<string, string>];
    const e = expectedOf(rs);
    out.push({
      measurement: 'test_result_counts',
      time,
      tags,
      fields: { test_count: e.test_count, success_count: e.success_count },
      ints: new Set(['test_count', 'success_count']),
    });
    if (e.stats.count > 0) {
      const s = e.stats;
      out.push({
        measurement: 'test_result_stats',
        time,
        tags: { ...tags, metric: 'latency_ms' },
        fields: {
          n: s.count,
          sum: s.mean! * s.count,
          m2: s.stddev! ** 2 * s.count,
          min: s.min!,
          max: s.max!,
          p50: s.p50!,
          p95: s.p95!,
          p99: s.p99!,
        },
        ints: new Set(['n']),
      });
      const bins: Record<string, number> = {};
      for (const r of rs) {
        if (r.latency === null || r.latency === undefined) continue;
        const key = sketchKey(r.latency);
        bins[`c${key}`] = (bins[`c${key}`] ?? 0) + 1;
        bins[`s${key}`] = (bins[`s${key}`] ?? 0) + r.latency;
      }
      out.push({
        measurement: 'test_result_sketch',
        time,
        tags: { ...tags, metric: 'latency_ms' },
        fields: bins,
        ints: new Set(Object.keys(bins).filter((f) => f[0] === 'c')),
      });
    }
  }
  return out;
}

/** Annotated CSV (docs.influxdata.com/influxdb/v2.7/reference/syntax/annotated-csv/): one block per table. */
function toCsv(tables: Table[]): string {
  return tables
    .map((t, i) => {
      const tagKeys = Object.keys(t.tags).sort();
      const fieldKeys = Object.keys(t.fields).sort();
      const cols = ['result', 'table', '_start', '_stop', '_time', '_measurement', ...tagKeys, ...fieldKeys];
      const types = [
        'string',
        'long',
        'dateTime:RFC3339',
        'dateTime:RFC3339',
        'dateTime:RFC3339',
        'string',
        ...tagKeys.map(() => 'string'),
        ...fieldKeys.map((f) => (t.ints.has(f) ? 'long' : 'double')),
      ];
      const group = cols.map((c) =>
        c === '_start' || c === '_stop' || c === '_measurement' || tagKeys.includes(c) ? 'true' : 'false',
      );
      const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
      const row = [
        '',
        String(i),
        iso(0),
        iso(NOW),
        iso(t.time),
        t.measurement,
        ...tagKeys.map((k) => t.tags[k]!),
        ...fieldKeys.map((f) => String(t.fields[f])),
      ];
      return `#group,${group.join(',')}\n#datatype,${types.join(',')}\n#default,_result,${cols
        .slice(1)
        .map(() => '')
        .join(',')}\n,${cols.join(',')}\n,${row.join(',')}\n`;
    })
    .join('\n');
}

let influx: InfluxImitation;
let store: InfluxStore;
beforeEach(async () => {
  influx = await new InfluxImitation().start();
  store = imitationStore(influx, { retention: { rawDays: 7, hourlyDays: 400, dailyDays: 0 }, now: () => NOW });
});
afterEach(async () => {
  await store.close();
  await influx.stop();
});

function serveRollups(rows: Row[], windowMs: number): string[] {
  const all = rollupRows(rows, windowMs);
  const queries: string[] = [];
  influx.queryAnswer = (r, res) => {
    const q = (JSON.parse(r.body) as { query: string }).query;
    queries.push(q);
    // Serve the measurements the query asks for, as InfluxDB would.
    const asked = /contains\(value: r\._measurement, set: \[([^\]]*)\]\)/.exec(q)?.[1] ?? '';
    csv(res, toCsv(all.filter((t) => asked.includes(`"${t.measurement}"`))));
  };
  return queries;
}

function check(b: BucketAggregate, e: Expected, pct: number): void {
  expect(b.testCount).toBe(e.test_count);
  expect(b.successCount).toBe(e.success_count);
  expect(b.n).toBe(e.stats.count);
  expect(relErr(b.sum / b.n, e.stats.mean!)).toBeLessThan(1e-12);
  expect(relErr(Math.sqrt(b.m2 / b.n), e.stats.stddev!)).toBeLessThan(1e-9);
  expect(b.min).toBe(e.stats.min);
  expect(b.max).toBe(e.stats.max);
  for (const k of ['p50', 'p95', 'p99'] as const) expect(relErr(b[k]!, e.stats[k]!), k).toBeLessThanOrEqual(pct);
}

let seed = 11;
const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;

describe('reads beyond the raw retention', () => {
  const rows: Row[] = [];
  for (const endpoint of ['a', 'b', 'c'])
    for (let i = 0; i < 300; i++)
      rows.push({
        t: T0 + Math.floor(rnd() * DAY_MS),
        success: rnd() > 0.1,
        latency: rnd() < 0.05 ? null : 1 + 400 * rnd() ** 2,
        tags: { endpoint },
      });

  it('merges hourly rows of three endpoints into days: moments exactly, percentiles within the sketch bound', async () => {
    const queries = serveRollups(rows, HOUR_MS);
    const r = await store.aggregate({
      period: 'day',
      tz: 'Europe/Berlin',
      boundaries: [T0 - 2 * HOUR_MS, T0 + 22 * HOUR_MS],
      filters: {},
      groupBy: [],
      metric: 'latency_ms',
    });
    // Berlin days are not the store's (UTC) daily rows: read from the hourly bucket, plus a second read with bins.
    expect(queries).toHaveLength(2);
    expect(queries[0]).toContain('from(bucket: "resultant_hourly")');
    expect(queries[1]).toContain('"test_result_sketch"');
    const b = r.groups[0]!.buckets[0]!;
    expect(b.approximate).toBe(true);
    check(b, expectedOf(rows.filter((x) => x.t < T0 + 22 * HOUR_MS)), SKETCH_RELATIVE_ERROR);
  });

  it('reads only what the caller needs: counts rows for counts, no sketch bins for moments', async () => {
    const queries = serveRollups(rows, HOUR_MS);
    const q = {
      period: 'day' as const,
      tz: 'Europe/Berlin',
      boundaries: [T0 - 2 * HOUR_MS, T0 + 22 * HOUR_MS],
      filters: {},
      groupBy: [],
      metric: 'latency_ms',
    };
    const inside = expectedOf(rows.filter((x) => x.t < T0 + 22 * HOUR_MS));
    const counts = await store.aggregate({ ...q, stats: 'counts' });
    expect(queries).toHaveLength(1);
    expect(queries[0]).toContain('set: ["test_result_counts"]');
    expect(counts.groups[0]!.buckets[0]).toMatchObject({
      testCount: inside.test_count,
      successCount: inside.success_count,
      n: 0,
      p95: null,
    });
    const moments = await store.aggregate({ ...q, stats: 'moments' });
    expect(queries).toHaveLength(2); // one more: counts and stats, and no second read of the sketch bins
    expect(queries[1]).toContain('set: ["test_result_counts", "test_result_stats"]');
    const b = moments.groups[0]!.buckets[0]!;
    expect(b.n).toBe(inside.stats.count);
    expect(relErr(Math.sqrt(b.m2 / b.n), inside.stats.stddev!)).toBeLessThan(1e-9);
    expect([b.p50, b.p95, b.p99, b.approximate]).toEqual([null, null, null, false]);
  });

  it('leaves out series without a group-by tag in InfluxDB when skipUntagged', async () => {
    const queries = serveRollups(rows, DAY_MS);
    await store.aggregate({
      period: 'day',
      tz: 'UTC',
      boundaries: [T0, T0 + DAY_MS],
      filters: {},
      groupBy: ['endpoint'],
      metric: 'latency_ms',
      skipUntagged: true,
    });
    expect(queries[0]).toContain('|> filter(fn: (r) => exists r["endpoint"])');
  });

  it('uses the daily rows for days of the store zone, and keeps a single row exact per endpoint', async () => {
    const queries = serveRollups(rows, DAY_MS);
    const r = await store.aggregate({
      period: 'day',
      tz: 'UTC',
      boundaries: [T0, T0 + DAY_MS],
      filters: {},
      groupBy: ['endpoint'],
      metric: 'latency_ms',
    });
    expect(queries).toHaveLength(1); // one row per group-bucket: no bins needed
    expect(queries[0]).toContain('from(bucket: "resultant_daily")');
    expect(r.groups.map((g) => g.group)).toEqual([{ endpoint: 'a' }, { endpoint: 'b' }, { endpoint: 'c' }]);
    for (const g of r.groups) {
      expect(g.buckets[0]!.approximate).toBe(false);
      check(g.buckets[0]!, expectedOf(rows.filter((x) => x.tags!.endpoint === g.group.endpoint)), 1e-12);
    }
  });

  it('says buckets are incomplete when they line up with no rollup (half-hour zone hours)', async () => {
    serveRollups(rows, HOUR_MS);
    const b0 = T0 + 30 * 60_000;
    const r = await store.aggregate({
      period: 'hour',
      tz: 'Asia/Kolkata',
      boundaries: [b0, b0 + HOUR_MS],
      filters: {},
      groupBy: [],
      metric: 'latency_ms',
    });
    expect(r.incompleteBefore).toBe(b0 + HOUR_MS);
    expect(r.groups).toEqual([]);
  });

  it('splits a range at the raw retention: older buckets from rollups, newer ones from raw data', async () => {
    const queries: string[] = [];
    influx.queryAnswer = (r, res) => {
      queries.push((JSON.parse(r.body) as { query: string }).query);
      csv(res, '');
    };
    const day = (d: number) => Date.UTC(2026, 10, d);
    // NOW is 2026-11-21T12:00Z and raw data is kept 7 days: from 2026-11-14T12:00Z on.
    await store.aggregate({
      period: 'day',
      tz: 'UTC',
      boundaries: [day(12), day(13), day(14), day(15), day(16), day(17)],
      filters: {},
      groupBy: [],
      metric: 'latency_ms',
    });
    expect(queries).toHaveLength(2);
    expect(queries[0]).toContain('from(bucket: "resultant_daily")');
    expect(queries[0]).toContain(
      'range(start: time(v: "2026-11-12T00:00:00.000Z"), stop: time(v: "2026-11-15T00:00:00.000Z"))',
    );
    expect(queries[1]).toContain('from(bucket: "resultant")');
    expect(queries[1]).toContain(
      'range(start: time(v: "2026-11-15T00:00:00.000Z"), stop: time(v: "2026-11-17T00:00:00.000Z"))',
    );
  });
});
