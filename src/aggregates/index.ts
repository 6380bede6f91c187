// GET /api/v1/aggregates as a function: parameters in, the contract's response out (CONTRACT.md §2, §3.2).
// Works on any Store: the store merges moments and percentiles, this turns them into bucket statistics.
import { type Stats, statsFrom } from '../model/stats.js';
import type { TagFilters, Store } from '../store/types.js';
import { bucketBoundaries, DAY_MS, HOUR_MS, type Period } from '../time/buckets.js';
import { formatMillis } from '../time/parse.js';

export interface AggregateParams {
  period: Period;
  tz: string;
  /** ms; stop defaults to now, start to 24 h (hour) or 30 days (otherwise) before stop. */
  start?: number;
  stop?: number;
  groupBy: string[];
  filters: TagFilters;
  metric: string;
  fill: boolean;
}

export interface BucketJson {
  start: string;
  end: string;
  partial: boolean;
  test_count: number;
  success_count: number;
  failure_count: number;
  availability_pct: number | null;
  stats: Stats | null;
}

export interface AggregatesJson {
  period: Period;
  tz: string;
  metric: string;
  group_by: string[];
  start: string;
  stop: string;
  series: { group: Record<string, string | null>; buckets: BucketJson[] }[];
  /** Present when something limits the answer (more than the contract's fields; clients may ignore it). */
  warnings?: string[];
}

export function defaultRange(period: Period, nowMs: number, start?: number, stop?: number): [number, number] {
  const span = period === 'hour' ? 24 * HOUR_MS : 30 * DAY_MS;
  const s = stop ?? nowMs;
  return [start ?? s - span, s];
}

export async function queryAggregates(store: Store, p: AggregateParams, nowMs: number): Promise<AggregatesJson> {
  const [start, stop] = defaultRange(p.period, nowMs, p.start, p.stop);
  const boundaries = bucketBoundaries(p.period, p.tz, start, stop);
  const { groups, incompleteBefore } = await store.aggregate({
    period: p.period,
    tz: p.tz,
    boundaries,
    filters: p.filters,
    groupBy: p.groupBy,
    metric: p.metric,
  });
  // Every group shares the boundaries: format each once.
  const iso = boundaries.map(formatMillis);
  const bucketJson = (i: number): BucketJson => ({
    start: iso[i]!,
    end: iso[i + 1]!,
    partial: boundaries[i]! <= nowMs && nowMs < boundaries[i + 1]!,
    test_count: 0,
    success_count: 0,
    failure_count: 0,
    availability_pct: null,
    stats: null,
  });
  const series = groups.map((g) => {
    const byIndex = new Map(g.buckets.map((b) => [b.bucket, b]));
    const indexes = p.fill ? boundaries.slice(0, -1).map((_, i) => i) : g.buckets.map((b) => b.bucket);
    return {
      group: g.group,
      buckets: indexes.map((i) => {
        const out = bucketJson(i);
        const b = byIndex.get(i);
        if (!b || b.testCount === 0) return out;
        out.test_count = b.testCount;
        out.success_count = b.successCount;
        out.failure_count = b.testCount - b.successCount;
        out.availability_pct = (100 * b.successCount) / b.testCount;
        out.stats = statsFrom(b, b);
        return out;
      }),
    };
  });
  if (p.fill && series.length === 0 && p.groupBy.length === 0) {
    // One group for "everything that matched", so a dashboard gets its empty buckets even with no data.
    series.push({ group: {}, buckets: boundaries.slice(0, -1).map((_, i) => bucketJson(i)) });
  }
  series.sort((a, b) => compareGroups(a.group, b.group, p.groupBy));
  const out: AggregatesJson = {
    period: p.period,
    tz: p.tz,
    metric: p.metric,
    group_by: p.groupBy,
    start: formatMillis(boundaries[0]!),
    stop: formatMillis(boundaries[boundaries.length - 1]!),
    series,
  };
  if (incompleteBefore !== undefined) {
    out.warnings = [
      `buckets before ${formatMillis(incompleteBefore)} may be incomplete: in ${p.tz} they do not line up with the hourly rollups, ` +
        'and the raw results they need are past the raw retention; use a zone with whole-hour offsets, or set RESULTANT_TIMEZONE ' +
        'to this zone for daily rollups in it',
    ];
  }
  return out;
}

function compareGroups(a: Record<string, string | null>, b: Record<string, string | null>, keys: string[]): number {
  for (const k of keys) {
    const x = a[k] ?? '';
    const y = b[k] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
