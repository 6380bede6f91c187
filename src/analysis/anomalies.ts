// anomalies: single buckets far from what the series' own history says they should be.
//
// Methods (the item's `method`):
// - robust_z: the Iglewicz–Hoaglin modified z-score against a rolling history of the previous `history` points
//   (default 64, as Bencher): z = (x − median) / (1.4826·MAD), flagged when |z| > 3.5 with at least 10 points of
//   history. MAD = 0 falls back to 1.2533·mean absolute deviation (notes §3); σ is floored at 1 % of the median so
//   a series that never moved does not call every wobble an anomaly.
// - seasonal_mad: for series with a daily cycle (hourly buckets; a weekly one for daily buckets), in the spirit of
//   S-H-ESD (Vallis et al. 2014): a robust decomposition (rolling-median trend over one cycle, per phase the median
//   of the other cycles), residual = value − trend − profile, flagged when its modified z over the whole window
//   exceeds the threshold. Medians keep a spike from leaking into the profile, so the spike is found and the daily
//   peaks are not. Buckets with under a quarter of the usual result count are never flagged.
// - mstl_mad: the same residual test on augurs' MSTL fit (opt-in with method=mstl): fitted once, the flagged points
//   imputed, fitted again, because a single fit lets a spike leak into the same hour of every other day.
// For error_rate and availability_pct, a flag must also be improbable as binomial noise (binomialCheck).
// `auto` (default) picks seasonal_mad when the cycle is clear (strength ≥ strengthNeeded: 0.85 over 3 cycles,
// down to 0.3 over 14 or more), else robust_z. `score` is |z|; `expected` is what the method predicted for the point.
import * as ss from 'simple-statistics';
import { formatMillis } from '../time/parse.js';
import { errorText, loadMstl } from '../augurs.js';
import { head, Options } from './inputs.js';
import { cycleOf, decompose, interpolate, strengthNeeded, toGrid } from './seasonal.js';
import { loadSeries, metricLabel, type Point, SERIES_OPTIONS, yielder } from './series.js';
import { binomialTailZ } from './stats.js';
import type { AnalysisContext, AnalysisRequest, AnalysisResponse } from './types.js';

export type AnomalyMethod = 'robust_z' | 'seasonal_mad' | 'mstl_mad';

export interface AnomalyOptions {
  stepMs: number;
  method: 'auto' | 'robust_z' | 'seasonal' | 'mstl';
  threshold: number;
  history: number;
  minHistory: number;
  /**
   * The values are percentages of results (error_rate or availability_pct): a flag must also be unlikely as
   * binomial noise, given the failure rate of the point's history and its result count.
   */
  rate?: 'error_rate' | 'availability_pct';
}

export const ANOMALY_DEFAULTS: Omit<AnomalyOptions, 'stepMs'> = { method: 'auto', threshold: 3.5, history: 64, minHistory: 10 };
/** Cycles of data before a seasonal method is trusted. */
export const MIN_CYCLES = 3;
/** σ never goes below this share of the level. */
const SIGMA_FLOOR = 0.01;
const MAX_SCORE = 1e6;
/** Buckets with fewer results than this share of the series' median count are not flagged. */
export const MIN_SHARE_OF_USUAL = 0.25;
/** Most anomalies one run reports (and stores). */
export const MAX_REPORTED = 5000;

export interface Anomaly {
  time: number;
  value: number;
  expected: number;
  /** |modified z| of the point (or its residual). */
  score: number;
  side: 'high' | 'low';
  method: AnomalyMethod;
  /** Results in the bucket. */
  n: number;
  /** Points the expected value was judged from (the rolling history, or the whole window). */
  history: number;
}

export interface Detection {
  method: AnomalyMethod;
  seasonalStrength: number | null;
  anomalies: Anomaly[];
  /** Set when mstl failed and seasonal_mad was used instead. */
  note?: string;
}

function robust(x: readonly number[]): { median: number; sigma: number } {
  const median = ss.median(x as number[]);
  let sigma = 1.4826 * ss.medianAbsoluteDeviation(x as number[]);
  if (sigma === 0) {
    let s = 0;
    for (const v of x) s += Math.abs(v - median);
    sigma = 1.2533 * (s / x.length);
  }
  return { median, sigma: Math.max(sigma, SIGMA_FLOOR * Math.abs(median), 1e-12) };
}

function scoreOf(x: number, centre: number, sigma: number): number {
  return Math.min(MAX_SCORE, Math.abs(x - centre) / sigma);
}

/** Rolling robust z: each point against the `history` points before it. */
export function robustZ(points: readonly Point[], o: Pick<AnomalyOptions, 'threshold' | 'history' | 'minHistory'>): Anomaly[] {
  const out: Anomaly[] = [];
  for (let i = o.minHistory; i < points.length; i++) {
    const hist = points.slice(Math.max(0, i - o.history), i).map((p) => p.value);
    const { median, sigma } = robust(hist);
    const p = points[i]!;
    const score = scoreOf(p.value, median, sigma);
    if (score > o.threshold) {
      out.push({ time: p.t, value: p.value, expected: median, score, side: p.value > median ? 'high' : 'low', method: 'robust_z', n: p.n, history: hist.length });
    }
  }
  return out;
}

/** Median over a window of `w` centred on each point; at the ends the window stays whole and shifts inwards, so it
 * always spans one full cycle (a truncated window would take the phase of the cycle for a change in level). */
function rollingMedian(y: readonly number[], w: number): number[] {
  const half = Math.floor(w / 2);
  return y.map((_, i) => {
    const a = Math.max(0, Math.min(i - half, y.length - w));
    return ss.median(y.slice(a, a + w) as number[]);
  });
}

/** Residual test shared by the seasonal methods: `fitted` per grid position, flagged points as anomalies. */
function residualAnomalies(points: readonly Point[], gridIndex: number[], fitted: readonly number[], threshold: number, method: AnomalyMethod): Anomaly[] {
  const resid = points.map((p, i) => p.value - fitted[gridIndex[i]!]!);
  const level = ss.median(points.map((p) => Math.abs(p.value)));
  const med = ss.median(resid);
  let sigma = 1.4826 * ss.medianAbsoluteDeviation(resid);
  if (sigma === 0) sigma = 1.2533 * ss.mean(resid.map((r) => Math.abs(r - med)));
  sigma = Math.max(sigma, SIGMA_FLOOR * level, 1e-12);
  const out: Anomaly[] = [];
  points.forEach((p, i) => {
    const score = scoreOf(resid[i]!, med, sigma);
    if (score > threshold) {
      const expected = fitted[gridIndex[i]!]! + med;
      out.push({ time: p.t, value: p.value, expected, score, side: resid[i]! > med ? 'high' : 'low', method, n: p.n, history: points.length });
    }
  });
  return out;
}

/** S-H-ESD-style robust decomposition; null when there are fewer than MIN_CYCLES cycles. */
export function seasonalMad(points: readonly Point[], stepMs: number, threshold: number): Anomaly[] | null {
  const period = cycleOf(stepMs);
  const grid = toGrid(points, stepMs);
  if (grid.values.length < MIN_CYCLES * period) return null;
  const y = interpolate(grid.values);
  const trend = rollingMedian(y, period);
  const byPhase: number[][] = Array.from({ length: period }, () => []);
  y.forEach((v, i) => byPhase[i % period]!.push(v - trend[i]!));
  const centre = ss.median(byPhase.map((v) => ss.median(v)));
  // Each point is judged against the profile of the OTHER cycles: with a handful of cycles, a median that
  // includes the point itself fits it exactly in one cycle of every few, which shrinks the residual MAD and
  // floods the result with false alarms.
  const fitted = y.map((_, i) => {
    const phase = byPhase[i % period]!;
    const own = Math.floor(i / period);
    const others = phase.length > 1 ? phase.filter((_, c) => c !== own) : phase;
    return trend[i]! + ss.median(others) - centre;
  });
  return residualAnomalies(points, grid.index, fitted, threshold, 'seasonal_mad');
}

/** MSTL (augurs) residuals, fitted twice: the second fit without the points the first one flagged. */
export function mstlMad(points: readonly Point[], stepMs: number, threshold: number): Anomaly[] {
  const MSTL = loadMstl();
  const period = cycleOf(stepMs);
  const grid = toGrid(points, stepMs);
  const fit = (y: number[]): number[] => {
    const m = MSTL.ets([period], { impute: true });
    try {
      m.fit(y);
      return m.predictInSample().point;
    } finally {
      m.free();
    }
  };
  const first = residualAnomalies(points, grid.index, fit(grid.values), threshold, 'mstl_mad');
  if (first.length === 0) return first;
  const flagged = new Set(first.map((a) => a.time));
  const cleaned = [...grid.values];
  points.forEach((p, i) => {
    if (flagged.has(p.t)) cleaned[grid.index[i]!] = Number.NaN;
  });
  return residualAnomalies(points, grid.index, fit(cleaned), threshold, 'mstl_mad');
}

/**
 * For rate series: keeps a flagged point only when its failure count is also improbable under a binomial with the
 * failure rate of the `history` points before it (Jeffreys-style +0.5/+1 so a spotless history is not p = 0), and
 * lowers its score to that binomial z when that is smaller. One failure in 60 probes after a clean day is noise
 * for the binomial but "infinitely" many MADs for the robust z, whose MAD is 0.
 */
export function binomialCheck(points: readonly Point[], found: Anomaly[], o: AnomalyOptions): Anomaly[] {
  if (!o.rate) return found;
  const failures = (p: Point): number => Math.round(((o.rate === 'error_rate' ? p.value : 100 - p.value) / 100) * p.n);
  const at = new Map(points.map((p, i) => [p.t, i]));
  const out: Anomaly[] = [];
  for (const a of found) {
    const i = at.get(a.time)!;
    const hist = points.slice(Math.max(0, i - o.history), i);
    const pool = hist.length ? hist : points.filter((_, j) => j !== i);
    let k = 0;
    let n = 0;
    for (const p of pool) {
      k += failures(p);
      n += p.n;
    }
    const rate = (k + 0.5) / (n + 1);
    const p = points[i]!;
    const kHere = failures(p);
    const z = binomialTailZ(kHere, p.n, rate, kHere / Math.max(1, p.n) > rate ? 'high' : 'low');
    const score = Math.min(a.score, z);
    if (score > o.threshold) out.push({ ...a, score });
  }
  return out;
}

/** Anomalies of one series (points in time order). */
export function detectAnomalies(points: readonly Point[], o: AnomalyOptions): Detection {
  const d = detectRaw(points, o);
  // A bucket with a fraction of the usual results (the ragged first or last hour of a window, a worker that
  // stopped early) has a noisy statistic: it is not flagged.
  const usual = ss.median(points.map((p) => p.n));
  const enough = new Set(points.filter((p) => p.n >= MIN_SHARE_OF_USUAL * usual).map((p) => p.t));
  return { ...d, anomalies: binomialCheck(points, d.anomalies.filter((a) => enough.has(a.time)), o) };
}

function detectRaw(points: readonly Point[], o: AnomalyOptions): Detection {
  const period = cycleOf(o.stepMs);
  let strength: number | null = null;
  let cycles = 0;
  if (points.length >= MIN_CYCLES * period) {
    const grid = toGrid(points, o.stepMs);
    cycles = Math.floor(grid.values.length / period);
    strength = decompose(interpolate(grid.values), period)?.strength ?? null;
  }
  const cyclic = strength !== null && strength >= strengthNeeded(cycles);
  if (o.method === 'robust_z' || (o.method === 'auto' && !cyclic) || strength === null) {
    return { method: 'robust_z', seasonalStrength: strength, anomalies: robustZ(points, o) };
  }
  if (o.method === 'mstl') {
    try {
      return { method: 'mstl_mad', seasonalStrength: strength, anomalies: mstlMad(points, o.stepMs, o.threshold) };
    } catch (e) {
      return { method: 'seasonal_mad', seasonalStrength: strength, anomalies: seasonalMad(points, o.stepMs, o.threshold)!, note: `MSTL failed (${errorText(e)}); used seasonal_mad` };
    }
  }
  return { method: 'seasonal_mad', seasonalStrength: strength, anomalies: seasonalMad(points, o.stepMs, o.threshold)! };
}

export async function runAnomalies(ctx: AnalysisContext, req: AnalysisRequest): Promise<AnalysisResponse> {
  const opts = new Options(req.options, [...SERIES_OPTIONS, 'method', 'threshold', 'history', 'acknowledged'], 'anomalies');
  const method = opts.enum('method', ['auto', 'robust_z', 'seasonal', 'mstl'] as const, 'auto');
  const threshold = opts.number('threshold', 2, 100, ANOMALY_DEFAULTS.threshold);
  const history = opts.number('history', ANOMALY_DEFAULTS.minHistory, 10_000, ANOMALY_DEFAULTS.history);
  const ackRaw = opts.enum('acknowledged', ['any', 'true', 'false'] as const, 'any');
  const set = await loadSeries(ctx, req, opts);
  const metric = metricLabel(req.metric, set.statistic);
  const found: { series: Record<string, string>; a: Anomaly; strength: number | null }[] = [];
  const methods: { series: Record<string, string>; method: AnomalyMethod; points: number; seasonal_strength: number | null; note?: string }[] = [];
  const pause = yielder();
  for (const s of set.series) {
    await pause();
    if (s.points.length <= ANOMALY_DEFAULTS.minHistory) continue;
    const rate = set.statistic === 'error_rate' || set.statistic === 'availability_pct' ? set.statistic : undefined;
    const d = detectAnomalies(s.points, {
      stepMs: set.stepMs,
      method,
      threshold,
      history: Math.round(history),
      minHistory: ANOMALY_DEFAULTS.minHistory,
      ...(rate ? { rate } : {}),
    });
    methods.push({ series: s.series, method: d.method, points: s.points.length, seasonal_strength: d.seasonalStrength, ...(d.note ? { note: d.note } : {}) });
    for (const a of d.anomalies) found.push({ series: s.series, a, strength: d.seasonalStrength });
  }
  // Strongest first, which is also the order of the answer. A detection that finds this many is reporting noise:
  // keep the strongest.
  found.sort((x, y) => y.a.score - x.a.score);
  const truncated = found.length > MAX_REPORTED;
  found.length = Math.min(found.length, MAX_REPORTED);
  // Stored once per (series, metric, method, time); the log's ids and acknowledgements come back with them.
  const stored = ctx.anomalyLog
    ? await ctx.anomalyLog.upsert(
        found.map(({ series, a }) => ({ series, metric, method: a.method, time: a.time, value: a.value, expected: a.expected, score: a.score })),
        ctx.now,
      )
    : null;
  let anomalies = found.map(({ series, a, strength }, i) => ({
    ...(stored ? { id: stored[i]!.id } : {}),
    series,
    metric,
    statistic: set.statistic,
    time: formatMillis(a.time),
    value: a.value,
    expected: a.expected,
    score: a.score,
    method: a.method,
    side: a.side,
    acknowledged: stored ? stored[i]!.acknowledged : false,
    evidence: { results: a.n, history_points: a.history, threshold, seasonal_strength: strength },
  }));
  if (ackRaw !== 'any') anomalies = anomalies.filter((x) => x.acknowledged === (ackRaw === 'true'));
  return {
    ...head('anomalies', req),
    period: set.period,
    group_by: set.groupBy,
    stored: stored !== null,
    ...(truncated ? { warnings: [`more than ${MAX_REPORTED} anomalies: only the strongest are listed; raise threshold or narrow the request`] } : {}),
    anomalies,
    series_checked: methods,
  };
}
