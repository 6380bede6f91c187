// Property: for random results, written in two batches around a rollup (so buckets mix rollup rows, raw rows
// and late writes), every aggregate of every period, zone and grouping equals a direct computation from the
// results: counts exactly, mean/min/max/stddev to float rounding, percentiles exactly or within the sketch bound.
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { aggregatesCached } from '../../test/support/aggregates-cached.js';
import { batchOf, expectedOf, type Row, relErr } from '../../test/support/helpers.js';
import { SKETCH_RELATIVE_ERROR } from '../model/stats.js';
import { DuckDBStore } from '../store/duckdb/index.js';

const BASE = Date.UTC(2026, 2, 27, 0); // spans the Europe/Berlin DST change of 2026-03-29
const SPAN_MIN = 4 * 24 * 60;

const rowArb = fc.record({
  minute: fc.integer({ min: 0, max: SPAN_MIN - 1 }),
  second: fc.integer({ min: 0, max: 59 }),
  endpoint: fc.constantFrom('a', 'b', 'c'),
  region: fc.constantFrom('eu', 'us'),
  success: fc.boolean(),
  latency: fc.option(fc.double({ min: 0, max: 2000, noNaN: true }), { nil: null, freq: 5 }),
  throughput: fc.option(fc.double({ min: 1, max: 100, noNaN: true }), { nil: undefined, freq: 2 }),
});

const caseArb = fc.record({
  rows: fc.array(rowArb, { minLength: 1, maxLength: 250 }),
  lateRows: fc.array(rowArb, { maxLength: 40 }),
  storeTz: fc.constantFrom('UTC', 'Europe/Berlin', 'Asia/Kolkata'),
  queryTz: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
  period: fc.constantFrom('hour', 'day', 'week', 'month') as fc.Arbitrary<'hour' | 'day' | 'week' | 'month'>,
  groupBy: fc.subarray(['endpoint', 'region']),
  filterRegion: fc.option(fc.constantFrom('eu', 'us'), { nil: undefined }),
  metric: fc.constantFrom('latency_ms', 'latency_ms', 'throughput'),
  /** Where in the span the rollup runs before the second batch is written: 0 none, 1 everything. */
  rollupAt: fc.constantFrom(0, 0.5, 1),
  /** Whether raw retention then deletes the first half of the raw rows (their rollups keep them, with sketches). */
  cleanup: fc.boolean(),
});

/**
 * The store's memory bound of exact percentiles: the default, or small ones that slice, split buckets by groups and
 * rank group-buckets over the bound by counting. Each is a run of its own, so every one is covered whatever the
 * draws.
 */
const LIMITS = [{ sliceRows: 1_000_000 }, { sliceRows: 10 }, { sliceRows: 2 }, { sliceRows: 1 }];

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function toRows(rs: Case['rows']): Row[] {
  return rs.map((r) => ({
    t: BASE + r.minute * 60_000 + r.second * 1000,
    success: r.success,
    latency: r.latency,
    ...(r.throughput === undefined ? {} : { metrics: { throughput: r.throughput } }),
    tags: { endpoint: r.endpoint, region: r.region },
  }));
}

describe('aggregates equal a direct computation (property)', () => {
  // Sized by case count (PROP_RUNS per limits, default 10), never by time: the limit below only catches a hang, and
  // is generous because a busy 2-core machine runs these cases several times slower than an idle one.
  it.each(LIMITS)(
    'holds for random results, zones, periods, groupings, filters and rollup states (sliceRows $sliceRows)',
    async (limits) => {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const store = await DuckDBStore.open({
            path: ':memory:',
            timezone: c.storeTz,
            rawRetentionDays: 3650,
            exactLimits: limits,
          });
          try {
            const first = toRows(c.rows);
            const late = toRows(c.lateRows);
            await store.write(batchOf(first));
            if (c.rollupAt > 0) await store.rollup(BASE + c.rollupAt * SPAN_MIN * 60_000 + 86_400_000);
            const now = BASE + 60 * 86_400_000;
            let kept = late;
            if (c.cleanup) {
              // Raw rows before about the middle of the span go; rollups are kept far longer.
              const at = BASE + (SPAN_MIN / 2) * 60_000 + 30 * 86_400_000;
              await store.cleanup({ rawDays: 30, hourlyDays: 3650, dailyDays: 0 }, at);
              // The API refuses writes older than the raw retention; so does this test.
              kept = late.filter((r) => r.t * 1000 >= store.oldestWritableTime(at));
            }
            if (kept.length) await store.write(batchOf(kept));
            const all = [...first, ...kept];
            const query = () =>
              aggregatesCached(
                store,
                {
                  period: c.period,
                  tz: c.queryTz,
                  start: BASE - 86_400_000,
                  stop: BASE + SPAN_MIN * 60_000 + 86_400_000,
                  groupBy: c.groupBy,
                  filters: c.filterRegion ? { region: [c.filterRegion] } : {},
                  metric: c.metric,
                  fill: false,
                },
                now,
              );
            const res = await query();
            // A second read (served partly from the store's cache of closed buckets) answers the same.
            expect(await query()).toEqual(res);
            // Direct computation: group, then bucket with luxon's startOf in the query zone.
            const expected = new Map<string, Row[]>();
            for (const r of all) {
              if (c.filterRegion && r.tags!.region !== c.filterRegion) continue;
              const start = DateTime.fromMillis(r.t, { zone: c.queryTz })
                .startOf(c.period)
                .toUTC()
                .toISO({ suppressMilliseconds: true })!;
              const key = JSON.stringify([c.groupBy.map((k) => r.tags![k]), start]);
              const list = expected.get(key) ?? [];
              list.push(r);
              expected.set(key, list);
            }
            // Buckets the service says may be incomplete (raw rows gone, no aligned rollup) are not compared.
            const incomplete = res.warnings ? Date.parse(/before (\S+Z)/.exec(res.warnings[0]!)![1]!) : -Infinity;
            for (const [key] of expected) if (Date.parse(JSON.parse(key)[1]) < incomplete) expected.delete(key);
            let seen = 0;
            for (const s of res.series) {
              for (const b of s.buckets) {
                if (Date.parse(b.start) < incomplete) continue;
                const key = JSON.stringify([c.groupBy.map((k) => s.group[k]), b.start]);
                const rows = expected.get(key);
                expect(rows, `unexpected bucket ${key}`).toBeDefined();
                seen++;
                const e = expectedOf(rows!, c.metric);
                expect(b.test_count).toBe(e.test_count);
                expect(b.success_count).toBe(e.success_count);
                expect(b.stats!.count).toBe(e.stats.count);
                if (e.stats.count === 0) {
                  expect(b.stats!.mean).toBeNull();
                  continue;
                }
                expect(relErr(b.stats!.mean!, e.stats.mean!)).toBeLessThan(1e-9);
                expect(b.stats!.min).toBe(e.stats.min);
                expect(b.stats!.max).toBe(e.stats.max);
                expect(Math.abs(b.stats!.stddev! - e.stats.stddev!)).toBeLessThan(
                  1e-9 * Math.max(1, Math.abs(e.stats.mean!)),
                );
                // Exact (R type 7) unless the answer says the percentiles come from sketches.
                const tolerance = b.stats!.approximate ? SKETCH_RELATIVE_ERROR + 1e-12 : 1e-9;
                for (const p of ['p50', 'p95', 'p99'] as const) {
                  expect(relErr(b.stats![p]!, e.stats[p]!), `${p} ${b.stats![p]} vs ${e.stats[p]}`).toBeLessThanOrEqual(
                    tolerance,
                  );
                }
              }
            }
            expect(seen).toBe(expected.size);
          } finally {
            await store.close();
          }
        }),
        { numRuns: Number(process.env.PROP_RUNS ?? 10), seed: 20261123 + limits.sliceRows, endOnFailure: true },
      );
    },
    300_000,
  );
});
