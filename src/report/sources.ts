// Where reports, charts and the dashboard get their data. Aggregates, breaker transitions and the analyses
// (docs/analyses.md) come from the store; forecasts from the service's forecaster, which runs in a worker pool and
// is given to the sources (src/forecast/index.ts).
import {
  type AggregateParams,
  type AggregatesJson,
  type BucketJson,
  type FragmentCache,
  queryAggregates,
} from '../aggregates/index.js';
import { runAnalysis } from '../analysis/index.js';
import type { AnalysisKind, AnalysisRequest, AnalysisResponses } from '../analysis/types.js';
import type { BreakerTransition, ForecastJson } from '../charts/types.js';
import { invalid, unavailable } from '../errors.js';
import type { Forecaster, ForecastParams } from '../forecast/index.js';
import { statsFrom } from '../model/stats.js';
import type { AnomalyLog } from '../store/state.js';
import type { StatsLevel, Store, TagFilters } from '../store/types.js';
import { formatMillis } from '../time/parse.js';
import { memoizedStore } from './memo.js';

/** Statistics of each group over one whole range [start, stop), as the aggregates JSON with one bucket per group. */
export interface TotalsParams {
  start: number;
  stop: number;
  tz: string;
  groupBy: string[];
  filters: TagFilters;
  metric: string;
  /** Cut points inside (start, stop): one bucket per piece instead of one for the whole range. */
  cuts?: number[];
  /** What the caller shows of each bucket (default everything). */
  stats?: StatsLevel;
  /** Leave out results lacking a group_by tag. */
  skipUntagged?: boolean;
}

export interface ReportSources {
  aggregates(p: AggregateParams): Promise<AggregatesJson>;
  totals(p: TotalsParams): Promise<AggregatesJson>;
  breakerEvents(q: { start: number; stop: number; filters: TagFilters }): Promise<BreakerTransition[]>;
  /** The analysis of this kind; its answer's type follows the kind. */
  analysis<K extends AnalysisKind>(kind: K, req: AnalysisRequest): Promise<AnalysisResponses[K]>;
  /** Too little history: throws AppError 'invalid'; no forecaster or a busy one: AppError 'unavailable'. */
  forecast(p: ForecastParams): Promise<ForecastJson>;
  /** Current time, epoch ms. */
  now(): number;
  /** The same sources over a view of the store that answers each distinct read once (for one report). */
  memoized?(): ReportSources;
}

export interface SourceExtras {
  /** Where the anomalies analysis keeps what it finds (the service's log); absent: reported, not stored. */
  anomalyLog?: AnomalyLog;
  /** An analysis over `store` (the sources' store, or the report's memoized view of it) in place of runAnalysis. */
  analysis?: <K extends AnalysisKind>(kind: K, req: AnalysisRequest, store: Store) => Promise<AnalysisResponses[K]>;
  /** The forecaster (see forecasterSource); absent: every forecast is 'unavailable'. */
  forecast?: (p: ForecastParams) => Promise<ForecastJson>;
  /** The service's cache of serialised aggregate buckets, for reads of the store itself (not of a memoized view). */
  aggregateCache?: FragmentCache;
}

/** The service's forecaster as a source (its parameters are validated where they come in: the chart route, the CLI). */
export function forecasterSource(
  forecaster: Forecaster,
  now: () => number,
): (p: ForecastParams) => Promise<ForecastJson> {
  return (p) => forecaster.forecast(p, now());
}

/** The service's sources over a store: its forecaster, and the analyses keeping anomalies in `anomalyLog` when given. */
export function serviceSources(
  store: Store,
  now: () => number,
  forecaster: Forecaster,
  anomalyLog?: AnomalyLog,
  aggregateCache?: FragmentCache,
): ReportSources {
  return storeSources(store, now, {
    forecast: forecasterSource(forecaster, now),
    ...(anomalyLog ? { anomalyLog } : {}),
    ...(aggregateCache ? { aggregateCache } : {}),
  });
}

/** Sources over a store: the analyses run on it (or `extras.analysis`), forecasts from `extras.forecast`. */
export function storeSources(
  store: Store,
  now: () => number,
  extras: SourceExtras = {},
  memoized = false,
): ReportSources {
  return {
    memoized: () =>
      memoized ? storeSources(store, now, extras, true) : storeSources(memoizedStore(store), now, extras, true),
    aggregates: (p) => queryAggregates(store, p, now(), memoized ? undefined : extras.aggregateCache),
    totals: (p) => rangeTotals(store, p, now()),
    async breakerEvents(q) {
      const events = await store.breakerEvents({
        start: Math.round(q.start * 1000),
        stop: Math.round(q.stop * 1000),
        filters: q.filters,
      });
      return events.map((e) => ({ time: e.time / 1000, state: e.state, tags: { ...e.tags } }));
    },
    analysis: (kind, req) =>
      extras.analysis
        ? extras.analysis(kind, req, store)
        : runAnalysis(
            kind,
            { store, now: now(), ...(extras.anomalyLog ? { anomalyLog: extras.anomalyLog } : {}) },
            req,
          ),
    forecast:
      extras.forecast ??
      (async () => {
        throw unavailable('these sources have no forecaster');
      }),
    now,
  };
}

/**
 * One bucket [start, stop) per group (or one per piece between `cuts`). The store merges moments exactly and percentiles from the raw rows or the
 * rollups' sketches (docs/design.md), so a week's p95 is the p95 of the week's results, not an average of days.
 */
export async function rangeTotals(store: Store, p: TotalsParams, nowMs: number): Promise<AggregatesJson> {
  if (!(p.stop > p.start)) throw invalid('stop must be after start');
  const boundaries = [
    p.start,
    ...(p.cuts ?? []).filter((c) => c > p.start && c < p.stop).sort((a, b) => a - b),
    p.stop,
  ];
  const res = await store.aggregate({
    period: 'day',
    tz: p.tz,
    boundaries,
    filters: p.filters,
    groupBy: p.groupBy,
    metric: p.metric,
    ...(p.stats ? { stats: p.stats } : {}),
    ...(p.skipUntagged ? { skipUntagged: true } : {}),
  });
  const iso = boundaries.map(formatMillis);
  const series = res.groups.flatMap((g) => {
    const buckets: BucketJson[] = [...g.buckets]
      .filter((b) => b.testCount > 0)
      .sort((a, b) => a.bucket - b.bucket)
      .map((b) => ({
        start: iso[b.bucket]!,
        end: iso[b.bucket + 1]!,
        partial: boundaries[b.bucket]! <= nowMs && nowMs < boundaries[b.bucket + 1]!,
        test_count: b.testCount,
        success_count: b.successCount,
        failure_count: b.testCount - b.successCount,
        availability_pct: (100 * b.successCount) / b.testCount,
        stats: { ...statsFrom(b, b), ...(b.approximate && b.n > 0 ? { approximate: true as const } : {}) },
      }));
    return buckets.length ? [{ group: g.group as Record<string, string | null>, buckets }] : [];
  });
  return {
    period: 'day',
    tz: p.tz,
    metric: p.metric,
    group_by: p.groupBy,
    start: iso[0]!,
    stop: iso[iso.length - 1]!,
    series,
  };
}
