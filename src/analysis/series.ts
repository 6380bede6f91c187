// Time series for the time-series analyses (trends, regressions, anomalies): one value per hourly or daily bucket
// and group, read through the Store port's aggregates so that they work on every store and use its rollups.

import { type BucketJson, compareGroups } from '../aggregates/index.js';
import { invalid } from '../errors.js';
import { nextTurn } from '../event-loop.js';
import type { BucketAggregate, StatsLevel } from '../store/types.js';
import { bucketBoundaries, DAY_MS, HOUR_MS } from '../time/buckets.js';
import type { Options } from './inputs.js';
import type { AnalysisContext, AnalysisRequest } from './types.js';

/**
 * The tags that identify a series when the request has no group_by: what a test, probe or benchmark is, without
 * the worker or region that ran it (demo probes rotate workers every minute; grouping by worker would cut each
 * series into slivers). Keys absent from the data are left out of each item's `series`.
 */
export const DEFAULT_SERIES_KEYS = ['test', 'endpoint', 'hardware', 'model'];

/**
 * Which number of a bucket a series is made of. error_rate is 100 − availability_pct. The default is the median
 * (p50): a handful of 5000 ms timeouts moves an hourly mean of 100 ms probes by a quarter and hides everything
 * else (measured on the demo data), while the median is the per-run aggregate notes §8 recommends.
 */
export const STATISTICS = ['mean', 'p50', 'p95', 'p99', 'max', 'availability_pct', 'error_rate', 'test_count'] as const;
export type Statistic = (typeof STATISTICS)[number];

/** Windows longer than this use daily buckets unless `period=hour` is asked for. */
export const HOURLY_MAX_DAYS = 31;
/** Bound on the groups one analysis looks at. */
export const MAX_SERIES = 2000;

export interface Point {
  /** Bucket start, ms. */
  t: number;
  value: number;
  /** Results in the bucket (test_count, or stats.count for metric statistics). */
  n: number;
}

export interface Series {
  /** The group's tag set, without keys the group does not have. */
  series: Record<string, string>;
  points: Point[];
}

export interface SeriesSet {
  period: 'hour' | 'day';
  /** Bucket length in ms (nominal for days). */
  stepMs: number;
  statistic: Statistic;
  groupBy: string[];
  series: Series[];
}

export const SERIES_OPTIONS = ['statistic', 'period'] as const;

export function bucketValue(b: BucketJson, statistic: Statistic): { value: number; n: number } | null {
  switch (statistic) {
    case 'availability_pct':
      return b.availability_pct === null ? null : { value: b.availability_pct, n: b.test_count };
    case 'error_rate':
      return b.availability_pct === null ? null : { value: 100 - b.availability_pct, n: b.test_count };
    case 'test_count':
      return { value: b.test_count, n: b.test_count };
    default: {
      const v = b.stats?.[statistic];
      return v === null || v === undefined || !b.stats ? null : { value: v, n: b.stats.count };
    }
  }
}

/** bucketValue for the store's bucket statistics (moments and percentiles before they become the API's JSON). */
export function valueOfAggregate(b: BucketAggregate, statistic: Statistic): { value: number; n: number } | null {
  switch (statistic) {
    case 'availability_pct':
      return { value: (100 * b.successCount) / b.testCount, n: b.testCount };
    case 'error_rate':
      return { value: 100 - (100 * b.successCount) / b.testCount, n: b.testCount };
    case 'test_count':
      return { value: b.testCount, n: b.testCount };
    case 'mean':
      return b.n > 0 ? { value: b.sum / b.n, n: b.n } : null;
    case 'max':
      return b.n > 0 && b.max !== null ? { value: b.max, n: b.n } : null;
    default: {
      const v = b[statistic];
      return b.n > 0 && v !== null ? { value: v, n: b.n } : null;
    }
  }
}

const MAX_HOURLY_DAYS = 92;

/** What a statistic needs of the store: percentiles of merged buckets cost the most, so only they ask for them. */
export function levelOf(statistic: Statistic): StatsLevel {
  if (statistic === 'availability_pct' || statistic === 'error_rate' || statistic === 'test_count') return 'counts';
  if (statistic === 'mean' || statistic === 'max') return 'moments';
  return 'percentiles';
}

/**
 * Reads the series of a request: hourly buckets up to HOURLY_MAX_DAYS, daily beyond (or as `period` says). With
 * `lookback`, also that many buckets before `req.start` (the period is still chosen by the request's own window):
 * a detector that needs history before it judges a bucket then judges the whole window.
 */
export async function loadSeries(
  ctx: AnalysisContext,
  req: AnalysisRequest,
  opts: Options,
  lookback = 0,
): Promise<SeriesSet> {
  const statistic = opts.enum('statistic', STATISTICS, 'p50');
  const days = (req.stop - req.start) / DAY_MS;
  const period = opts.enum('period', ['hour', 'day'] as const, days > HOURLY_MAX_DAYS ? 'day' : 'hour');
  // Trends' Mann-Kendall is quadratic in the points of a series: hourly buckets only up to a quarter (2,208 points).
  if (period === 'hour' && days > MAX_HOURLY_DAYS) {
    throw invalid(`period=hour covers at most ${MAX_HOURLY_DAYS} days; use period=day for longer windows`, {
      parameter: 'period',
    });
  }
  const groupBy = req.groupBy.length ? req.groupBy : DEFAULT_SERIES_KEYS;
  // Straight from the store, not through the aggregates API's JSON: a month of hourly buckets for a hundred series
  // is 72,000 buckets, and serialising them only to parse them again cost more than the analysis itself.
  const boundaries = bucketBoundaries(
    period,
    req.tz,
    req.start - lookback * (period === 'hour' ? HOUR_MS : DAY_MS),
    req.stop,
  );
  const agg = await ctx.store.aggregate({
    period,
    tz: req.tz,
    boundaries,
    filters: req.filters,
    groupBy,
    metric: req.metric,
    stats: levelOf(statistic),
  });
  if (agg.groups.length > MAX_SERIES) {
    throw invalid(
      `the request covers ${agg.groups.length} series, more than ${MAX_SERIES}; narrow it with tag.<key> filters or a coarser group_by`,
    );
  }
  const series: Series[] = [];
  for (const g of agg.groups) {
    const points: Point[] = [];
    for (const b of [...g.buckets].sort((x, y) => x.bucket - y.bucket)) {
      if (b.testCount === 0) continue;
      // A bucket still filling has a count that only looks like a drop.
      const partial = boundaries[b.bucket]! <= ctx.now && ctx.now < boundaries[b.bucket + 1]!;
      if (partial && statistic === 'test_count') continue;
      const v = valueOfAggregate(b, statistic);
      if (v && Number.isFinite(v.value)) points.push({ t: boundaries[b.bucket]!, value: v.value, n: v.n });
    }
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(g.group)) if (v !== null && v !== undefined) tags[k] = v;
    series.push({ series: tags, points });
  }
  // Groups in the order the aggregates API lists them: by their values, a missing tag first.
  series.sort((a, b) => compareGroups(a.series, b.series, groupBy));
  return { period, stepMs: period === 'hour' ? HOUR_MS : DAY_MS, statistic, groupBy, series };
}

/** The name a result carries in `metric`: the field, or the bucket statistic that is not about a field. */
export function metricLabel(metric: string, statistic: Statistic): string {
  return statistic === 'availability_pct' || statistic === 'error_rate' || statistic === 'test_count'
    ? statistic
    : metric;
}

/** Lets other work (ingestion, requests) run between series of a long analysis: every `every` calls, one macrotask. */
export function yielder(every = 25): () => Promise<void> {
  let n = 0;
  return () => (++n % every === 0 ? nextTurn() : Promise.resolve());
}
