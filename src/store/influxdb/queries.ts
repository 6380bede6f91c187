// Flux read queries. Every value from outside (bucket, tag keys and values, metric, times, limits) goes through
// the client's `flux` tagged template, which renders it as an escaped Flux literal; only fixed code is text here.
import { flux, fluxDateTime, fluxDuration, fluxExpression, type ParameterizedQuery } from '@influxdata/influxdb-client';
import type { StatsLevel, TagFilters } from '../types.js';
import { M_BREAKER, M_COUNTS, M_RESULT, M_SKETCH, M_STATS, METRIC_TAG } from './schema.js';

type Q = ParameterizedQuery;

/** A Flux time literal for epoch ms. */
export const msTime = (ms: number): Q => fluxDateTime(new Date(ms).toISOString());

/** A Flux time literal for epoch µs (exact: microsecond digits kept). */
export function usTime(us: number): Q {
  const ms = Math.floor(us / 1000);
  const rest = Math.round(us - ms * 1000);
  const iso = new Date(ms).toISOString(); // ...SS.mmmZ
  return fluxDateTime(`${iso.slice(0, -1)}${String(rest).padStart(3, '0')}Z`);
}

/** A Flux time literal for epoch ns (a decimal string or bigint, beyond 2^53). */
export function nsTime(ns: bigint): Q {
  const ms = ns / 1_000_000n;
  const rest = ns - ms * 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  return fluxDateTime(`${iso.slice(0, -1)}${rest.toString().padStart(6, '0')}Z`);
}

/** Flux's range() accepts times from 1677-09-21 to 2262-04-11; clamp the API's open bounds into that. */
const MAX_US = 9_223_372_036_854_000;
export const clampUs = (us: number): number => Math.min(Math.max(us, 0), MAX_US);

/** Parts joined by a fixed separator (code, never a value). */
export const join = (parts: Q[], sep: string): Q => {
  let out = flux``;
  parts.forEach((p, i) => {
    out = i === 0 ? p : flux`${out}${fluxExpression(sep)}${p}`;
  });
  return out;
};

/** `|> filter(...)` for tag filters (any of the values of a key; all keys), or nothing. */
export function tagFilter(filters: TagFilters): Q {
  const keys = Object.keys(filters).sort();
  if (keys.length === 0) return flux``;
  const perKey = keys.map((k) => {
    const vals = filters[k]!;
    if (vals.length === 0) return flux`false`;
    return flux`(${join(
      vals.map((v) => flux`r[${k}] == ${v}`),
      ' or ',
    )})`;
  });
  return flux`
  |> filter(fn: (r) => ${join(perKey, ' and ')})`;
}

/**
 * `|> filter(...)` keeping only rows whose series carry every one of `keys` (AggregateQuery.skipUntagged: the
 * group of nulls is left out in InfluxDB, not read and dropped here), or nothing.
 */
export function tagsPresent(keys: readonly string[]): Q {
  if (keys.length === 0) return flux``;
  return flux`
  |> filter(fn: (r) => ${join(
    keys.map((k) => flux`exists r[${k}]`),
    ' and ',
  )})`;
}

/** A Flux array of strings. */
export const strArray = (xs: string[]): Q =>
  flux`[${join(
    xs.map((x) => flux`${x}`),
    ', ',
  )}]`;

export interface RawAggregateRun {
  bucket: string;
  startMs: number;
  stopMs: number;
  /** Window length and offset (ms): windows start at offset + k * every, so they coincide with the buckets. */
  everyMs: number;
  offsetMs: number;
  filters: TagFilters;
  groupBy: string[];
  metric: string;
  /** What to compute (default 'percentiles'): counts never read the metric, moments never sort it. */
  stats?: StatsLevel;
  /** Leave out series that lack one of the groupBy tags. */
  skipUntagged?: boolean;
}

/**
 * Statistics of raw results per group and window, one row per (group, window, statistic); the result name says
 * which statistic
 * (tc test_count, sc success_count, n, s sum, sd population stddev, mn, mx, p50, p95, p99). Percentiles are
 * exact: quantile's "exact_mean" interpolates between order statistics at (n - 1) q, R type 7. Only the
 * statistics of `stats` are in the program: a counts-only read reads the success field alone.
 */
export function rawAggregateQuery(r: RawAggregateRun): Q {
  const level = r.stats ?? 'percentiles';
  const cols = strArray([...r.groupBy, '_field']);
  const keep = strArray([...r.groupBy, '_start', '_value']);
  // One named result per statistic (a program with several results needs distinct yield names), so tables of
  // different value types never meet in one stream.
  const stat = (q: Q, name: string): Q => flux`${q} |> keep(columns: ${keep}) |> yield(name: ${name})`;
  const moments = [
    stat(flux`m |> count()`, 'n'),
    stat(flux`m |> sum()`, 's'),
    stat(flux`m |> stddev(mode: "population")`, 'sd'),
    stat(flux`m |> min()`, 'mn'),
    stat(flux`m |> max()`, 'mx'),
  ];
  const percentiles = [
    stat(flux`m |> quantile(q: 0.5, method: "exact_mean")`, 'p50'),
    stat(flux`m |> quantile(q: 0.95, method: "exact_mean")`, 'p95'),
    stat(flux`m |> quantile(q: 0.99, method: "exact_mean")`, 'p99'),
  ];
  const metricStats = level === 'counts' ? [] : level === 'moments' ? moments : [...moments, ...percentiles];
  const fields =
    level === 'counts' ? flux`r._field == "success"` : flux`(r._field == "success" or r._field == ${r.metric})`;
  const m =
    level === 'counts'
      ? flux``
      : flux`
m = data |> filter(fn: (r) => r._field == ${r.metric}) |> toFloat()`;
  return flux`data = from(bucket: ${r.bucket})
  |> range(start: ${msTime(r.startMs)}, stop: ${msTime(r.stopMs)})
  |> filter(fn: (r) => r._measurement == ${M_RESULT} and ${fields})${tagFilter(r.filters)}${r.skipUntagged ? tagsPresent(r.groupBy) : flux``}
  |> group(columns: ${cols})
  |> window(every: ${fluxDuration(`${r.everyMs}ms`)}, offset: ${fluxDuration(`${r.offsetMs}ms`)}, createEmpty: false)
ok = data |> filter(fn: (r) => r._field == "success")${m}
${stat(flux`ok |> count()`, 'tc')}
${stat(flux`ok |> map(fn: (r) => ({r with _value: if r._value then 1 else 0})) |> sum()`, 'sc')}${
  metricStats.length
    ? flux`
${join(metricStats, '\n')}`
    : flux``
}`;
}

export interface RollupRowsRun {
  bucket: string;
  startMs: number;
  stopMs: number;
  filters: TagFilters;
  metric: string;
  /** Read the metric's sketch bins (needed when several rows merge into one group-bucket) instead of counts and stats. */
  sketch: boolean;
  /** Counts only: read test_result_counts alone (no stats rows). */
  countsOnly?: boolean;
  /** Only rows of series that carry every one of these tags (skipUntagged). */
  requireTags?: readonly string[];
}

/** Rollup rows (counts and stats of the metric, or its sketch bins), one pivoted row per series and window. */
export function rollupRowsQuery(r: RollupRowsRun): Q {
  const ms = r.sketch ? [M_SKETCH] : r.countsOnly ? [M_COUNTS] : [M_COUNTS, M_STATS];
  return flux`from(bucket: ${r.bucket})
  |> range(start: ${msTime(r.startMs)}, stop: ${msTime(r.stopMs)})
  |> filter(fn: (r) => contains(value: r._measurement, set: ${strArray(ms)}))
  |> filter(fn: (r) => r._measurement == ${M_COUNTS} or r[${METRIC_TAG}] == ${r.metric})${tagFilter(r.filters)}${tagsPresent(r.requireTags ?? [])}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`;
}

export interface ResultsRun {
  bucket: string;
  startUs: number;
  stopUs: number;
  filters: TagFilters;
  success?: boolean;
  /** Exclusive upper bound in ns from a cursor; overrides stopUs when earlier. */
  beforeNs?: bigint;
  /** Rows to return (one more than the page, to know whether there is a next page). */
  n: number;
}

/** Raw results, newest first: one pivoted row per point. */
export function resultsQuery(r: ResultsRun): Q {
  const ok =
    r.success === undefined
      ? flux``
      : flux`
  |> filter(fn: (r) => r.success == ${r.success})`;
  const stopNs = BigInt(Math.round(clampUs(r.stopUs))) * 1000n;
  const stop = r.beforeNs !== undefined && r.beforeNs < stopNs ? nsTime(r.beforeNs) : usTime(clampUs(r.stopUs));
  return flux`from(bucket: ${r.bucket})
  |> range(start: ${usTime(clampUs(r.startUs))}, stop: ${stop})
  |> filter(fn: (r) => r._measurement == ${M_RESULT})${tagFilter(r.filters)}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")${ok}
  |> group()
  |> sort(columns: ["_time"], desc: true)
  |> limit(n: ${r.n})`;
}

export interface SeriesRun {
  bucket: string;
  startUs: number;
  stopUs: number;
  filters: TagFilters;
  measurements: string[];
}

/** Per series (one table per series, keyed by its tags): first and last time and the number of points. */
export function seriesQuery(r: SeriesRun): Q {
  return flux`data = from(bucket: ${r.bucket})
  |> range(start: ${usTime(clampUs(r.startUs))}, stop: ${usTime(clampUs(r.stopUs))})
  |> filter(fn: (r) => contains(value: r._measurement, set: ${strArray(r.measurements)}))
  |> filter(fn: (r) => (r._measurement == ${M_RESULT} and r._field == "success") or (r._measurement == ${M_BREAKER} and r._field == "state"))${tagFilter(r.filters)}
  |> drop(columns: ["_start", "_stop", "_field"])
data |> first() |> drop(columns: ["_value"]) |> yield(name: "first")
data |> last() |> drop(columns: ["_value"]) |> yield(name: "last")
data |> count() |> yield(name: "count")`;
}

export interface BreakerRun {
  bucket: string;
  startUs: number;
  stopUs: number;
  filters: TagFilters;
}

export function breakerQuery(r: BreakerRun): Q {
  return flux`from(bucket: ${r.bucket})
  |> range(start: ${usTime(clampUs(r.startUs))}, stop: ${usTime(clampUs(r.stopUs))})
  |> filter(fn: (r) => r._measurement == ${M_BREAKER})${tagFilter(r.filters)}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> sort(columns: ["_time"])`;
}

/** Series in a bucket since `startMs` (InfluxDB's index-based estimate). */
export function cardinalityQuery(bucket: string, startMs: number): Q {
  return flux`import "influxdata/influxdb"
influxdb.cardinality(bucket: ${bucket}, start: ${msTime(startMs)})`;
}
