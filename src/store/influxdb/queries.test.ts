// Flux generation: values stay literals whatever they contain, and windows and rollup ranges line up with the
// bucket boundaries of time/buckets.ts.
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { RUN_TAGS } from '../../model/configuration.js';
import { EXAMPLE_CHARS } from '../../model/fingerprint.js';
import { bucketBoundaries, HOUR_MS } from '../../time/buckets.js';
import {
  bucketRunsQuery,
  failureBucketsQuery,
  failureFingerprintsQuery,
  failureSummariesQuery,
  RUN_REDUCE,
  runSummariesQuery,
  storedFailureSummariesQuery,
  storedFingerprintsQuery,
  storedRunSummariesQuery,
} from './analysis-queries.js';
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
    const q = rawAggregateQuery({
      bucket: 'b"x',
      startMs: 0,
      stopMs: HOUR_MS,
      everyMs: HOUR_MS,
      offsetMs: 0,
      filters: {},
      groupBy: ['re"gion'],
      metric: 'lat") |> drop(',
    }).toString();
    expect(q).toContain('from(bucket: "b\\"x")');
    expect(q).toContain('r._field == "lat\\") |> drop("');
    expect(q).toContain('group(columns: ["re\\"gion", "_field"])');
    expect(q).not.toContain('") |> drop(\n');
  });

  it('renders times exactly to the microsecond and nanosecond', () => {
    expect(usTime(Date.UTC(2026, 10, 21, 10) * 1000 + 7).toString()).toBe('time(v: "2026-11-21T10:00:00.000007Z")');
    expect(nsTime(BigInt(Date.UTC(2026, 10, 21, 10)) * 1_000_000n + 123_456_789n).toString()).toBe(
      'time(v: "2026-11-21T10:00:00.123456789Z")',
    );
    const q = resultsQuery({ bucket: 'r', startUs: -5, stopUs: 1e20, filters: {}, n: 11 }).toString();
    expect(q).toContain(
      'range(start: time(v: "1970-01-01T00:00:00.000000Z"), stop: time(v: "2262-04-11T23:47:16.854000Z"))',
    );
    expect(q).toContain('limit(n: 11)');
  });
});

describe('what the caller needs (stats) and skipUntagged', () => {
  const base = {
    bucket: 'r',
    startMs: 0,
    stopMs: HOUR_MS,
    everyMs: HOUR_MS,
    offsetMs: 0,
    filters: {},
    groupBy: ['region'],
    metric: 'latency_ms',
  };

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
    const rolled = rollupRowsQuery({
      bucket: 'h',
      startMs: 0,
      stopMs: HOUR_MS,
      filters: {},
      metric: 'latency_ms',
      sketch: false,
      countsOnly: true,
      requireTags: ['region'],
    }).toString();
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
    for (let t = Math.ceil((run[0]! - offset) / every) * every + offset; t < run[run.length - 1]!; t += every)
      out.push(t);
    return out;
  };

  for (const c of [
    {
      name: 'days across the spring DST change in Berlin',
      period: 'day' as const,
      tz: 'Europe/Berlin',
      from: '2026-03-25',
      to: '2026-04-02',
      runs: 3,
    },
    {
      name: 'days across the autumn DST change in New York',
      period: 'day' as const,
      tz: 'America/New_York',
      from: '2026-10-28',
      to: '2026-11-05',
      runs: 3,
    },
    {
      name: 'hours in Asia/Kolkata (at :30 UTC)',
      period: 'hour' as const,
      tz: 'Asia/Kolkata',
      from: '2026-11-21',
      to: '2026-11-22',
      runs: 1,
    },
    {
      name: 'months in UTC (July and August share a run of 31-day windows)',
      period: 'month' as const,
      tz: 'UTC',
      from: '2026-01-01',
      to: '2027-01-01',
      runs: 11,
    },
    {
      name: 'ISO weeks in Berlin',
      period: 'week' as const,
      tz: 'Europe/Berlin',
      from: '2026-03-02',
      to: '2026-04-27',
      runs: 3,
    },
  ]) {
    it(`windows coincide with the buckets: ${c.name}`, () => {
      const b = bucketBoundaries(
        c.period,
        c.tz,
        DateTime.fromISO(c.from, { zone: c.tz }).toMillis(),
        DateTime.fromISO(c.to, { zone: c.tz }).toMillis(),
      );
      const runs = regularRuns(b);
      expect(runs).toHaveLength(c.runs);
      expect(runs.flatMap((r) => windowStarts(r))).toEqual(b.slice(0, -1));
      const q = rawAggregateQuery({
        bucket: 'r',
        startMs: runs[0]![0]!,
        stopMs: runs[0]![runs[0]!.length - 1]!,
        everyMs: runs[0]![1]! - runs[0]![0]!,
        offsetMs: runs[0]![0]! % (runs[0]![1]! - runs[0]![0]!),
        filters: {},
        groupBy: [],
        metric: 'latency_ms',
      }).toString();
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
    expect(t).toContain(
      'option location = timezone.location(name: "Europe/Berlin")\nsrc_bucket = "raw\\"x"\ndst_bucket = "d"\n',
    );
    expect(t).toContain('option task = {name: "resultant_rollup_daily__v1", every: 1h, offset: 10m}');
    expect(t.match(/^option location/gm)).toHaveLength(1);
  });

  it('as tasks: aligned ranges from date.truncate, window starts, a lookback', () => {
    expect(hourly).toContain('stop = date.truncate(t: now(), unit: 1h)\nstart = date.sub(d: 3h, from: stop)');
    expect(hourly).toContain('_time: r._start');
    expect(
      hourly
        .split('\n')
        .filter((l) => !l.trimStart().startsWith('//'))
        .join('\n'),
    ).not.toContain('aggregateWindow');
    expect(daily).toContain('dayStop = date.truncate(t: now(), unit: 1d)');
  });

  it('as queries: explicit bounds, no task option, no now()', () => {
    const h = renderBounded(
      hourly,
      'hourly',
      { srcBucket: 'r', dstBucket: 'h' },
      Date.UTC(2026, 10, 21, 10),
      Date.UTC(2026, 10, 21, 13),
    );
    expect(h).toContain('start = time(v: "2026-11-21T10:00:00.000Z")\nstop = time(v: "2026-11-21T13:00:00.000Z")\n');
    expect(h).not.toMatch(/^option task/m);
    expect(h).not.toContain('now()');
    const d = renderBounded(
      daily,
      'daily',
      { srcBucket: 'r', dstBucket: 'd', timezone: 'Asia/Kolkata' },
      Date.UTC(2026, 10, 20, 18, 30),
      Date.UTC(2026, 10, 21, 18, 30),
    );
    expect(d).toContain(
      'dayStart = time(v: "2026-11-20T18:30:00.000Z")\ndayStop = time(v: "2026-11-21T18:30:00.000Z")\ndue = true\n',
    );
    expect(d).not.toContain('now()');
    expect(() => renderBounded(hourly, 'hourly', { srcBucket: 'r', dstBucket: 'h' }, 5, 5)).toThrow(
      /empty rollup range/,
    );
  });
});

describe('the analysis program (flux/analysis_hourly__v1.flux)', () => {
  const analysis = readFluxFile(FLUX_FILES.analysis);

  it('is a versioned task writing to the hourly bucket, with aligned bounds and an explicit-bounds form', () => {
    expect(taskName(analysis)).toBe('resultant_analysis_hourly__v1');
    expect(analysis).toContain('stop = date.truncate(t: now(), unit: 1h)\nstart = date.sub(d: 3h, from: stop)');
    const b = renderBounded(
      analysis,
      'analysis',
      { srcBucket: 'r"x', dstBucket: 'h' },
      Date.UTC(2026, 10, 21, 10),
      Date.UTC(2026, 10, 21, 13),
    );
    expect(b).toContain('src_bucket = "r\\"x"\ndst_bucket = "h"\n');
    expect(b).toContain('start = time(v: "2026-11-21T10:00:00.000Z")\nstop = time(v: "2026-11-21T13:00:00.000Z")\n');
    expect(b).not.toMatch(/^option task/m);
    expect(b).not.toContain('now()');
  });

  it('groups runs by the default configuration rule: every tag but exactly the run tags of the model', () => {
    const m = /group\(\s*columns: \[([^\]]*)\],\s*mode: "except"/.exec(analysis);
    const cols = JSON.parse(`[${m![1]}]`) as string[];
    expect(cols.slice(0, 2)).toEqual(['_time', '_value']);
    expect(cols.slice(2)).toEqual([...RUN_TAGS]);
  });

  it('summarises runs with the very reduce the raw reads use, sorted by the microsecond then failures first', () => {
    const norm = (x: string) => x.replace(/\s+/g, ' ');
    expect(norm(analysis)).toContain(norm(RUN_REDUCE));
    expect(analysis).toContain('|> sort(columns: ["_t", "_ok"])');
    expect(
      runSummariesQuery({
        bucket: 'r',
        startMs: 0,
        stopMs: HOUR_MS,
        filters: {},
        configuration: { ignore: RUN_TAGS },
      }).toString(),
    ).toContain(RUN_REDUCE);
  });

  it('leaves no string column that fieldFn does not name except the tags (to() would make it a tag)', () => {
    // The failure branch: _msg and _et are fields; error and error_type are grouped away before to().
    expect(analysis).toContain('"error": r._msg');
    expect(analysis).toContain('"error_type": r._et');
    expect(analysis).toContain(
      '|> group(columns: ["_time", "_t", "_msg", "_et", "error", "error_type"], mode: "except")',
    );
  });
});

describe('analysis queries', () => {
  const hostile = { test: ['a" or true or "', 'x\\'], 're"gion': ['${now()}'] };

  it('keeps hostile tag values and keys literals in every analysis query', () => {
    const qs = [
      runSummariesQuery({
        bucket: 'b"k',
        startMs: 0,
        stopMs: HOUR_MS,
        filters: hostile,
        configuration: { ignore: ['wor"ker'] },
      }),
      runSummariesQuery({
        bucket: 'b"k',
        startMs: 0,
        stopMs: HOUR_MS,
        filters: hostile,
        configuration: { only: ['te"st'] },
      }),
      storedRunSummariesQuery({ bucket: 'b"k', startMs: 0, stopMs: HOUR_MS, filters: hostile }),
      failureSummariesQuery({ bucket: 'b"k', segments: [[0, HOUR_MS]], filters: hostile }),
      storedFailureSummariesQuery({ bucket: 'b"k', startMs: 0, stopMs: HOUR_MS, filters: hostile }),
      failureFingerprintsQuery({ bucket: 'b"k', startMs: 0, stopMs: HOUR_MS, filters: hostile }),
      storedFingerprintsQuery({ bucket: 'b"k', startMs: 0, stopMs: HOUR_MS, filters: hostile }),
      failureBucketsQuery({
        bucket: 'b"k',
        startMs: 0,
        stopMs: HOUR_MS,
        filters: hostile,
        bucketMs: 60_000,
        minFailures: 3,
      }),
      bucketRunsQuery({ bucket: 'b"k', ranges: [[0, 60_000]], filters: hostile, bucketMs: 60_000 }),
    ].map((q) => q.toString());
    for (const q of qs) {
      expect(q).toContain('from(bucket: "b\\"k")');
      expect(q).toContain('r["test"] == "a\\" or true or \\""');
      expect(q).toContain('r["test"] == "x\\\\"');
      expect(q).toContain('r["re\\"gion"] == "\\${now()}"');
      expect(q).not.toContain('or true or ""');
    }
    expect(qs[0]).toContain('group(columns: ["_time", "_value", "wor\\"ker"], mode: "except")');
    expect(qs[1]).toContain('group(columns: ["te\\"st", "_start", "_stop"])');
  });

  it('leaves out excluded buckets through a dictionary of their indexes, and counts them', () => {
    const q = runSummariesQuery({
      bucket: 'r',
      startMs: 0,
      stopMs: HOUR_MS,
      filters: {},
      configuration: { ignore: [] },
      exclude: { bucketUs: 60_000_000, indexes: [3, 7] },
    }).toString();
    expect(q).toContain('excluded = [3: true, 7: true]');
    expect(q).toContain('dict.get(dict: excluded, key: r._t / 60000000, default: false)');
    expect(q).toContain('yield(name: "excluded")');
    expect(
      runSummariesQuery({
        bucket: 'r',
        startMs: 0,
        stopMs: HOUR_MS,
        filters: {},
        configuration: { ignore: [] },
      }).toString(),
    ).not.toContain('dict');
  });

  it('reads failure segments separately (a union), each cut at hours by window()', () => {
    const one = failureSummariesQuery({ bucket: 'r', segments: [[0, HOUR_MS]], filters: {} }).toString();
    expect(one).not.toContain('union(');
    const two = failureSummariesQuery({
      bucket: 'r',
      segments: [
        [0, 1_800_000],
        [1_800_000, HOUR_MS],
      ],
      filters: {},
    }).toString();
    expect(two).toContain(
      'union(tables: [seg(start: time(v: "1970-01-01T00:00:00.000Z"), stop: time(v: "1970-01-01T00:30:00.000Z")), seg(start: time(v: "1970-01-01T00:30:00.000Z"), stop: time(v: "1970-01-01T01:00:00.000Z"))])',
    );
    expect(two).toContain('|> window(every: 1h)');
    expect(two).toContain(`strings.substring(v: r.error, start: 0, end: ${EXAMPLE_CHARS})`);
  });
});
