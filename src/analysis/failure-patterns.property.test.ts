// Property: failure-patterns read from the store's failure summaries (hourly rows where rolled up, raw rows for
// partial, late-written and open hours and for hours cut by a local day start or the window's middle) answers as
// a direct grouping of the raw failed results of the window, for windows that start and end inside an hour, read
// whole or in parts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FullRow, lastWritten, request, storeWithLateWrites } from '../../test/support/analysis-helpers.js';
import { DAY, HOUR } from '../../test/support/helpers.js';
import { failurePatternsIn, fingerprintOfResult, groupFailures } from './failure-patterns.js';

const BASE = Date.UTC(2026, 10, 2, 0);
const SPAN_H = 30;

const MESSAGES = [
  (n: number) => `timeout after ${5000 + n} ms`,
  (n: number) => `connect ECONNREFUSED 10.0.${n % 9}.1:5432`,
  (n: number) => `expected status 200 but got ${n % 2 ? 500 : 503}`,
  (_n: number) => '',
  (n: number) => `AssertionError: expected ${n} items`,
];

const rowArb = fc.record({
  // Two thirds crowd into a few minutes at hour and day edges, where pieces meet and failures share a timestamp.
  minute: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: SPAN_H * 60 - 1 }), weight: 1 },
    { arbitrary: fc.constantFrom(0, 59, 60, 719, 720, 1439, 1440), weight: 2 },
  ),
  second: fc.constantFrom(0, 0, 17),
  worker: fc.constantFrom('w1', 'w2', 'w3'),
  region: fc.constantFrom('eu', 'us'),
  success: fc.boolean(),
  message: fc.integer({ min: 0, max: MESSAGES.length - 1 }),
  n: fc.integer({ min: 0, max: 99 }),
  errorType: fc.constantFrom(null, null, 'HttpError'),
});

const caseArb = fc.record({
  rows: fc.array(rowArb, { minLength: 1, maxLength: 300 }),
  late: fc.array(rowArb, { maxLength: 50 }),
  rollupHours: fc.integer({ min: 0, max: SPAN_H }),
  rollupAgain: fc.boolean(),
  startMin: fc.integer({ min: 0, max: 10 * 60 }),
  startSec: fc.integer({ min: 0, max: 59 }),
  lengthMin: fc.integer({ min: 1, max: SPAN_H * 60 }),
  tz: fc.constantFrom('UTC', 'Asia/Kolkata', 'America/New_York'),
  groupBy: fc.constantFrom<string[]>([], [], ['region']),
  filter: fc.constantFrom('none', 'none', 'region', 'worker'),
  lookbackDays: fc.constantFrom(0, 0.25, 7),
  /** `now` inside the window (the trend stops there) or after it. */
  nowInside: fc.boolean(),
  /** How much of the window one read of summaries covers: all of it (the service's week), or parts of it. */
  partMs: fc.constantFrom(7 * DAY, 0, HOUR, 3 * HOUR),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

const toRows = (rs: Case['rows']): FullRow[] =>
  rs.map((r) => ({
    t: BASE + r.minute * 60_000 + r.second * 1000,
    success: r.success,
    tags: { worker: r.worker, region: r.region, endpoint: 'api' },
    error: r.success ? null : MESSAGES[r.message]!(r.n),
    errorType: r.success ? null : r.errorType,
  }));

describe('failure-patterns from summaries equals a direct grouping (property)', () => {
  it('holds for random failures, rollup states, late writes, windows inside hours, zones, groupings and filters', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const first = toRows(c.rows);
        const late = toRows(c.late);
        const store = await storeWithLateWrites(first, late, {
          base: BASE,
          rollupHours: c.rollupHours,
          rollupAgain: c.rollupAgain,
          until: BASE + SPAN_H * HOUR,
        });
        try {
          const start = BASE + c.startMin * 60_000 + c.startSec * 1000;
          const stop = Math.min(start + c.lengthMin * 60_000, BASE + SPAN_H * HOUR + 1);
          const now = c.nowInside ? Math.floor((start + stop) / 2) + 7 : stop + DAY;
          const filters: Record<string, string[]> =
            c.filter === 'region' ? { region: ['eu'] } : c.filter === 'worker' ? { worker: ['w1', 'w3'] } : {};
          const res = await failurePatternsIn(
            { store, now },
            request(start, stop, {
              tz: c.tz,
              filters,
              groupBy: c.groupBy,
              options: { limit: '1000', lookback_days: String(c.lookbackDays) },
            }),
            c.partMs,
          );

          const all = lastWritten([...first, ...late]).filter((r) =>
            Object.entries(filters).every(([k, vs]) => vs.includes(r.tags![k]!)),
          );
          const asResult = (r: FullRow) => ({
            time: r.t * 1000,
            success: r.success,
            latency_ms: null,
            metrics: null,
            error: r.error ?? null,
            error_type: r.errorType ?? null,
            tags: r.tags!,
          });
          const inWindow = all.filter((r) => r.t >= start && r.t < stop);
          const lookback = c.lookbackDays * DAY;
          const seenBefore =
            c.lookbackDays > 0
              ? new Set(
                  all
                    .filter((r) => !r.success && r.t >= start - lookback && r.t < start)
                    .map((r) => fingerprintOfResult(asResult(r))),
                )
              : undefined;
          const want = groupFailures(inWindow.filter((r) => !r.success).map(asResult), {
            groupBy: c.groupBy,
            tz: c.tz,
            startMs: start,
            endMs: Math.max(start, Math.min(stop, now)),
            limit: 1000,
            ...(seenBefore ? { seenBefore } : {}),
          });
          expect(res.patterns).toEqual(want.patterns);
          expect(res.categories).toEqual(want.categories);
          expect(res.days).toEqual(want.days);
          expect(res.summary).toMatchObject({
            runs: inWindow.length,
            failures: inWindow.filter((r) => !r.success).length,
            patterns_total: want.patterns_total,
          });
        } finally {
          await store.close();
        }
      }),
      { numRuns: 50 },
    );
  }, 300_000);
});
