import { describe, expect, it } from 'vitest';
import { batchWith, type FullRow, request, result, storePerTest } from '../../test/support/analysis-helpers.js';
import { DAY, HOUR } from '../../test/support/helpers.js';
import { AppError } from '../errors.js';
import { fingerprintOf, normaliseMessage } from '../model/fingerprint.js';
import {
  correlateFailures,
  failurePatternsRunner,
  groupFailures,
  HOUR_OF_DAY,
  windowParts,
} from './failure-patterns.js';
import { fisherExactGreater } from './significance.js';

const T0 = Date.UTC(2026, 10, 1);
const MIN = 60_000;

describe('groupFailures (pure)', () => {
  it('groups messages that differ only in numbers, addresses and durations, with first/last seen and breadth', () => {
    const rows = [
      result(T0 + 1 * HOUR, false, { test: 'a', worker: 'w1' }, 'timeout after 5012 ms on 10.0.3.7:8080'),
      result(T0 + 2 * HOUR, false, { test: 'b', worker: 'w2' }, 'timeout after 4980 ms on 10.0.9.1:8080'),
      result(T0 + 3 * HOUR, false, { test: 'a', worker: 'w2' }, 'timeout after 12s on 10.0.9.2:8080'),
      result(T0 + 4 * HOUR, false, { test: 'a', worker: 'w1' }, 'GET /api/v1/items/77 returned 404 Not Found'),
      result(T0 + 5 * HOUR, true, { test: 'a', worker: 'w1' }),
    ];
    const g = groupFailures(rows, { groupBy: [], tz: 'UTC', startMs: T0, endMs: T0 + DAY, limit: 10 });
    expect(g.failures).toBe(4);
    expect(g.patterns.map((p) => [p.category, p.count])).toEqual([
      ['timeout', 3],
      ['not_found', 1],
    ]);
    const t = g.patterns[0]!;
    expect(t.pattern).toBe('timeout after <duration> on <ip>');
    expect(t.fingerprint).toBe(fingerprintOf(null, t.pattern));
    expect(t.first_seen).toBe('2026-11-01T01:00:00Z');
    expect(t.last_seen).toBe('2026-11-01T03:00:00Z');
    expect(t.example).toBe('timeout after 12s on 10.0.9.2:8080'); // the newest
    expect(t.breadth).toMatchObject({ tests: 2, workers: 2, series: 3 });
    expect(t.series).toEqual({}); // no tag shared by all three
    expect(g.patterns[1]!.pattern).toBe('GET <path> returned 404 Not Found');
    expect(g.patterns[1]!.series).toEqual({ test: 'a', worker: 'w1' });
    expect(g.categories).toEqual([
      { category: 'timeout', count: 3, patterns: 1, share: 0.75 },
      { category: 'not_found', count: 1, patterns: 1, share: 0.25 },
    ]);
  });

  it('uses error_type for the category and the fingerprint, and splits by group_by', () => {
    const rows = [
      result(T0, false, { endpoint: 'x' }, 'boom 1', 'PermissionError'),
      result(T0 + 1, false, { endpoint: 'y' }, 'boom 2', 'PermissionError'),
      result(T0 + 2, false, { endpoint: 'y' }, 'boom 3', null),
    ];
    const g = groupFailures(rows, { groupBy: ['endpoint'], tz: 'UTC', startMs: T0, endMs: T0 + DAY, limit: 10 });
    expect(g.patterns).toHaveLength(3);
    expect(
      g.patterns
        .filter((p) => p.category === 'permission')
        .map((p) => p.series.endpoint)
        .sort(),
    ).toEqual(['x', 'y']);
    expect(g.patterns.find((p) => p.error_type === null)!.category).toBe('other');
    const flat = groupFailures(rows, { groupBy: [], tz: 'UTC', startMs: T0, endMs: T0 + DAY, limit: 10 });
    expect(flat.patterns.map((p) => p.count)).toEqual([2, 1]);
  });

  it('orders patterns equal in count and time by their group, whatever order the failures come in', () => {
    const rows = [
      result(T0, false, { region: 'us' }, 'expected status 200 but got 500'),
      result(T0, false, { region: 'eu' }, 'expected status 200 but got 503'),
    ];
    const opts = { groupBy: ['region'], tz: 'UTC', startMs: T0, endMs: T0 + DAY, limit: 10 };
    const regions = (rs: typeof rows) => groupFailures(rs, opts).patterns.map((p) => p.series.region);
    expect(regions(rows)).toEqual(regions([...rows].reverse()));
  });

  it('reports an increasing trend with daily counts when a pattern appears in the second half only', () => {
    const rows = Array.from({ length: 12 }, (_, i) =>
      result(T0 + 3 * DAY + i * HOUR, false, {}, 'disk full on /dev/sda1'),
    );
    const g = groupFailures(rows, { groupBy: [], tz: 'UTC', startMs: T0, endMs: T0 + 4 * DAY, limit: 10 });
    const p = g.patterns[0]!;
    expect(g.days).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04']);
    expect(p.trend).toMatchObject({ direction: 'increasing', first_half: 0, second_half: 12, daily: [0, 0, 0, 12] });
    expect(p.trend.p_value).toBeCloseTo(2 / 4096, 12); // exact binomial, two-sided: 2 * 0.5^12
    const even = groupFailures(
      Array.from({ length: 12 }, (_, i) => result(T0 + i * 8 * HOUR, false, {}, 'x')),
      { groupBy: [], tz: 'UTC', startMs: T0, endMs: T0 + 4 * DAY, limit: 10 },
    );
    expect(even.patterns[0]!.trend.direction).toBe('stable');
  });

  it('keeps the `limit` largest patterns and the `limit` most recent of the rest, and says how many there were', () => {
    // Kind i occurs i + 1 times, first at hour i; kind a (once, at hour 0) is the smallest and oldest.
    const rows = Array.from({ length: 6 }, (_, i) =>
      Array.from({ length: i + 1 }, (_, k) => result(T0 + (i + k) * HOUR, false, {}, `error kind ${'abcdef'[i]}`)),
    ).flat();
    const g = groupFailures(rows, {
      groupBy: [],
      tz: 'UTC',
      startMs: T0,
      endMs: T0 + DAY,
      limit: 2,
      seenBefore: new Set([fingerprintOf(null, 'error kind f')]),
    });
    expect(g.patterns.map((p) => p.count)).toEqual([6, 5, 4, 3]); // f, e by size; then d (hour 3), c (hour 2) by first seen
    expect(g.patterns.map((p) => p.new)).toEqual([false, true, true, true]);
    expect(g.patterns_total).toBe(6);
    expect(normaliseMessage('error kind f')).toBe(g.patterns[0]!.pattern);
  });

  it('lists a new rare failure even behind many larger patterns', () => {
    const rows = Array.from({ length: 5 }, (_, i) =>
      Array.from({ length: 10 }, () => result(T0, false, {}, `old failure ${'abcde'[i]}`)),
    ).flat();
    rows.push(result(T0 + 5 * HOUR, false, {}, 'brand new failure'));
    const g = groupFailures(rows, { groupBy: [], tz: 'UTC', startMs: T0, endMs: T0 + DAY, limit: 3 });
    expect(g.patterns.map((p) => p.pattern)).toContain('brand new failure');
  });

  it('counts a pattern once per failure', () => {
    const rows = Array.from({ length: 5 }, (_, i) =>
      Array.from({ length: i + 1 }, () => result(T0, false, {}, `error kind ${'abcde'[i]}`)),
    ).flat();
    const g = groupFailures(rows, { groupBy: [], tz: 'UTC', startMs: T0, endMs: T0 + DAY, limit: 2 });
    expect(g.patterns.map((p) => p.count)).toEqual([5, 4, 3, 2]);
    expect(g.failures).toBe(15);
  });
});

describe('windowParts (pure)', () => {
  it('cuts a window at cuts into parts of at least the size, the last one shorter, every cut inside kept inside a part', () => {
    const cuts = [30, 10, 20, 40, 50, 55, 70];
    expect(windowParts(0, 60, cuts, 25)).toEqual([
      [0, 30],
      [30, 55],
      [55, 60],
    ]);
    expect(windowParts(0, 60, cuts, 0)).toEqual([
      [0, 10],
      [10, 20],
      [20, 30],
      [30, 40],
      [40, 50],
      [50, 55],
      [55, 60],
    ]);
    expect(windowParts(0, 60, cuts, 100)).toEqual([[0, 60]]);
    expect(windowParts(5, 5, cuts, 1)).toEqual([[5, 5]]);
    expect(windowParts(0, 60, [60, 0], 1)).toEqual([[0, 60]]);
  });
});

describe('correlateFailures (pure)', () => {
  it('flags a value with twice the overall rate, enough runs and a significant corrected p-value, and only it', () => {
    // 200 runs, 42 failures (rate 0.21). w1: 12 of 20 (0.6, lift 2.86). w2: 19 runs, all failed (too few runs).
    // w3: 40 of 100 (0.4, lift 1.9 < 2).
    const r = correlateFailures(
      [
        {
          dimension: 'worker',
          values: [
            { value: 'w1', runs: 20, failures: 12 },
            { value: 'w2', runs: 19, failures: 19 },
            { value: 'w3', runs: 100, failures: 40 },
          ],
        },
      ],
      { runs: 200, failures: 42 },
      { minRuns: 20, minLift: 2, alpha: 0.05 },
    );
    expect(r.tested).toBe(2);
    expect(r.overall_rate).toBeCloseTo(0.21, 12);
    expect(r.correlations).toHaveLength(1);
    const c = r.correlations[0]!;
    expect(c).toMatchObject({ dimension: 'worker', value: 'w1', series: { worker: 'w1' }, runs: 20, failures: 12 });
    expect(c.failure_rate).toBe(0.6);
    // SciPy fisher_exact([[12,8],[30,150]], "greater"), to 1e-9 relative (jStat's ln-gamma is a Lanczos series).
    expect(Math.abs(c.p_value / 6.256675058865305e-5 - 1)).toBeLessThan(1e-9);
    // BH over 2 tests: q = min(p1·2/1, ...) for the smaller p.
    const p3 = fisherExactGreater(40, 60, 2, 98);
    expect(c.q_value).toBeCloseTo(Math.min(c.p_value * 2, Math.max(c.p_value, p3)), 15);
  });

  it('flags nothing when the correction removes a borderline value', () => {
    const values = Array.from({ length: 40 }, (_, i) => ({ value: `w${i}`, runs: 20, failures: i === 0 ? 5 : 2 }));
    const total = { runs: 800, failures: 5 + 39 * 2 };
    const raw = fisherExactGreater(5, 15, 78, 702);
    expect(raw).toBeLessThan(0.05); // significant alone ...
    const r = correlateFailures([{ dimension: 'worker', values }], total, { minRuns: 20, minLift: 2, alpha: 0.05 });
    expect(r.correlations).toEqual([]); // ... but not among 40 tests
  });
});

describe('correlateFailures keeps false alarms rare', () => {
  it('flags no worker in at least 19 of 20 fleets whose workers all fail at the same 10 % rate', () => {
    let seed = 12345;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let alarms = 0;
    for (let s = 0; s < 20; s++) {
      const values = Array.from({ length: 10 }, (_, i) => {
        let failures = 0;
        for (let k = 0; k < 200; k++) if (rand() < 0.1) failures++;
        return { value: `w${i}`, runs: 200, failures };
      });
      const total = { runs: 2000, failures: values.reduce((a, v) => a + v.failures, 0) };
      if (
        correlateFailures([{ dimension: 'worker', values }], total, { minRuns: 20, minLift: 2, alpha: 0.05 })
          .correlations.length
      )
        alarms++;
    }
    expect(alarms).toBeLessThanOrEqual(1);
  });
});

describe('failure-patterns runner on a DuckDB store', () => {
  const newStore = storePerTest();

  it('flags the worker with three times the failure rate of the others and groups its errors', async () => {
    const store = await newStore();
    const rows: FullRow[] = [];
    for (let w = 1; w <= 5; w++) {
      for (let i = 0; i < 240; i++) {
        const k = (i + 7 * w) % 20;
        const fails = w === 3 ? k < 3 : k === 0;
        rows.push({
          t: T0 + i * 6 * MIN + w * 1000,
          success: !fails,
          latency: 10,
          tags: { test: `t${i % 4}`, worker: `w${w}`, region: w % 2 ? 'eu' : 'us' },
          error: fails
            ? w === 3
              ? `connect ECONNREFUSED 10.1.${i % 7}.${w}:5432`
              : `timeout after ${5000 + i} ms`
            : null,
        });
      }
    }
    rows.push({ t: T0 - HOUR, success: false, tags: { worker: 'w1' }, error: 'timeout after 3 ms' }); // before the window
    await store.write(batchWith(rows));
    const res = await failurePatternsRunner({ store, now: T0 + 2 * DAY }, request(T0, T0 + DAY));
    expect(res.kind).toBe('failure-patterns');
    expect(res.start).toBe('2026-11-01T00:00:00Z');
    const corr = res.correlations as {
      dimension: string;
      value: string;
      failure_rate: number;
      overall_rate: number;
      runs: number;
      p_value: number;
    }[];
    expect(corr.map((c) => [c.dimension, c.value])).toEqual([['worker', 'w3']]);
    expect(corr[0]!.runs).toBe(240);
    expect(corr[0]!.failure_rate).toBeCloseTo(36 / 240, 12);
    expect(corr[0]!.overall_rate).toBeCloseTo(84 / 1200, 12);
    expect(corr[0]!.p_value).toBeCloseTo(fisherExactGreater(36, 204, 48, 912), 15);
    const patterns = res.patterns as {
      category: string;
      count: number;
      pattern: string;
      breadth: { workers: number };
    }[];
    expect(patterns.map((p) => [p.category, p.count, p.pattern])).toEqual([
      ['timeout', 48, 'timeout after <duration>'],
      ['connection', 36, 'connect ECONNREFUSED <ip>'],
    ]);
    expect(patterns.map((p) => (p as unknown as { new: boolean }).new)).toEqual([false, true]); // the timeout was seen the hour before
    expect(patterns[0]!.breadth.workers).toBe(4);
    expect(patterns[1]!.breadth.workers).toBe(1);
    expect(res.summary).toMatchObject({ runs: 1200, failures: 84, failures_read: 84 });
    expect(res.warnings).toBeUndefined();

    // max_rows, from when raw rows were read, no longer cuts anything (summaries have no row bound): it says so.
    const cut = await failurePatternsRunner(
      { store, now: T0 + 2 * DAY },
      request(T0, T0 + DAY, { options: { max_rows: '50' } }),
    );
    expect((cut.patterns as { count: number }[]).reduce((s, p) => s + p.count, 0)).toBe(84);
    expect(cut.warnings).toEqual([expect.stringContaining('max_rows no longer bounds this analysis')]);
    expect((cut.correlations as unknown[]).length).toBe(1);
  });

  it('keeps a steady rate stable over a window that starts inside an hour, from rolled-up and raw hours alike', async () => {
    const store = await newStore();
    const rows: FullRow[] = [];
    // One timeout a minute for two days.
    for (let i = 0; i < 2 * 1440; i++)
      rows.push({ t: T0 + i * MIN, success: false, tags: { worker: 'w1' }, error: 'timeout after 5000 ms' });
    await store.write(batchWith(rows));
    await store.rollup(T0 + DAY + 90 * MIN); // the first day and a half from run summaries, the rest raw
    const start = T0 + 30 * MIN;
    const res = await failurePatternsRunner({ store, now: T0 + 2 * DAY }, request(start, T0 + 2 * DAY));
    const p = (
      res.patterns as {
        count: number;
        trend: { direction: string; first_half: number; second_half: number; daily: number[] };
      }[]
    )[0]!;
    expect(p.count).toBe(2 * 1440 - 30);
    expect(p.trend).toMatchObject({ direction: 'stable', first_half: 1425, second_half: 1425, daily: [1410, 1440] });
  });

  it('shows the newest message as the example, the greatest text among failures at that time, whatever the write order', async () => {
    const store = await newStore();
    const at = T0 + 10 * MIN;
    // Two series at the same time, same pattern; the smaller text is written last. (In one series the later write
    // would replace the earlier: one result per series and timestamp.)
    await store.write(batchWith([{ t: at, success: false, tags: { worker: 'w1' }, error: 'timeout after 900 ms' }]));
    await store.write(batchWith([{ t: at, success: false, tags: { worker: 'w2' }, error: 'timeout after 100 ms' }]));
    const example = async () =>
      (
        (await failurePatternsRunner({ store, now: T0 + DAY }, request(T0, T0 + 2 * HOUR))).patterns as {
          example: string;
        }[]
      )[0]!.example;
    expect(await example()).toBe('timeout after 900 ms'); // from raw rows
    await store.rollup(T0 + DAY);
    expect(await example()).toBe('timeout after 900 ms'); // from the hourly summary
  });

  it('finds the failing hour of day in the requested time zone', async () => {
    const store = await newStore();
    const rows: FullRow[] = [];
    for (let i = 0; i < 480; i++) {
      const t = T0 + i * 6 * MIN;
      const utcMin = (t % DAY) / MIN;
      // 09:30-10:30 UTC is 15:00-16:00 in Asia/Kolkata (UTC+5:30).
      const inHour = utcMin >= 9 * 60 + 30 && utcMin < 10 * 60 + 30;
      rows.push({ t, success: !(inHour || i % 25 === 1), tags: { worker: 'w1' }, error: 'x' });
    }
    await store.write(batchWith(rows));
    const now = T0 + 3 * DAY;
    const kol = await failurePatternsRunner(
      { store, now },
      request(T0, T0 + 2 * DAY, { tz: 'Asia/Kolkata', options: { dimensions: HOUR_OF_DAY } }),
    );
    expect((kol.correlations as { value: string }[]).map((c) => c.value)).toEqual(['15']);
    const utc = await failurePatternsRunner(
      { store, now },
      request(T0, T0 + 2 * DAY, { options: { dimensions: `${HOUR_OF_DAY},worker` } }),
    );
    expect((utc.correlations as { value: string }[]).map((c) => c.value).sort()).toEqual(['09', '10']);
  });

  it('rejects unknown and out-of-range options with the option named', async () => {
    const store = await newStore();
    const run = (options: Record<string, string>) =>
      failurePatternsRunner({ store, now: T0 }, request(T0, T0 + DAY, { options }));
    await expect(run({ limt: '5' })).rejects.toMatchObject({ code: 'invalid', details: { parameter: 'limt' } });
    await expect(run({ min_lift: '0.5' })).rejects.toThrow(/option "min_lift" must be between 1 and 1000/);
    await expect(run({ alpha: 'abc' })).rejects.toBeInstanceOf(AppError);
    await expect(run({ dimensions: 'worker,_x' })).rejects.toThrow(/option "dimensions" lists an invalid tag key/);
  });
});
