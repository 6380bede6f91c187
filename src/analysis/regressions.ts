// regressions: per series, is the recent window worse (or better) than the baseline before it?
//
// Recent = the last `recent_hours` of the request (default 24 h, or a quarter of a window shorter than 4 days;
// 7 days with daily buckets);
// baseline = the rest. The bucket values of the two are compared with Welch's t-test (or Mann–Whitney with
// test=mann-whitney); a change is listed when p < alpha (default 0.01) and |change_pct| reaches the smallest
// severity (5 %). Which way is worse depends on the metric: up is worse for latency, error rate and most metrics;
// down is worse for throughput-like metrics (HIGHER_IS_BETTER, extended with higher_is_better=a,b and overridden
// with lower_is_better=a,b). Severity follows the original: minor ≥ 5 %, major ≥ 15 %, critical ≥ 30 %.
// change_time is when the step happened, from change-point detection over the whole window (changepoint.ts) on
// the series with its daily profile removed: the largest step in the same direction as the change.
import { formatMillis } from '../time/parse.js';
import { CHANGE_POINT_DEFAULTS, detectChangePoints } from './changepoint.js';
import { head, Options } from './inputs.js';
import { deseasonalize } from './seasonal.js';
import { loadSeries, metricLabel, type Point, SERIES_OPTIONS, yielder } from './series.js';
import { cohenD, mannWhitney, welchTest } from './stats.js';
import type { AnalysisContext, AnalysisRequest, AnalysisResponse } from './types.js';
import { HOUR_MS } from '../time/buckets.js';


/** Metrics (and statistics) where a fall is the regression; comparison ranks groups by the same list. */
export const HIGHER_IS_BETTER = [
  'throughput',
  'ops',
  'ops_per_sec',
  'qps',
  'rps',
  'requests_per_second',
  'requests_per_sec',
  'bandwidth',
  'availability_pct',
  'success_rate',
  'accuracy',
  'test_count',
  'score',
  'hit_rate',
  'tokens_per_second',
];

export const SEVERITY = [
  ['critical', 30],
  ['major', 15],
  ['minor', 5],
] as const;
export type Severity = (typeof SEVERITY)[number][0];

export function severityOf(changePct: number): Severity | null {
  for (const [name, at] of SEVERITY) if (Math.abs(changePct) >= at) return name;
  return null;
}

export interface RegressionOptions {
  /** ms: points at or after this are the recent window. */
  recentStart: number;
  higherIsBetter: boolean;
  alpha: number;
  test: 'welch' | 'mann-whitney';
  stepMs: number;
}

export const MIN_BASELINE = 6;
export const MIN_RECENT = 3;

export interface Regression {
  direction: 'worse' | 'better';
  change_pct: number;
  p_value: number;
  severity: Severity;
  change_time: string | null;
  effect_size: number;
  evidence: {
    test: 'welch' | 'mann-whitney';
    baseline: { start: string; end: string; points: number; mean: number };
    recent: { start: string; end: string; points: number; mean: number };
    higher_is_better: boolean;
    change_points: { time: string; before: number; after: number; p_value: number }[];
    seasonal_strength: number | null;
  };
}

export type RegressionOutcome =
  | { listed: true; regression: Regression }
  | { listed: false; reason: string; p_value?: number; change_pct?: number | null };

/** Compares the recent window of one series with its baseline. Points in time order. */
export function detectRegression(points: readonly Point[], o: RegressionOptions): RegressionOutcome {
  const base = points.filter((p) => p.t < o.recentStart);
  const recent = points.filter((p) => p.t >= o.recentStart);
  if (base.length < MIN_BASELINE || recent.length < MIN_RECENT) {
    return { listed: false, reason: `needs ${MIN_BASELINE} baseline and ${MIN_RECENT} recent buckets with data (has ${base.length} and ${recent.length})` };
  }
  const a = base.map((p) => p.value);
  const b = recent.map((p) => p.value);
  const meanA = a.reduce((x, y) => x + y, 0) / a.length;
  const meanB = b.reduce((x, y) => x + y, 0) / b.length;
  // The test runs on the values with the daily profile removed (when there is one): day and night would
  // otherwise swamp the variance and hide a step of a few percent.
  const ds = deseasonalize(points, o.stepMs);
  const split = base.length;
  const da = ds.values.slice(0, split);
  const db = ds.values.slice(split);
  const test = o.test === 'welch' ? welchTest(db, da) : mannWhitney(db, da);
  if (meanA === 0) return { listed: false, reason: 'the baseline mean is 0: no percentage change', p_value: test.p, change_pct: null };
  const changePct = (100 * (meanB - meanA)) / Math.abs(meanA);
  const severity = severityOf(changePct);
  if (!(test.p < o.alpha)) return { listed: false, reason: 'not significant', p_value: test.p, change_pct: changePct };
  if (!severity) return { listed: false, reason: 'change below 5 %', p_value: test.p, change_pct: changePct };
  const up = meanB > meanA;
  const worse = up !== o.higherIsBetter;
  const cps = detectChangePoints(ds.values, CHANGE_POINT_DEFAULTS).map((c) => ({
    time: points[c.index]!.t,
    step: c.after - c.before,
    before: c.before,
    after: c.after,
    p: c.p,
  }));
  const same = cps.filter((c) => c.step > 0 === up).sort((x, y) => Math.abs(y.step) - Math.abs(x.step));
  return {
    listed: true,
    regression: {
      direction: worse ? 'worse' : 'better',
      change_pct: changePct,
      p_value: test.p,
      severity,
      change_time: same[0] ? formatMillis(same[0].time) : null,
      effect_size: cohenD(db, da),
      evidence: {
        test: o.test,
        baseline: { start: formatMillis(base[0]!.t), end: formatMillis(base[base.length - 1]!.t), points: a.length, mean: meanA },
        recent: { start: formatMillis(recent[0]!.t), end: formatMillis(recent[recent.length - 1]!.t), points: b.length, mean: meanB },
        higher_is_better: o.higherIsBetter,
        change_points: cps.map((c) => ({ time: formatMillis(c.time), before: c.before, after: c.after, p_value: c.p })),
        seasonal_strength: ds.strength,
      },
    },
  };
}

export async function runRegressions(ctx: AnalysisContext, req: AnalysisRequest): Promise<AnalysisResponse> {
  const opts = new Options(
    req.options,
    [...SERIES_OPTIONS, 'recent_hours', 'alpha', 'test', 'higher_is_better', 'lower_is_better'],
    'regressions',
  );
  const alpha = opts.number('alpha', 1e-12, 0.5, 0.01);
  const test = opts.enum('test', ['welch', 'mann-whitney'] as const, 'welch');
  const higher = new Set([...HIGHER_IS_BETTER, ...opts.names('higher_is_better')]);
  for (const m of opts.names('lower_is_better')) higher.delete(m);
  const set = await loadSeries(ctx, req, opts);
  const spanHours = (req.stop - req.start) / HOUR_MS;
  // Daily buckets need a week to have MIN_RECENT points; hourly ones compare the last day.
  const dflt = set.period === 'day' ? Math.min(7 * 24, spanHours / 4) : spanHours >= 96 ? 24 : spanHours / 4;
  const recentHours = opts.number('recent_hours', 1, spanHours, dflt);
  if (recentHours >= spanHours) throw opts.invalid('recent_hours', 'must leave a baseline before the recent window');
  const metric = metricLabel(req.metric, set.statistic);
  const higherIsBetter = higher.has(metric);
  const recentStart = req.stop - recentHours * HOUR_MS;
  const regressions = [];
  const notListed = [];
  const warnings: string[] = [];
  // Under two days of hourly buckets the daily cycle cannot be removed, and the last hours against the rest is
  // afternoon against night: on the demo fleet a 24-hour window listed 50 "regressions" that were the cycle.
  const tooShort = set.period === 'hour' && spanHours < 48;
  if (tooShort) {
    warnings.push(
      `regressions over hourly buckets need a window of at least 48 hours to tell a change from the daily cycle; this one has ${Math.round(spanHours)} h`,
    );
  }
  const pause = yielder();
  for (const s of tooShort ? [] : set.series) {
    await pause();
    const r = detectRegression(s.points, { recentStart, higherIsBetter, alpha, test, stepMs: set.stepMs });
    if (r.listed) regressions.push({ series: s.series, metric, statistic: set.statistic, ...r.regression });
    else if (r.reason.startsWith('needs')) notListed.push({ series: s.series, reason: r.reason });
  }
  // Worst first: regressions before improvements, then by size.
  regressions.sort((x, y) => Number(x.direction === 'better') - Number(y.direction === 'better') || Math.abs(y.change_pct) - Math.abs(x.change_pct));
  return {
    ...head('regressions', req),
    period: set.period,
    group_by: set.groupBy,
    recent_start: formatMillis(recentStart),
    series_checked: set.series.length,
    regressions,
    skipped: notListed,
    ...(warnings.length ? { warnings } : {}),
  };
}
