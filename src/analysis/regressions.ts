// regressions: per series, has the level moved for the worse (or better), by how much, and since when?
//
// Change points first: binary segmentation over the whole window (changepoint.ts) on the series with its daily
// profile removed. When it finds one, the latest change point is the one the series' current level began at (with
// the change points just before it that moved the same way: one move in several steps), and the comparison is
// between the segment before the move (from the previous change point, or the window's start) and the segment
// after it (to the window's end): change_pct, the p-value and the severity measure the step itself,
// wherever in the window it happened. Comparing the last 24 h with the rest, as before, diluted a +20 % step four
// days back to +13.8 % ("minor"), because the baseline already held three days after the step.
// Without a change point, the last `recent_hours` of the request (default 24 h, or a quarter of a window shorter
// than 4 days; 7 days with daily buckets) are compared with the rest.
// Either way the two sets of bucket values (daily profile removed) are compared with Welch's t-test (or
// Mann–Whitney with test=mann-whitney); a change is listed when p < alpha (default 0.01) and |change_pct| reaches
// the smallest severity (5 %). Which way is worse depends on the metric: up is worse for latency, error rate and
// most metrics; down is worse for throughput-like metrics (HIGHER_IS_BETTER, extended with higher_is_better=a,b and
// overridden with lower_is_better=a,b). Severity follows the original: minor ≥ 5 %, major ≥ 15 %, critical ≥ 30 %.

import { HOUR_MS } from '../time/buckets.js';
import { formatMillis } from '../time/parse.js';
import { CHANGE_POINT_DEFAULTS, detectChangePoints } from './changepoint.js';
import { head, Options } from './inputs.js';
import { deseasonalize } from './seasonal.js';
import { loadSeries, metricLabel, type Point, SERIES_OPTIONS, type Statistic, yielder } from './series.js';
import { cohenD, mannWhitney, welchTest } from './stats.js';
import type { AnalysisContext, AnalysisHead, AnalysisRequest } from './types.js';

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

export interface Segment {
  start: string;
  end: string;
  points: number;
  mean: number;
}

export interface Regression {
  direction: 'worse' | 'better';
  change_pct: number;
  p_value: number;
  severity: Severity;
  change_time: string | null;
  effect_size: number;
  evidence: {
    test: 'welch' | 'mann-whitney';
    /** What was compared: the segments around the latest change point, or the recent window with the rest. */
    basis: 'change_point' | 'recent_window';
    /** The earlier set: the segment before the change point, or the baseline before the recent window. */
    baseline: Segment;
    /** The later set: the segment after the change point, or the recent window. */
    recent: Segment;
    higher_is_better: boolean;
    change_points: { time: string; before: number; after: number; p_value: number }[];
    seasonal_strength: number | null;
  };
}

export type RegressionOutcome =
  | { listed: true; regression: Regression }
  | { listed: false; reason: string; p_value?: number; change_pct?: number | null };

const mean = (x: readonly number[]): number => x.reduce((a, b) => a + b, 0) / x.length;

/**
 * Compares the level before and after the latest change point of one series, or, without one, its recent window
 * with the baseline before it. Points in time order.
 */
export function detectRegression(points: readonly Point[], o: RegressionOptions): RegressionOutcome {
  // The test and the change points run on the values with the daily profile removed (when there is one): day
  // and night would otherwise swamp the variance and hide a step of a few percent, or look like steps themselves.
  const ds = deseasonalize(points, o.stepMs);
  const cps = detectChangePoints(ds.values, CHANGE_POINT_DEFAULTS);
  let basis: Regression['evidence']['basis'];
  let from: number;
  let split: number;
  let meanA: number;
  let meanB: number;
  let changeIndex = -1;
  if (cps.length > 0) {
    basis = 'change_point';
    // A move in several steps the same way (a jump, then a smaller one as the rest of the fleet follows) is one
    // change: from the first of the run of change points in the latest one's direction to the last of them.
    const up = (c: (typeof cps)[number]): boolean => c.after > c.before;
    let first = cps.length - 1;
    while (first > 0 && up(cps[first - 1]!) === up(cps[cps.length - 1]!)) first--;
    changeIndex = cps[first]!.index;
    split = cps[cps.length - 1]!.index;
    from = first > 0 ? cps[first - 1]!.index : 0;
    // Segment means of the deseasonalised values: a segment that starts or ends mid-day would otherwise carry
    // the phase of the daily cycle into the change.
    meanA = mean(ds.values.slice(from, changeIndex));
    meanB = mean(ds.values.slice(split));
  } else {
    basis = 'recent_window';
    from = 0;
    split = points.filter((p) => p.t < o.recentStart).length;
    const base = split;
    const recent = points.length - split;
    if (base < MIN_BASELINE || recent < MIN_RECENT) {
      return {
        listed: false,
        reason: `needs ${MIN_BASELINE} baseline and ${MIN_RECENT} recent buckets with data (has ${base} and ${recent})`,
      };
    }
    meanA = mean(points.slice(0, split).map((p) => p.value));
    meanB = mean(points.slice(split).map((p) => p.value));
  }
  const da = ds.values.slice(from, basis === 'change_point' ? changeIndex : split);
  const db = ds.values.slice(split);
  const test = o.test === 'welch' ? welchTest(db, da) : mannWhitney(db, da);
  if (meanA === 0)
    return { listed: false, reason: 'the baseline mean is 0: no percentage change', p_value: test.p, change_pct: null };
  const changePct = (100 * (meanB - meanA)) / Math.abs(meanA);
  const severity = severityOf(changePct);
  if (!(test.p < o.alpha)) return { listed: false, reason: 'not significant', p_value: test.p, change_pct: changePct };
  if (!severity) return { listed: false, reason: 'change below 5 %', p_value: test.p, change_pct: changePct };
  const up = meanB > meanA;
  const worse = up !== o.higherIsBetter;
  // When the step happened: the change point compared at; unknown for a recent-window comparison.
  const changeAt = basis === 'change_point' ? points[changeIndex]!.t : null;
  const segment = (a: number, b: number, m: number): Segment => ({
    start: formatMillis(points[a]!.t),
    end: formatMillis(points[b - 1]!.t),
    points: b - a,
    mean: m,
  });
  return {
    listed: true,
    regression: {
      direction: worse ? 'worse' : 'better',
      change_pct: changePct,
      p_value: test.p,
      severity,
      change_time: changeAt === null ? null : formatMillis(changeAt),
      effect_size: cohenD(db, da),
      evidence: {
        test: o.test,
        basis,
        baseline: segment(from, basis === 'change_point' ? changeIndex : split, meanA),
        recent: segment(split, points.length, meanB),
        higher_is_better: o.higherIsBetter,
        change_points: cps.map((c) => ({
          time: formatMillis(points[c.index]!.t),
          before: c.before,
          after: c.after,
          p_value: c.p,
        })),
        seasonal_strength: ds.strength,
      },
    },
  };
}

/** One listed change in the answer: its series' tags, what was measured, and the change. */
export type RegressionItem = { series: Record<string, string>; metric: string; statistic: Statistic } & Regression;

export interface RegressionsResponse extends AnalysisHead<'regressions'> {
  period: 'hour' | 'day';
  group_by: string[];
  recent_start: string;
  series_checked: number;
  regressions: RegressionItem[];
  skipped: { series: Record<string, string>; reason: string }[];
  warnings?: string[];
}

export async function runRegressions(ctx: AnalysisContext, req: AnalysisRequest): Promise<RegressionsResponse> {
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
  const regressions: RegressionItem[] = [];
  const notListed: RegressionsResponse['skipped'] = [];
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
  regressions.sort(
    (x, y) =>
      Number(x.direction === 'better') - Number(y.direction === 'better') ||
      Math.abs(y.change_pct) - Math.abs(x.change_pct),
  );
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
