import { describe, expect, it } from 'vitest';
import { batchWith, type FullRow, request, result, storePerTest } from '../../test/support/analysis-helpers.js';
import { DAY } from '../../test/support/helpers.js';
import { classifyFlaky, type FlakyOptions, findIncidents, flakyTestsRunner } from './flaky-tests.js';

const T0 = Date.UTC(2026, 10, 1);
const MIN = 60_000;
const base: FlakyOptions = {
  groupBy: [],
  ignoreTags: ['worker'],
  brokenStreak: 5,
  minRuns: 5,
  flipRate: 0.3,
  incidentBuckets: new Set(),
  bucketUs: 60_000_000,
  limit: 100,
};
/** Runs of one test from a string of P (pass) and F (fail), one per minute. */
const seq = (s: string, tags: Record<string, string> = { test: 'x' }, offset = 0) =>
  [...s].map((c, i) => result(T0 + (offset + i) * MIN, c === 'P', tags));

describe('classifyFlaky (pure)', () => {
  it('computes the flip rate and calls an alternating test flaky', () => {
    const r = classifyFlaky(seq('PFPFPFPFPF'), base);
    expect(r.tests).toHaveLength(1);
    expect(r.tests[0]).toMatchObject({
      status: 'flaky',
      runs: 10,
      failures: 5,
      transitions: 9,
      flip_rate: 1,
      transitions_last_10: 9,
      series: { test: 'x' },
    });
    expect(r.tests[0]).toMatchObject({ consecutive_failures: 1, consecutive_passes: 0, last_success: false });
  });

  it('calls a test broken after five failures in a row, or at 95 % failures over 10+ runs', () => {
    const streak = classifyFlaky(seq('PPPPPPPPPPFFFFF'), base).tests[0]!;
    expect(streak).toMatchObject({ status: 'broken', consecutive_failures: 5, failures: 5, transitions: 1 });
    expect(streak.flip_rate).toBeCloseTo(1 / 14, 12);
    const rate = classifyFlaky(seq(`${'F'.repeat(19)}P`), base).tests[0]!;
    expect(rate).toMatchObject({ status: 'broken', consecutive_failures: 0, failure_rate: 0.95 });
    expect(classifyFlaky(seq('PPPPPPPPPPFFFF'), base).tests).toEqual([]); // four in a row: not yet
    expect(classifyFlaky(seq(`${'F'.repeat(18)}PP`), base).tests).toEqual([]); // 90 %, one transition: fixed, not flaky
  });

  it('uses three transitions in the last 10 runs when the overall flip rate is low', () => {
    const t = classifyFlaky(seq(`${'P'.repeat(30)}PFFPPFPPPP`), base).tests[0]!;
    expect(t.transitions).toBe(4);
    expect(t.flip_rate).toBeCloseTo(4 / 39, 12);
    expect(t).toMatchObject({ status: 'flaky', transitions_last_10: 4, consecutive_passes: 4 });
    // Two transitions, flip rate 2/9: healthy.
    expect(classifyFlaky(seq('PPPPPPPPFP'), base).tests).toEqual([]);
    // Too few runs to judge.
    expect(classifyFlaky(seq('PFPF'), base).tests).toEqual([]);
  });

  it.each([
    ['PPPPPPPPPFPPPPPPPPPP', 0], // both transitions before or across the edge of the last 10 runs
    ['PPPPPPPPPPFPPPPPPPPP', 1], // one across the edge (runs 10 and 11), one inside
    ['PPPPPPPPPPPFPPPPPPPP', 2], // both inside
  ])('counts transitions between the last 10 runs only: %s has %i', (runs, last10) => {
    const t = classifyFlaky(seq(runs), { ...base, flipRate: 0.01 }).tests[0]!;
    expect(t).toMatchObject({ transitions: 2, transitions_last_10: last10 });
  });

  it('keeps configurations apart by every tag but the worker, or by group_by', () => {
    // Hardware a always passes, b always fails; workers alternate.
    const rows = Array.from({ length: 20 }, (_, i) =>
      result(T0 + i * MIN, i % 2 === 0, { test: 'x', hardware: i % 2 === 0 ? 'a' : 'b', worker: `w${i % 3}` }),
    );
    const r = classifyFlaky(rows, base);
    expect(r.configurations).toBe(2);
    expect(r.tests).toEqual([
      expect.objectContaining({ series: { hardware: 'b', test: 'x' }, status: 'broken', runs: 10 }),
    ]);
    const merged = classifyFlaky(rows, { ...base, groupBy: ['test'] });
    expect(classifyFlaky(rows, { ...base, ignoreTags: ['worker', 'hardware'] }).tests).toEqual(merged.tests);
    expect(merged.tests).toEqual([
      expect.objectContaining({ series: { test: 'x' }, status: 'flaky', runs: 20, flip_rate: 1 }),
    ]);
  });

  it('leaves out runs in incident buckets and counts them', () => {
    const rows = seq('PPPPPPPPPPFFFFF');
    const incident = new Set([10, 11, 12, 13, 14].map((i) => (T0 + i * MIN) * 1000));
    const r = classifyFlaky(rows, { ...base, incidentBuckets: incident });
    expect(r.tests).toEqual([]);
    expect(r.excluded_runs).toBe(5);
  });

  it('finds incident buckets: enough runs and more than 80 % failed', () => {
    const b = [
      { start: 1, runs: 10, failures: 9 },
      { start: 2, runs: 10, failures: 8 }, // exactly 80 %: not more than
      { start: 3, runs: 9, failures: 9 }, // too few runs
    ];
    expect(findIncidents(b, 10, 0.8).map((x) => x.start)).toEqual([1]);
  });
});

describe('flaky-tests runner on a DuckDB store', () => {
  const newStore = storePerTest();

  it('finds the flaky and the broken test and ignores an outage at the end of the window', async () => {
    const store = await newStore();
    const rows: FullRow[] = [];
    const names = Array.from({ length: 12 }, (_, i) => `t${i}`);
    for (let m = 0; m < 40; m++) {
      for (const [k, test] of names.entries()) {
        let ok = true;
        if (test === 't0') ok = m % 2 === 0; // flaky
        if (test === 't1') ok = m < 25; // broken since minute 25
        if (m >= 35) ok = false; // outage: everything fails in the last 5 minutes
        rows.push({
          t: T0 + m * MIN + k * 1000,
          success: ok,
          tags: { test, worker: `w${(m + k) % 4}` },
          error: ok ? null : 'x',
        });
      }
    }
    await store.write(batchWith(rows));
    const now = T0 + DAY;
    const res = await flakyTestsRunner({ store, now }, request(T0, T0 + HOUR_MS));
    const tests = res.tests;
    expect(tests.map((t) => [t.series.test, t.status])).toEqual([
      ['t1', 'broken'],
      ['t0', 'flaky'],
    ]);
    expect(tests[0]!.runs).toBe(35);
    expect(tests[1]).toMatchObject({ runs: 35, excluded_runs: 5, flip_rate: 1 });
    expect(res.incidents).toMatchObject({ count: 5 });
    expect(res.summary).toMatchObject({ runs_read: 480, configurations: 12, excluded_runs: 60 });

    // Without the guard, the outage makes every test look broken.
    const unguarded = await flakyTestsRunner(
      { store, now },
      request(T0, T0 + HOUR_MS, { options: { incident_failure_rate: '1' } }),
    );
    expect((unguarded.tests as unknown[]).length).toBe(12);

    // A filter on one test still sees the outage across the other tests.
    const one = await flakyTestsRunner({ store, now }, request(T0, T0 + HOUR_MS, { filters: { test: ['t0'] } }));
    // Keeping the worker in the configuration splits t0 over its 4 workers (each alternating at its own pace).
    const perWorker = await flakyTestsRunner(
      { store, now },
      request(T0, T0 + HOUR_MS, { filters: { test: ['t0'] }, options: { ignore_tags: '' } }),
    );
    expect((perWorker.summary as { configurations: number }).configurations).toBe(4);
    expect((one.tests as { series: unknown; runs: number }[]).map((t) => [t.series, t.runs])).toEqual([
      [{ test: 't0' }, 35],
    ]);
  });

  it('counts transitions between the last 10 runs only, from hourly summaries merged across an hour', async () => {
    const store = await newStore();
    const cases: [string, string, number][] = [
      ['a', 'PPPPPPPPPFPPPPPPPPPP', 0],
      ['b', 'PPPPPPPPPPFPPPPPPPPP', 1],
      ['c', 'PPPPPPPPPPPFPPPPPPPP', 2],
    ];
    // One run every 6 minutes: runs 0-9 in the first hour, 10-19 in the second, so the last 10 are one hour's.
    const rows = cases.flatMap(([test, runs], k) =>
      [...runs].map(
        (c, i): FullRow => ({
          t: T0 + i * 6 * MIN + k * 1000,
          success: c === 'P',
          tags: { test },
          error: c === 'P' ? null : 'x',
        }),
      ),
    );
    await store.write(batchWith(rows));
    await store.rollup(T0 + 3 * HOUR_MS);
    const res = await flakyTestsRunner(
      { store, now: T0 + DAY },
      request(T0, T0 + 2 * HOUR_MS, { options: { flip_rate: '0.01' } }),
    );
    const got = res.tests.map((t) => [t.series.test, t.transitions, t.transitions_last_10]).sort();
    expect(got).toEqual(cases.map(([test, , last10]) => [test, 2, last10]));
  });

  it('rejects bad options by name', async () => {
    const store = await newStore();
    await expect(
      flakyTestsRunner({ store, now: T0 }, request(T0, T0 + DAY, { options: { flip_rate: '2' } })),
    ).rejects.toMatchObject({
      code: 'invalid',
      details: { parameter: 'flip_rate' },
    });
    await expect(
      flakyTestsRunner({ store, now: T0 }, request(T0, T0 + DAY, { options: { broken_streak: '2.5' } })),
    ).rejects.toThrow(/whole number/);
  });
});

const HOUR_MS = 3_600_000;
