// anomalies: episodes in which a series is far from what its own history says it should be, one alert each.
//
// Each bucket gets a score (the item's `method`):
// - robust_z: the Iglewicz–Hoaglin modified z-score against a rolling history of the previous `history` points
//   (default 64, as Bencher): z = (x − median) / (1.4826·MAD), scored from 10 points of history on. MAD = 0 falls
//   back to 1.2533·mean absolute deviation; σ is floored at 1 % of the median so a series that never moved does
//   not call every wobble an anomaly.
// - seasonal_mad: for series with a daily cycle (hourly buckets; a weekly one for daily buckets), in the spirit of
//   S-H-ESD (Vallis et al. 2014): a robust decomposition (rolling-median trend over one cycle, per phase the median
//   of the other cycles), residual = value − trend − profile, scored by its modified z over the whole window.
// - mstl_mad: the same residual score on augurs' MSTL fit (opt-in with method=mstl): fitted once, the breaching
//   points imputed, fitted again, because a single fit lets a spike leak into the same hour of every other day.
// For error_rate and availability_pct a score is also capped by the binomial z of the bucket's failure count
// (binomialScores): one failure in 60 probes after a clean day is noise, however many MADs it is.
//
// Scores become alerts the way production detectors do it (the SPC rules of Western Electric, Datadog's and
// Grafana's "for" durations), because a point score alone flagged 22 buckets a day on NAB, 84 % of them outside
// every labelled window:
// - a bucket breaches when its score exceeds `threshold` (3);
// - breaches on the same side less than `gap` buckets apart form one episode, reported once with its start, end
//   and strongest bucket;
// - an episode is confirmed, and listed, when it persists (at least `confirm` breaching buckets, default 6) or
//   when one of its buckets is novel: its score exceeds `novelty` (1.2) times the largest score of the `history`
//   buckets before it. That bar adapts to the series' own noise: a series whose ordinary bursts score 8 needs
//   more than 9.6 for a one-bucket alert, a quiet series needs only 3;
// - the first `warmup` buckets (default: `history`, or a quarter of a shorter series) are never flagged: their
//   history is too short to say what is usual. The runner reads `history` buckets before the window for this, so
//   the whole window is judged.
// Buckets with under a quarter of the usual result count are never flagged. `auto` (default) picks seasonal_mad
// when the cycle is clear (strength ≥ strengthNeeded: 0.85 over 3 cycles, down to 0.3 over 14 or more), else
// robust_z.
import * as ss from 'simple-statistics';
import { errorText, loadMstl } from '../augurs.js';
import { HOUR_MS } from '../time/buckets.js';
import { formatMillis } from '../time/parse.js';
import { head, Options } from './inputs.js';
import { cycleOf, decompose, interpolate, strengthNeeded, toGrid } from './seasonal.js';
import { loadSeries, metricLabel, type Point, SERIES_OPTIONS, type Statistic, yielder } from './series.js';
import { binomialTailZ } from './stats.js';
import type { AnalysisContext, AnalysisHead, AnalysisRequest } from './types.js';

export type AnomalyMethod = 'robust_z' | 'seasonal_mad' | 'mstl_mad';

export interface AnomalyOptions {
  stepMs: number;
  method: 'auto' | 'robust_z' | 'seasonal' | 'mstl';
  /** A bucket breaches above this score. */
  threshold: number;
  history: number;
  minHistory: number;
  /** Breaching buckets that confirm an episode without a novel one. */
  confirm: number;
  /** A bucket is novel above this multiple of the largest score of the `history` buckets before it (0: off). */
  novelty: number;
  /** Breaches at most this many buckets apart belong to one episode (0: every breaching bucket alone). */
  gap: number;
  /** Buckets at the start never flagged; undefined: `history`, or a quarter of a shorter series. */
  warmup?: number;
  /**
   * The values are percentages of results (error_rate or availability_pct): a score is capped by how unlikely the
   * bucket's failure count is as binomial noise, given the failure rate of its history and its result count.
   */
  rate?: 'error_rate' | 'availability_pct';
  /** Take history, confirm, gap and warm-up as counts of points even when points are finer than an hour. */
  perPoint?: boolean;
}

export const ANOMALY_DEFAULTS: Omit<AnomalyOptions, 'stepMs'> = {
  method: 'auto',
  threshold: 3,
  history: 64,
  minHistory: 10,
  confirm: 6,
  novelty: 1.2,
  gap: 12,
};
/** Cycles of data before a seasonal method is trusted. */
export const MIN_CYCLES = 3;
/** σ never goes below this share of the level. */
const SIGMA_FLOOR = 0.01;
const MAX_SCORE = 1e6;
/** Buckets with fewer results than this share of the series' median count are not flagged. */
export const MIN_SHARE_OF_USUAL = 0.25;
/** Most anomalies one run reports (and stores). */
export const MAX_REPORTED = 5000;

/** One bucket's score: |modified z| of the value (or its residual) and what the method expected there. */
export interface Scored {
  score: number;
  expected: number;
  side: 'high' | 'low';
  /** Points the expected value was judged from (the rolling history, or the whole window). */
  history: number;
}

/** One alert: an episode of breaching buckets, with its strongest bucket. */
export interface Anomaly {
  /** Start of the first breaching bucket. */
  time: number;
  /** Start of the last breaching bucket. */
  end: number;
  /** Breaching buckets in the episode. */
  points: number;
  /** The strongest bucket: its start, value, expected value and score. */
  peakTime: number;
  value: number;
  expected: number;
  score: number;
  side: 'high' | 'low';
  method: AnomalyMethod;
  /** What confirmed the episode. */
  confirmedBy: 'novelty' | 'persistence';
  /** The novelty bar at the strongest bucket (threshold, or `novelty` × the largest recent score). */
  bar: number;
  /** Results in the strongest bucket. */
  n: number;
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

function scored(x: number, centre: number, sigma: number, history: number): Scored {
  return {
    score: Math.min(MAX_SCORE, Math.abs(x - centre) / sigma),
    expected: centre,
    side: x > centre ? 'high' : 'low',
    history,
  };
}

/** Rolling robust z: each point against the `history` points before it; null before `minHistory` points. */
export function robustZScores(
  points: readonly Point[],
  o: Pick<AnomalyOptions, 'history' | 'minHistory'>,
): (Scored | null)[] {
  return points.map((p, i) => {
    if (i < o.minHistory) return null;
    const hist = points.slice(Math.max(0, i - o.history), i).map((q) => q.value);
    const { median, sigma } = robust(hist);
    return scored(p.value, median, sigma, hist.length);
  });
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

/** Residual scores shared by the seasonal methods: `fitted` per grid position, residual z over the whole window. */
function residualScores(points: readonly Point[], gridIndex: number[], fitted: readonly number[]): Scored[] {
  const resid = points.map((p, i) => p.value - fitted[gridIndex[i]!]!);
  const level = ss.median(points.map((p) => Math.abs(p.value)));
  const med = ss.median(resid);
  let sigma = 1.4826 * ss.medianAbsoluteDeviation(resid);
  if (sigma === 0) sigma = 1.2533 * ss.mean(resid.map((r) => Math.abs(r - med)));
  sigma = Math.max(sigma, SIGMA_FLOOR * level, 1e-12);
  return points.map((_, i) => {
    const s = scored(resid[i]!, med, sigma, points.length);
    return { ...s, expected: fitted[gridIndex[i]!]! + med };
  });
}

/** S-H-ESD-style robust decomposition scores; null when there are fewer than MIN_CYCLES cycles. */
export function seasonalScores(points: readonly Point[], stepMs: number): Scored[] | null {
  const period = cycleOf(stepMs);
  const grid = toGrid(points, stepMs);
  if (grid.values.length < MIN_CYCLES * period) return null;
  const y = interpolate(grid.values);
  const trend = rollingMedian(y, period);
  const byPhase: number[][] = Array.from({ length: period }, () => []);
  y.forEach((v, i) => {
    byPhase[i % period]!.push(v - trend[i]!);
  });
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
  return residualScores(points, grid.index, fitted);
}

/** MSTL (augurs) residual scores, fitted twice: the second fit without the points the first one found breaching. */
export function mstlScores(points: readonly Point[], stepMs: number, threshold: number): Scored[] {
  const MSTL = loadMstl();
  const period = cycleOf(stepMs);
  const grid = toGrid(points, stepMs);
  const inSample = (y: number[]): number[] => {
    const m = MSTL.ets([period], { impute: true });
    try {
      m.fit(y);
      return m.predictInSample().point;
    } finally {
      m.free();
    }
  };
  const first = residualScores(points, grid.index, inSample(grid.values));
  if (!first.some((s) => s.score > threshold)) return first;
  const cleaned = [...grid.values];
  points.forEach((_, i) => {
    if (first[i]!.score > threshold) cleaned[grid.index[i]!] = Number.NaN;
  });
  return residualScores(points, grid.index, inSample(cleaned));
}

/**
 * For rate series: caps each score by the binomial z of the bucket's failure count under the failure rate of the
 * `history` points before it (Jeffreys-style +0.5/+1 so a spotless history is not p = 0). One failure in 60 probes
 * after a clean day is noise for the binomial but "infinitely" many MADs for the robust z, whose MAD is 0. Only
 * scores that could reach the novelty bar or the threshold are recomputed (the binomial tail costs an incomplete
 * beta function); the others stay below both either way.
 */
export function binomialScores(
  points: readonly Point[],
  scores: readonly (Scored | null)[],
  o: AnomalyOptions,
): (Scored | null)[] {
  if (!o.rate) return [...scores];
  const failures = (p: Point): number => Math.round(((o.rate === 'error_rate' ? p.value : 100 - p.value) / 100) * p.n);
  const relevant = o.threshold / Math.max(1, o.novelty);
  return scores.map((s, i) => {
    if (!s || s.score <= relevant) return s;
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
    return { ...s, score: Math.min(s.score, z) };
  });
}

/** The warm-up of a series of `n` points: `warmup`, else `history` or a quarter of a shorter series. */
export function warmupOf(n: number, o: Pick<AnomalyOptions, 'warmup' | 'history' | 'minHistory'>): number {
  return o.warmup ?? Math.min(o.history, Math.max(o.minHistory, Math.floor(n / 4)));
}

/**
 * Episodes of breaching buckets (score > threshold), same side, at most `gap` buckets apart, each kept when it is
 * confirmed: at least `confirm` breaching buckets, or one bucket above the novelty bar. Buckets before `warmup`
 * count towards the bar but never breach; buckets that are not `usable` (too few results) do neither.
 */
export function episodes(
  points: readonly Point[],
  scores: readonly (Scored | null)[],
  method: AnomalyMethod,
  o: Pick<AnomalyOptions, 'threshold' | 'confirm' | 'novelty' | 'gap' | 'history'>,
  warmup: number,
  usable: (i: number) => boolean,
): Anomaly[] {
  interface Open {
    first: number;
    last: number;
    peak: number;
    count: number;
    side: 'high' | 'low';
    novel: boolean;
    bar: number;
  }
  const out: Anomaly[] = [];
  const recent: number[] = [];
  let open: Open | null = null;
  const close = (e: Open): void => {
    if (!e.novel && e.count < o.confirm) return;
    const s = scores[e.peak]!;
    const p = points[e.peak]!;
    out.push({
      time: points[e.first]!.t,
      end: points[e.last]!.t,
      points: e.count,
      peakTime: p.t,
      value: p.value,
      expected: s.expected,
      score: s.score,
      side: e.side,
      method,
      confirmedBy: e.novel ? 'novelty' : 'persistence',
      bar: e.bar,
      n: p.n,
      history: s.history,
    });
  };
  for (let i = 0; i < points.length; i++) {
    const s = usable(i) ? scores[i] : null;
    // The novelty bar: the largest score among the `history` buckets before this one, scaled.
    let largest = 0;
    for (const r of recent) largest = Math.max(largest, r);
    const bar = Math.max(o.threshold, o.novelty * largest);
    if (s) {
      recent.push(s.score);
      if (recent.length > o.history) recent.shift();
    }
    if (open && i - open.last > o.gap) {
      close(open);
      open = null;
    }
    if (!s || s.score <= o.threshold || i < warmup) continue;
    const novel = o.novelty > 0 && s.score > bar;
    if (open && open.side !== s.side) {
      close(open);
      open = null;
    }
    if (!open) {
      open = { first: i, last: i, peak: i, count: 1, side: s.side, novel, bar };
      continue;
    }
    open.last = i;
    open.count++;
    if (novel) open.novel = true;
    if (s.score > scores[open.peak]!.score) {
      open.peak = i;
      open.bar = bar;
    }
  }
  if (open) close(open);
  return out;
}

/**
 * `history`, `minHistory`, `confirm`, `gap` and the warm-up count hourly buckets: points finer than an hour (a
 * library caller's 5-minute samples) get the same durations, so 64 buckets of history stay 64 hours. Measured on
 * NAB's 5-minute series, 64 points (5 hours) of history called every burst of a bursty series novel.
 */
export function inHours(o: AnomalyOptions): AnomalyOptions {
  const k = Math.max(1, Math.round(HOUR_MS / o.stepMs));
  if (k === 1 || o.perPoint) return o;
  return {
    ...o,
    history: o.history * k,
    minHistory: o.minHistory * k,
    confirm: o.confirm * k,
    gap: o.gap * k,
    ...(o.warmup === undefined ? {} : { warmup: o.warmup * k }),
  };
}

/** Anomaly episodes of one series (points in time order). */
export function detectAnomalies(points: readonly Point[], options: AnomalyOptions): Detection {
  const o = inHours(options);
  const d = scoreSeries(points, o);
  const scores = binomialScores(points, d.scores, o);
  // A bucket with a fraction of the usual results (the ragged first or last hour of a window, a worker that
  // stopped early) has a noisy statistic: it is not flagged.
  const usual = points.length ? ss.median(points.map((p) => p.n)) : 0;
  const usable = (i: number): boolean => points[i]!.n >= MIN_SHARE_OF_USUAL * usual;
  const { scores: _, ...rest } = d;
  return { ...rest, anomalies: episodes(points, scores, d.method, o, warmupOf(points.length, o), usable) };
}

function scoreSeries(
  points: readonly Point[],
  o: AnomalyOptions,
): Omit<Detection, 'anomalies'> & { scores: (Scored | null)[] } {
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
    return { method: 'robust_z', seasonalStrength: strength, scores: robustZScores(points, o) };
  }
  if (o.method === 'mstl') {
    try {
      return { method: 'mstl_mad', seasonalStrength: strength, scores: mstlScores(points, o.stepMs, o.threshold) };
    } catch (e) {
      return {
        method: 'seasonal_mad',
        seasonalStrength: strength,
        scores: seasonalScores(points, o.stepMs)!,
        note: `MSTL failed (${errorText(e)}); used seasonal_mad`,
      };
    }
  }
  return { method: 'seasonal_mad', seasonalStrength: strength, scores: seasonalScores(points, o.stepMs)! };
}

/** One anomaly episode in the answer; `id` when the service keeps an anomaly log. Times RFC 3339 UTC. */
export interface AnomalyItem {
  id?: number;
  series: Record<string, string>;
  metric: string;
  statistic: Statistic;
  time: string;
  start: string;
  end: string;
  peak_time: string;
  value: number;
  expected: number;
  score: number;
  method: AnomalyMethod;
  side: 'high' | 'low';
  acknowledged: boolean;
  evidence: {
    results: number;
    history_points: number;
    threshold: number;
    breaching_buckets: number;
    confirmed_by: 'novelty' | 'persistence';
    novelty_bar: number;
    seasonal_strength: number | null;
  };
}

/** How one series was judged. */
export interface SeriesChecked {
  series: Record<string, string>;
  method: AnomalyMethod;
  points: number;
  seasonal_strength: number | null;
  note?: string;
}

export interface AnomaliesResponse extends AnalysisHead<'anomalies'> {
  period: 'hour' | 'day';
  group_by: string[];
  statistic: Statistic;
  stored: boolean;
  settings: { threshold: number; history: number; confirm: number; novelty: number; gap: number };
  warnings?: string[];
  anomalies: AnomalyItem[];
  series_checked: SeriesChecked[];
}

export async function runAnomalies(ctx: AnalysisContext, req: AnalysisRequest): Promise<AnomaliesResponse> {
  const opts = new Options(
    req.options,
    [...SERIES_OPTIONS, 'method', 'threshold', 'history', 'confirm', 'novelty', 'gap', 'acknowledged'],
    'anomalies',
  );
  const method = opts.enum('method', ['auto', 'robust_z', 'seasonal', 'mstl'] as const, 'auto');
  const threshold = opts.number('threshold', 2, 100, ANOMALY_DEFAULTS.threshold);
  const history = Math.round(opts.number('history', ANOMALY_DEFAULTS.minHistory, 10_000, ANOMALY_DEFAULTS.history));
  const confirm = Math.round(opts.number('confirm', 1, 1000, ANOMALY_DEFAULTS.confirm));
  const novelty = opts.number('novelty', 0, 100, ANOMALY_DEFAULTS.novelty);
  const gap = Math.round(opts.number('gap', 0, 1000, ANOMALY_DEFAULTS.gap));
  const ackRaw = opts.enum('acknowledged', ['any', 'true', 'false'] as const, 'any');
  // `history` buckets before the window are read as well: they are the warm-up, so the window itself is judged
  // whole (where the data reaches back that far).
  const set = await loadSeries(ctx, req, opts, history);
  const metric = metricLabel(req.metric, set.statistic);
  const found: { series: Record<string, string>; a: Anomaly; strength: number | null }[] = [];
  const methods: SeriesChecked[] = [];
  const pause = yielder();
  const rate = set.statistic === 'error_rate' || set.statistic === 'availability_pct' ? set.statistic : undefined;
  const settings: AnomalyOptions = {
    stepMs: set.stepMs,
    method,
    threshold,
    history,
    minHistory: ANOMALY_DEFAULTS.minHistory,
    confirm,
    novelty,
    gap,
    ...(rate ? { rate } : {}),
  };
  for (const s of set.series) {
    await pause();
    const before = s.points.filter((p) => p.t < req.start).length;
    if (before === s.points.length || s.points.length <= ANOMALY_DEFAULTS.minHistory) continue;
    // Read-ahead history counts towards the warm-up; a series that starts inside the window warms up on its own.
    const d = detectAnomalies(s.points, {
      ...settings,
      warmup: before > 0 ? Math.min(history, before) : warmupOf(s.points.length, settings),
    });
    methods.push({
      series: s.series,
      method: d.method,
      points: s.points.length - before,
      seasonal_strength: d.seasonalStrength,
      ...(d.note ? { note: d.note } : {}),
    });
    // Episodes that ended before the window belong to an earlier answer.
    for (const a of d.anomalies)
      if (a.end >= req.start) found.push({ series: s.series, a, strength: d.seasonalStrength });
  }
  // Strongest first, which is also the order of the answer. A detection that finds this many is reporting noise:
  // keep the strongest.
  found.sort((x, y) => y.a.score - x.a.score);
  const truncated = found.length > MAX_REPORTED;
  found.length = Math.min(found.length, MAX_REPORTED);
  // Stored once per (series, metric, method, episode start): an episode that grows keeps its row, its id and its
  // acknowledgement, and a notification rule sends it once.
  const stored = ctx.anomalyLog
    ? await ctx.anomalyLog.upsert(
        found.map(({ series, a }) => ({
          series,
          metric,
          method: a.method,
          time: a.time,
          value: a.value,
          expected: a.expected,
          score: a.score,
        })),
        ctx.now,
      )
    : null;
  let anomalies = found.map(
    ({ series, a, strength }, i): AnomalyItem => ({
      ...(stored ? { id: stored[i]!.id } : {}),
      series,
      metric,
      statistic: set.statistic,
      time: formatMillis(a.time),
      start: formatMillis(a.time),
      end: formatMillis(a.end + set.stepMs),
      peak_time: formatMillis(a.peakTime),
      value: a.value,
      expected: a.expected,
      score: a.score,
      method: a.method,
      side: a.side,
      acknowledged: stored ? stored[i]!.acknowledged : false,
      evidence: {
        results: a.n,
        history_points: a.history,
        threshold,
        breaching_buckets: a.points,
        confirmed_by: a.confirmedBy,
        novelty_bar: a.bar,
        seasonal_strength: strength,
      },
    }),
  );
  if (ackRaw !== 'any') anomalies = anomalies.filter((x) => x.acknowledged === (ackRaw === 'true'));
  return {
    ...head('anomalies', req),
    period: set.period,
    group_by: set.groupBy,
    statistic: set.statistic,
    stored: stored !== null,
    settings: { threshold, history, confirm, novelty, gap },
    ...(truncated
      ? {
          warnings: [
            `more than ${MAX_REPORTED} anomalies: only the strongest are listed; raise threshold or narrow the request`,
          ],
        }
      : {}),
    anomalies,
    series_checked: methods,
  };
}
