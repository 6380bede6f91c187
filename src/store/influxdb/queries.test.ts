// Flux generation: values stay literals whatever they contain, and windows and rollup ranges line up with the
// bucket boundaries of time/buckets.ts.
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { bucketBoundaries, HOUR_MS } from '../../time/buckets.js';
import { FLUX_FILES, readFluxFile, renderBounded, renderParams, taskName } from './flux-files.js';
import { regularRuns } from './index.js';
import { nsTime, rawAggregateQuery, resultsQuery, rollupRowsQuery, tagFilter, usTime } from './queries.js';

describe('parameters', () => {
  it('keeps a hostile tag value inside its string literal', () => {
    const q = tagFilter({ endpoint: ['a" or true or "', 'x\\', 'n\nl', '${now()}'] }).toString();
    expect(q).toBe(
      '\n  |> filter(fn: (r) => (r["endpoint"] == "a\\" or true or \\"" or r["endpoint"] == "x\\\\" or r["endpoint"] == "n\\nl" or r["endpoint"] == "\\${now()}"))',
    );
  });

  it('escapes tag keys used as record members, and joins keys with and', () => {
    const q = tagFilter({ 'we"ird': ['1'], a: ['2'] }).toString();
    expect(q).toContain('(r["a"] == "2") and (r["we\\"ird"] == "1")');
  });

  it('escapes the metric, bucket and group-by names', () => {
    const q = rawAggregateQuery({ bucket: 'b"x', startMs: 0, stopMs: HOUR_MS, everyMs: HOUR_MS, offsetMs: 0, filters: {}, groupBy: ['re"gion'], metric: 'lat") |> drop(' }).toString();
    expect(q).toContain('from(bucket: "b\\"x")');
    expect(q).toContain('r._field == "lat\\") |> drop("');
    expect(q).toContain('group(columns: ["re\\"gion", "_field"])');
    expect(q).not.toContain('") |> drop(\n');
  });

  it('renders times exactly to the microsecond and nanosecond', () => {
    expect(usTime(Date.UTC(2026, 10, 21, 10) * 1000 + 7).toString()).toBe('time(v: "2026-11-21T10:00:00.000007Z")');
    expect(nsTime(BigInt(Date.UTC(2026, 10, 21, 10)) * 1_000_000n + 123_456_789n).toString()).toBe('time(v: "2026-11-21T10:00:00.123456789Z")');
    const q = resultsQuery({ bucket: 'r', startUs: -5, stopUs: 1e20, filters: {}, n: 11 }).toString();
    expect(q).toContain('range(start: time(v: "1970-01-01T00:00:00.000000Z"), stop: time(v: "2262-04-11T23:47:16.854000Z"))');
    expect(q).toContain('limit(n: 11)');
  });
});

describe('what the caller needs (stats) and skipUntagged', () => {
  const base = { bucket: 'r', startMs: 0, stopMs: HOUR_MS, everyMs: HOUR_MS, offsetMs: 0, filters: {}, groupBy: ['region'], metric: 'latency_ms' };

  it('reads only the success field for counts, and computes no moment or percentile', () => {
    const q = rawAggregateQuery({ ...base, stats: 'counts' }).toString();
    expect(q).toContain('r._measurement == "test_result" and r._field == "success")');
    expect(q).not.toContain('latency_ms');
    for (const f of ['stddev', 'quantile', 'min()', 'max()', 'toFloat']) expect(q).not.toContain(f);
    expect(q).toContain('yield(name: "tc")');
    expect(q).toContain('yield(name: "sc")');
  });

  it('computes moments but sorts nothing for moments, and everything for percentiles', () => {
    const m = rawAggregateQuery({ ...base, stats: 'moments' }).toString();
    expect(m).toContain('stddev(mode: "population")');
    expect(m).not.toContain('quantile');
    const p = rawAggregateQuery(base).toString();
    expect(p).toContain('quantile(q: 0.99, method: "exact_mean")');
  });

  it('filters with exists for every group-by key, keys escaped, only when asked', () => {
    const q = rawAggregateQuery({ ...base, groupBy: ['region', 'we"ird'], skipUntagged: true }).toString();
    expect(q).toContain('|> filter(fn: (r) => exists r["region"] and exists r["we\\"ird"])');
    expect(rawAggregateQuery(base).toString()).not.toContain('exists');
    const rolled = rollupRowsQuery({ bucket: 'h', startMs: 0, stopMs: HOUR_MS, filters: {}, metric: 'latency_ms', sketch: false, countsOnly: true, requireTags: ['region'] }).toString();
    expect(rolled).toContain('set: ["test_result_counts"]');
    expect(rolled).toContain('exists r["region"]');
  });
});

describe('aligned windows', () => {
  /** Window starts of `window(every, offset)` over [b0, bn): offset + k * every. */
  const windowStarts = (run: number[]): number[] => {
    const every = run[1]! - run[0]!;
    const offset = ((run[0]! % every) + every) % every;
    const out: number[] = [];
    for (let t = Math.ceil((run[0]! - offset) / every) * every + offset; t < run[run.length - 1]!; t += every) out.push(t);
    return out;
  };

  for (const c of [
    { name: 'days across the spring DST change in Berlin', period: 'day' as const, tz: 'Europe/Berlin', from: '2026-03-25', to: '2026-04-02', runs: 3 },
    { name: 'days across the autumn DST change in New York', period: 'day' as const, tz: 'America/New_York', from: '2026-10-28', to: '2026-11-05', runs: 3 },
    { name: 'hours in Asia/Kolkata (at :30 UTC)', period: 'hour' as const, tz: 'Asia/Kolkata', from: '2026-11-21', to: '2026-11-22', runs: 1 },
    { name: 'months in UTC (July and August share a run of 31-day windows)', period: 'month' as const, tz: 'UTC', from: '2026-01-01', to: '2027-01-01', runs: 11 },
    { name: 'ISO weeks in Berlin', period: 'week' as const, tz: 'Europe/Berlin', from: '2026-03-02', to: '2026-04-27', runs: 3 },
  ]) {
    it(`windows coincide with the buckets: ${c.name}`, () => {
      const b = bucketBoundaries(c.period, c.tz, DateTime.fromISO(c.from, { zone: c.tz }).toMillis(), DateTime.fromISO(c.to, { zone: c.tz }).toMillis());
      const runs = regularRuns(b);
      expect(runs).toHaveLength(c.runs);
      expect(runs.flatMap((r) => windowStarts(r))).toEqual(b.slice(0, -1));
      const q = rawAggregateQuery({ bucket: 'r', startMs: runs[0]![0]!, stopMs: runs[0]![runs[0]!.length - 1]!, everyMs: runs[0]![1]! - runs[0]![0]!, offsetMs: (runs[0]![0]! % (runs[0]![1]! - runs[0]![0]!)), filters: {}, groupBy: [], metric: 'latency_ms' }).toString();
      expect(q).toMatch(/window\(every: duration\(v: "\d+ms"\), offset: duration\(v: "\d+ms"\), createEmpty: false\)/);
    });
  }
});

describe('rollup programs', () => {
  const hourly = readFluxFile(FLUX_FILES.hourly);
  const daily = readFluxFile(FLUX_FILES.daily);

  it('name the tasks by version and fill in buckets and zone as literals', () => {
    expect(taskName(hourly)).toBe('resultant_rollup_hourly__v1');
    expect(taskName(daily)).toBe('resultant_rollup_daily__v1');
    const t = renderParams(daily, { srcBucket: 'raw"x', dstBucket: 'd', timezone: 'Europe/Berlin' });
    expect(t).toContain('option location = timezone.location(name: "Europe/Berlin")\nsrc_bucket = "raw\\"x"\ndst_bucket = "d"\n');
    expect(t).toContain('option task = {name: "resultant_rollup_daily__v1", every: 1h, offset: 10m}');
    expect(t.match(/^option location/gm)).toHaveLength(1);
  });

  it('as tasks: aligned ranges from date.truncate, window starts, a lookback', () => {
    expect(hourly).toContain('stop = date.truncate(t: now(), unit: 1h)\nstart = date.sub(d: 3h, from: stop)');
    expect(hourly).toContain('_time: r._start');
    expect(hourly.split('\n').filter((l) => !l.trimStart().startsWith('//')).join('\n')).not.toContain('aggregateWindow');
    expect(daily).toContain('dayStop = date.truncate(t: now(), unit: 1d)');
  });

  it('as queries: explicit bounds, no task option, no now()', () => {
    const h = renderBounded(hourly, 'hourly', { srcBucket: 'r', dstBucket: 'h' }, Date.UTC(2026, 10, 21, 10), Date.UTC(2026, 10, 21, 13));
    expect(h).toContain('start = time(v: "2026-11-21T10:00:00.000Z")\nstop = time(v: "2026-11-21T13:00:00.000Z")\n');
    expect(h).not.toMatch(/^option task/m);
    expect(h).not.toContain('now()');
    const d = renderBounded(daily, 'daily', { srcBucket: 'r', dstBucket: 'd', timezone: 'Asia/Kolkata' }, Date.UTC(2026, 10, 20, 18, 30), Date.UTC(2026, 10, 21, 18, 30));
    expect(d).toContain('dayStart = time(v: "2026-11-20T18:30:00.000Z")\ndayStop = time(v: "2026-11-21T18:30:00.000Z")\ndue = true\n');
    expect(d).not.toContain('now()');
    expect(() => renderBounded(hourly, 'hourly', { srcBucket: 'r', dstBucket: 'h' }, 5, 5)).toThrow(/empty rollup range/);
  });
});
