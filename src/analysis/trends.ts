// trends: per series, is the metric going up, down, or neither over the window?
//
// Significance is the Mann–Kendall test (tie-corrected, continuity-corrected; robust to outliers and to the shape
// of the trend). Size is an ordinary least-squares line on TIME (bucket start in days, so gaps and bucket lengths
// count, unlike the original's slope over the sample index): slope_per_day, and change_pct = fitted change over the
// window / fitted value at its start. A direction is reported only when the change is both significant
// (p < alpha, default 0.01: hourly means are autocorrelated, which makes Mann–Kendall optimistic) and material
// (|change_pct| ≥ min_change_pct, default 5 %, the asv/Conbench threshold), so a tiny but steady drift on a quiet
// series stays "stable". A clear daily cycle (weekly for daily buckets; seasonal.ts) is removed before both. The
// Theil–Sen slope and the regression p-value are evidence, as is a trailing moving average.

import { DAY_MS } from '../time/buckets.js';
import { formatMillis } from '../time/parse.js';
import { head, Options } from './inputs.js';
import { deseasonalize } from './seasonal.js';
import { loadSeries, metricLabel, type Point, SERIES_OPTIONS, type Statistic, yielder } from './series.js';
import { linearFit, mannKendall, movingAverage, senSlope } from './stats.js';
import type { AnalysisContext, AnalysisHead, AnalysisRequest } from './types.js';

export interface TrendOptions {
  alpha: number;
  minChangePct: number;
  /** Points in the trailing moving average. */
  maWindow: number;
  /** Bucket length; with it, a clear daily (weekly for days) cycle is removed before testing and fitting. */
  stepMs?: number;
}

export const TREND_DEFAULTS: TrendOptions = { alpha: 0.01, minChangePct: 5, maWindow: 24 };
/** Fewer points than this say nothing about a trend. */
export const MIN_TREND_POINTS = 8;

export interface Trend {
  direction: 'increasing' | 'decreasing' | 'stable';
  slope_per_day: number;
  /** null when the fitted start is 0 (a change from nothing has no percentage). */
  change_pct: number | null;
  p_value: number;
  method: 'mann-kendall';
  evidence: {
    window: { start: string; end: string };
    points: number;
    results: number;
    mean: number;
    fitted_start: number;
    fitted_end: number;
    sen_slope_per_day: number;
    regression_p_value: number;
    r2: number;
    kendall_tau: number;
    alpha: number;
    min_change_pct: number;
    /** Strength of the daily cycle removed before the test (null: too short to tell). */
    seasonal_strength: number | null;
  };
  moving_average: { time: string; value: number }[];
}

/** The trend of one series (points in time order). Null when there are fewer than MIN_TREND_POINTS points. */
export function detectTrend(points: readonly Point[], o: TrendOptions = TREND_DEFAULTS): Trend | null {
  if (points.length < MIN_TREND_POINTS) return null;
  const t0 = points[0]!.t;
  const x = points.map((p) => (p.t - t0) / DAY_MS);
  const raw = points.map((p) => p.value);
  // A window that starts at a daily peak and ends in a trough would otherwise look like a fall, and the cycle's
  // autocorrelation makes Mann–Kendall overconfident.
  const ds = o.stepMs ? deseasonalize(points, o.stepMs) : { values: raw, strength: null };
  const y = ds.values;
  const fit = linearFit(x, y);
  const mk = mannKendall(y);
  const span = x[x.length - 1]!;
  const fittedStart = fit.intercept;
  const fittedEnd = fit.intercept + fit.slope * span;
  const change = fittedEnd - fittedStart;
  const changePct = fittedStart === 0 ? (change === 0 ? 0 : null) : (100 * change) / Math.abs(fittedStart);
  const agree = Math.sign(mk.s) === Math.sign(fit.slope);
  const moving = agree && mk.p < o.alpha && changePct !== null && Math.abs(changePct) >= o.minChangePct;
  const ma = movingAverage(raw, Math.max(1, Math.min(o.maWindow, points.length)));
  let results = 0;
  for (const p of points) results += p.n;
  return {
    direction: moving ? (fit.slope > 0 ? 'increasing' : 'decreasing') : 'stable',
    slope_per_day: fit.slope,
    change_pct: changePct,
    p_value: mk.p,
    method: 'mann-kendall',
    evidence: {
      window: { start: formatMillis(points[0]!.t), end: formatMillis(points[points.length - 1]!.t) },
      points: points.length,
      results,
      mean: raw.reduce((a, b) => a + b, 0) / raw.length,
      fitted_start: fittedStart,
      fitted_end: fittedEnd,
      // Theil–Sen is O(n²); past 2000 points (83 days hourly) the OLS slope stands alone.
      sen_slope_per_day: points.length <= 2000 ? senSlope(x, y) : fit.slope,
      regression_p_value: fit.p,
      r2: fit.r2,
      kendall_tau: mk.tau,
      alpha: o.alpha,
      min_change_pct: o.minChangePct,
      seasonal_strength: ds.strength,
    },
    moving_average: points.map((p, i) => ({ time: formatMillis(p.t), value: ma[i]! })),
  };
}

/** One series' trend in the answer: its tags, what was measured, the trend (moving average unless asked not to). */
export type TrendItem = { series: Record<string, string>; metric: string; statistic: Statistic } & Omit<
  Trend,
  'moving_average'
> &
  Partial<Pick<Trend, 'moving_average'>>;

export interface TrendsResponse extends AnalysisHead<'trends'> {
  period: 'hour' | 'day';
  group_by: string[];
  trends: TrendItem[];
  skipped: { series: Record<string, string>; points: number; reason: string }[];
}

/** Moving-average points per series in a response; longer ones are thinned evenly (the last point kept). */
export const MA_POINTS = 250;

export function thin<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const step = Math.ceil(xs.length / max);
  const out = xs.filter((_, i) => (xs.length - 1 - i) % step === 0);
  return out;
}

export async function runTrends(ctx: AnalysisContext, req: AnalysisRequest): Promise<TrendsResponse> {
  const opts = new Options(
    req.options,
    [...SERIES_OPTIONS, 'alpha', 'min_change_pct', 'include_stable', 'moving_average'],
    'trends',
  );
  const o: TrendOptions = {
    alpha: opts.number('alpha', 1e-12, 0.5, TREND_DEFAULTS.alpha),
    minChangePct: opts.number('min_change_pct', 0, 1e6, TREND_DEFAULTS.minChangePct),
    maWindow: 24,
  };
  const includeStable = opts.bool('include_stable', true);
  const withMa = opts.bool('moving_average', true);
  const set = await loadSeries(ctx, req, opts);
  o.maWindow = set.period === 'hour' ? 24 : 7;
  o.stepMs = set.stepMs;
  const metric = metricLabel(req.metric, set.statistic);
  const trends: TrendItem[] = [];
  const skipped: TrendsResponse['skipped'] = [];
  const pause = yielder();
  for (const s of set.series) {
    await pause();
    const t = detectTrend(s.points, o);
    if (!t) {
      skipped.push({
        series: s.series,
        points: s.points.length,
        reason: `fewer than ${MIN_TREND_POINTS} buckets with data`,
      });
      continue;
    }
    if (!includeStable && t.direction === 'stable') continue;
    const { moving_average: ma, ...rest } = t;
    trends.push({
      series: s.series,
      metric,
      statistic: set.statistic,
      ...rest,
      ...(withMa ? { moving_average: thin(ma, MA_POINTS) } : {}),
    });
  }
  // Changes first, the most certain first.
  trends.sort((a, b) => Number(a.direction === 'stable') - Number(b.direction === 'stable') || a.p_value - b.p_value);
  return {
    ...head('trends', req),
    period: set.period,
    group_by: set.groupBy,
    trends,
    skipped,
  };
}
