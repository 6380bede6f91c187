// GET /api/v1/forecast as a function (docs/http-api.md; /openapi.json): the hourly or daily history of one statistic from the
// aggregates, gaps filled, the candidates evaluated on the worker pool, and the chosen forecast with its
// backtest. Results are cached per query and history, so a dashboard that refreshes does not refit.
import { createHash } from 'node:crypto';
import { type BucketJson, type FragmentCache, queryAggregates } from '../aggregates/index.js';
import { invalid, stopNotAfterStart } from '../errors.js';
import type { StatsLevel, Store, TagFilters } from '../store/types.js';
import { bucketBoundaries, DAY_MS, HOUR_MS } from '../time/buckets.js';
import { formatMillis } from '../time/parse.js';
import type { Level, ModelName } from './models.js';
import type { ForecastPool } from './pool.js';
import { type Backtest, type Calibration, type CandidateReport, ForecastInputError, minimumHistory } from './select.js';

export const STATISTICS = ['mean', 'p95', 'availability_pct', 'test_count'] as const;
export type Statistic = (typeof STATISTICS)[number];
export const FORECAST_PERIODS = ['hour', 'day'] as const;
export type ForecastPeriod = (typeof FORECAST_PERIODS)[number];

export interface ForecastParams {
  metric: string;
  statistic: Statistic;
  period: ForecastPeriod;
  horizon: number;
  level: Level;
  model: 'auto' | ModelName;
  filters: TagFilters;
  tz: string;
  /** History window in ms; defaults: the last 30 days (hourly) or 365 days (daily) of complete buckets. */
  start?: number;
  stop?: number;
}

/** Limits of the parameters, also used by the API and CLI to validate. */
export const LIMITS = {
  horizon: { hour: 24 * 14, day: 90 },
  defaultHorizon: { hour: 24, day: 14 },
  historyDays: { hour: 30, day: 365 },
  maxHistoryDays: { hour: 120, day: 5 * 366 },
} as const;

const SEASON: Record<ForecastPeriod, number> = { hour: 24, day: 7 };
/** Above this share of empty buckets the history is too sparse to fill and forecast honestly. */
const MAX_GAP_SHARE = 0.25;

export interface ForecastJson {
  metric: string;
  statistic: Statistic;
  period: ForecastPeriod;
  level: Level;
  tz: string;
  model: { name: ModelName; params: Record<string, unknown> };
  history: { time: string; value: number | null }[];
  forecast: { time: string; value: number; lower: number; upper: number }[];
  backtest: Backtest;
  /** More than the contract asks: every candidate's backtest, the data used, and how the interval was set. */
  candidates: CandidateReport[];
  data: { start: string; stop: string; points: number; gaps_filled: number };
  interval: { calibration_factor: number };
  /** How the interval's width was set: per-step conformal quantiles of backtest errors, and their coverage. */
  calibration: Calibration;
  cached: boolean;
}

export class Forecaster {
  private readonly cache = new Map<string, Omit<ForecastJson, 'cached'>>();

  constructor(
    private readonly store: Store,
    private readonly pool: ForecastPool,
    /** The service's cache of serialised aggregate buckets (service.ts); absent: none kept. */
    private readonly aggregateCache?: FragmentCache,
    private readonly cacheSize = 256,
  ) {}

  async forecast(p: ForecastParams, nowMs: number): Promise<ForecastJson> {
    const season = SEASON[p.period];
    const [start, stop] = historyRange(p, nowMs);
    const agg = await queryAggregates(
      this.store,
      {
        period: p.period,
        tz: p.tz,
        start,
        stop,
        groupBy: [],
        filters: p.filters,
        metric: p.metric,
        fill: true,
        stats: STATS_LEVEL[p.statistic],
      },
      nowMs,
      this.aggregateCache,
    );
    const buckets = (agg.series[0]?.buckets ?? []).filter((b) => !b.partial);
    const raw = buckets.map((b) => statisticOf(b, p.statistic));
    const first = raw.findIndex((v) => v !== null);
    const observed = first < 0 ? [] : raw.slice(first);
    const times = buckets.slice(first < 0 ? buckets.length : first).map((b) => Date.parse(b.start));
    const need = minimumHistory(season, p.horizon);
    const present = observed.filter((v) => v !== null).length;
    if (present < need) {
      throw invalid(
        `not enough history to forecast: needs at least ${need} ${p.period === 'hour' ? 'hourly' : 'daily'} buckets with data ` +
          `(${need / season} ${p.period === 'hour' ? 'days' : 'weeks'}) between ${formatMillis(start)} and ${formatMillis(stop)}; found ${present}`,
        { minimum_history: need, found: present },
      );
    }
    const gaps = observed.length - present;
    if (gaps > MAX_GAP_SHARE * observed.length) {
      throw invalid(
        `the history is too sparse to forecast: ${gaps} of ${observed.length} ${p.period} buckets since the first result have no data`,
        { empty_buckets: gaps, buckets: observed.length },
      );
    }
    const y = fillGaps(observed, season);
    const key = cacheKey(p, times[0]!, y);
    const hit = this.cache.get(key);
    if (hit) {
      // Refresh its place in the LRU order.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return { ...hit, cached: true };
    }
    let sel: Awaited<ReturnType<ForecastPool['select']>>;
    try {
      sel = await this.pool.select(y, {
        season,
        hourly: p.period === 'hour',
        horizon: p.horizon,
        level: p.level,
        model: p.model,
        bounds: boundsFor(p, y),
      });
    } catch (e) {
      if (e instanceof ForecastInputError) throw invalid(e.message);
      throw e;
    }
    const lastStart = times[times.length - 1]!;
    const future = futureStarts(p, lastStart, p.horizon);
    const r4 = (v: number): number => Math.round(v * 1e4) / 1e4;
    const out: Omit<ForecastJson, 'cached'> = {
      metric: p.metric,
      statistic: p.statistic,
      period: p.period,
      level: p.level,
      tz: p.tz,
      model: sel.model,
      history: observed.map((v, i) => ({ time: formatMillis(times[i]!), value: v === null ? null : r4(v) })),
      forecast: future.map((t, i) => ({
        time: formatMillis(t),
        value: r4(sel.point[i]!),
        lower: r4(sel.lower[i]!),
        upper: r4(sel.upper[i]!),
      })),
      backtest: sel.backtest,
      candidates: sel.candidates,
      data: { start: formatMillis(times[0]!), stop: formatMillis(future[0]!), points: y.length, gaps_filled: gaps },
      interval: { calibration_factor: sel.intervalScale },
      calibration: sel.calibration,
    };
    this.cache.set(key, out);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return { ...out, cached: false };
  }
}

/** [start, stop) of the history: complete buckets only (the current one is partial and left out later). */
function historyRange(p: ForecastParams, nowMs: number): [number, number] {
  const stop = p.stop ?? nowMs;
  const start = p.start ?? stop - LIMITS.historyDays[p.period] * DAY_MS;
  if (!(stop > start)) throw stopNotAfterStart();
  if (stop - start > LIMITS.maxHistoryDays[p.period] * DAY_MS) {
    throw invalid(`the history range is longer than ${LIMITS.maxHistoryDays[p.period]} days for period=${p.period}`, {
      parameter: 'start',
    });
  }
  return [start, stop];
}

/** What each statistic needs of the store (percentiles of merged buckets cost the most). */
const STATS_LEVEL: Record<Statistic, StatsLevel> = {
  test_count: 'counts',
  availability_pct: 'counts',
  mean: 'moments',
  p95: 'percentiles',
};

function statisticOf(b: BucketJson, s: Statistic): number | null {
  switch (s) {
    case 'test_count':
      return b.test_count;
    case 'availability_pct':
      return b.availability_pct;
    case 'mean':
      return b.stats ? b.stats.mean : null;
    case 'p95':
      return b.stats ? b.stats.p95 : null;
  }
}

/**
 * Buckets without data inside the history: short gaps (up to 3 buckets) by linear interpolation, longer ones by
 * the value one season earlier, so a missing afternoon keeps its daily shape. Trailing gaps continue the season.
 */
export function fillGaps(values: readonly (number | null)[], season: number): number[] {
  const y: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) {
      y.push(v);
      continue;
    }
    let j = i;
    while (j < values.length && (values[j] === null || values[j] === undefined)) j++;
    const len = j - i;
    const before = y[i - 1]!;
    const after = j < values.length ? values[j]! : null;
    for (let k = i; k < j; k++) {
      if (after !== null && len <= 3) y.push(before + ((after - before) * (k - i + 1)) / (len + 1));
      else y.push(k >= season ? y[k - season]! : before);
    }
    i = j - 1;
  }
  return y;
}

/** Counts, latencies and availability never go below 0, availability never above 100; other metrics keep their sign. */
function boundsFor(p: ForecastParams, y: readonly number[]): { min?: number; max?: number } {
  if (p.statistic === 'availability_pct') return { min: 0, max: 100 };
  if (p.statistic === 'test_count' || p.metric === 'latency_ms') return { min: 0 };
  return y.every((v) => v >= 0) ? { min: 0 } : {};
}

/** Starts of the `n` buckets after the one starting at `lastStart`, in the forecast's zone. */
function futureStarts(p: ForecastParams, lastStart: number, n: number): number[] {
  const step = p.period === 'hour' ? HOUR_MS : 25 * HOUR_MS;
  const b = bucketBoundaries(p.period, p.tz, lastStart, lastStart + (n + 1) * step + 1);
  return b.slice(1, n + 1);
}

function cacheKey(p: ForecastParams, firstStart: number, y: readonly number[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([p.metric, p.statistic, p.period, p.horizon, p.level, p.model, p.tz, p.filters, firstStart]));
  h.update(new Uint8Array(Float64Array.from(y).buffer));
  return h.digest('base64');
}
