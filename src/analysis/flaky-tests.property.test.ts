// Property: flaky-tests read from the store's run summaries (hourly summaries where rolled up, raw rows for
// partial, late-written and open hours, other configuration rules, and incident hours) answers exactly as a direct
// classification of the raw runs of the window, for windows that start and end inside an hour.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FullRow, lastWritten, request, storeWithLateWrites } from '../../test/support/analysis-helpers.js';
import { HOUR } from '../../test/support/helpers.js';
import { bucketOf, classifyFlaky, DEFAULT_IGNORE_TAGS, type FlakyResult, flakyTestsRunner } from './flaky-tests.js';

const BASE = Date.UTC(2026, 10, 2, 0);
const SPAN_H = 8;

const rowArb = fc.record({
  // Half of the runs crowd into a few minutes at hour edges, where pieces meet and ties are common.
  minute: fc.oneof(fc.integer({ min: 0, max: SPAN_H * 60 - 1 }), fc.constantFrom(0, 1, 59, 60, 61, 119, 120, 179, 180)),
  // Few distinct seconds, so runs of one configuration often share a timestamp (ties are ordered failures first).
  second: fc.constantFrom(0, 0, 30),
  test: fc.constantFrom('a', 'b'),
  hardware: fc.constantFrom('x', 'x', 'x', 'y'),
  worker: fc.constantFrom('w1', 'w2', 'w3'),
  success: fc.oneof(fc.constant(true), fc.boolean()),
});

const caseArb = fc.record({
  rows: fc.array(rowArb, { minLength: 1, maxLength: 400 }),
  late: fc.array(rowArb, { maxLength: 60 }),
  /** Hours rolled up before the late rows are written (0: none). */
  rollupHours: fc.integer({ min: 0, max: SPAN_H }),
  rollupAgain: fc.boolean(),
  startMin: fc.integer({ min: 0, max: 3 * 60 }),
  startSec: fc.integer({ min: 0, max: 59 }),
  lengthMin: fc.integer({ min: 1, max: SPAN_H * 60 }),
  rule: fc.constantFrom('default', 'default', 'group_by', 'ignore_hardware'),
  filter: fc.constantFrom('none', 'none', 'test', 'worker'),
  incidentSeconds: fc.constantFrom(60, 600, 3600),
  incidentMinRuns: fc.integer({ min: 2, max: 6 }),
  incidentRate: fc.constantFrom(0.5, 0.8, 1),
  brokenStreak: fc.integer({ min: 2, max: 6 }),
  minRuns: fc.integer({ min: 2, max: 6 }),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

const toRows = (rs: Case['rows']): FullRow[] =>
  rs.map((r) => ({
    t: BASE + r.minute * 60_000 + r.second * 1000,
    success: r.success,
    tags: { test: r.test, hardware: r.hardware, worker: r.worker },
    error: r.success ? null : 'boom',
  }));

/** The expected answer from the raw rows alone: incidents judged on whole buckets, then classifyFlaky. */
function direct(
  rows: FullRow[],
  c: Case,
  start: number,
  stop: number,
  filters: Record<string, string[]>,
): FlakyResult & { incidents: number } {
  const matches = (r: FullRow, f: Record<string, string[]>) =>
    Object.entries(f).every(([k, vs]) => vs.includes(r.tags![k]!));
  const { test: _t, ...env } = filters;
  const bucketUs = c.incidentSeconds * 1e6;
  const counts = new Map<number, { runs: number; failures: number }>();
  for (const r of rows) {
    if (!matches(r, env)) continue;
    const b = bucketOf(r.t * 1000, bucketUs);
    const x = counts.get(b) ?? { runs: 0, failures: 0 };
    x.runs++;
    if (!r.success) x.failures++;
    counts.set(b, x);
  }
  const lo = bucketOf(start * 1000, bucketUs);
  const hi = stop * 1000;
  const incidents = new Set<number>();
  for (const [b, x] of counts) {
    if (b < lo || b >= hi) continue;
    if (x.runs >= c.incidentMinRuns && x.failures / x.runs > c.incidentRate) incidents.add(b);
  }
  const inWindow = rows.filter((r) => r.t >= start && r.t < stop && matches(r, filters));
  const res = classifyFlaky(
    inWindow.map((r) => ({ time: r.t * 1000, success: r.success, tags: r.tags! })),
    {
      groupBy: c.rule === 'group_by' ? ['test'] : [],
      ignoreTags: c.rule === 'ignore_hardware' ? ['worker', 'hardware'] : [...DEFAULT_IGNORE_TAGS],
      brokenStreak: c.brokenStreak,
      minRuns: c.minRuns,
      flipRate: 0.3,
      incidentBuckets: incidents,
      bucketUs,
      limit: 10_000,
    },
  );
  return { ...res, incidents: incidents.size };
}

describe('flaky-tests from summaries equals a direct classification (property)', () => {
  it('holds for random runs, rollup states, late writes, windows inside hours, rules, filters and incidents', async () => {
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
          const filters: Record<string, string[]> =
            c.filter === 'test' ? { test: ['a'] } : c.filter === 'worker' ? { worker: ['w1', 'w2'] } : {};
          const options: Record<string, string> = {
            incident_seconds: String(c.incidentSeconds),
            incident_min_runs: String(c.incidentMinRuns),
            incident_failure_rate: String(c.incidentRate),
            broken_streak: String(c.brokenStreak),
            min_runs: String(c.minRuns),
            limit: '10000',
          };
          if (c.rule === 'ignore_hardware') options.ignore_tags = 'worker,hardware';
          const res = await flakyTestsRunner(
            { store, now: BASE + 2 * SPAN_H * HOUR },
            request(start, stop, { filters, options, groupBy: c.rule === 'group_by' ? ['test'] : [] }),
          );
          const want = direct(lastWritten([...first, ...late]), c, start, stop, filters);
          expect(res.tests).toEqual(want.tests);
          expect(res.summary).toMatchObject({
            configurations: want.configurations,
            flagged: want.flagged,
            excluded_runs: want.excluded_runs,
          });
          expect((res.incidents as { count: number }).count).toBe(want.incidents);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 60 },
    );
  }, 300_000);
});
