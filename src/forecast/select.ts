// Model selection by rolling-origin backtest (Tashman 2000; Hyndman & Athanasopoulos, fpp3 §5.10): every
// candidate forecasts the last few windows of the history from the data before each window, the one with the
// lowest MASE over the last FOLDS windows wins, and its errors over up to CALIBRATION_FOLDS windows set the width
// of its prediction interval per step ahead (split conformal prediction on |error|, Vovk et al. 2005; per
// horizon step as in Stankeviciute et al. 2021). Pure: numbers in, numbers out.
import { quantileSorted } from 'simple-statistics';
import { coverage, mase, naiveScale, smape } from './accuracy.js';
import {
  type Candidate,
  candidates as defaultCandidates,
  type Level,
  type ModelName,
  type RawForecast,
} from './models.js';

export interface SelectOptions {
  /** Season length in buckets: 24 for hourly, 7 for daily. */
  season: number;
  hourly: boolean;
  horizon: number;
  level: Level;
  model: 'auto' | ModelName;
  /** Values the statistic cannot cross (0 for counts and latencies, 100 for availability). */
  bounds: { min?: number; max?: number };
  /** Replaces the default candidates (tests). */
  candidates?: Candidate[];
}

export interface CandidateReport {
  name: ModelName;
  params: Record<string, unknown>;
  mase: number | null;
  smape: number | null;
  coverage: number | null;
  ms: number;
  /** Why the candidate took no part (too little history, failed to fit, out of time). */
  skipped?: string;
}

export interface Backtest {
  mase: number;
  smape: number;
  coverage: number;
  baseline: 'seasonal_naive';
  baseline_mase: number;
  /** Origins, steps ahead per origin, and the points forecast in all. */
  folds: number;
  horizon: number;
  points: number;
}

/** How the interval's width was set (the forecast response's `calibration`). */
export interface Calibration {
  /**
   * conformal_per_step: per step ahead, the conformal quantile of the backtest's |error| at that step and its
   * neighbours, widened for few windows; model_scaled: too few windows, the model's own interval scaled to cover
   * `level` of the backtest errors (or unscaled when there were fewer than 20 of them).
   */
  method: 'conformal_per_step' | 'model_scaled';
  level: Level;
  /** Backtest windows whose errors set the width. */
  windows: number;
  /** Steps ahead calibrated from errors at that step (the backtest horizon); later steps grow as the model's interval. */
  steps: number;
  /** Neighbouring steps pooled for each step's quantile (the step itself, and up to this many either side). */
  pooled_steps: number;
  /** Factor applied to the conformal quantiles for the number of windows (1 + 1/windows). */
  widening: number;
  /** Half-width of the interval at each calibrated step. */
  half_width: number[];
  /** Out-of-sample coverage of intervals built this way: each window scored with a width set from the others. */
  out_of_sample_coverage: number;
}

export interface Selection {
  model: { name: ModelName; params: Record<string, unknown> };
  point: number[];
  lower: number[];
  upper: number[];
  backtest: Backtest;
  candidates: CandidateReport[];
  /** Mean half-width of the calibrated interval over the model's own (kept as interval.calibration_factor). */
  intervalScale: number;
  calibration: Calibration;
}

/** Backtest windows (origins) that choose the model, fewer when the history is short. */
export const FOLDS = 4;
/**
 * Backtest windows whose errors calibrate the chosen model's interval: the FOLDS windows and up to as many again
 * before them. Four windows gave four errors per step ahead, and the 95 % intervals covered 72 % of held-back days.
 */
export const CALIBRATION_FOLDS = 8;
/** Steps either side pooled into each step's error sample. */
const POOL_STEPS = 2;
/** Backtest residuals needed before the model's interval is scaled on them; fewer keep the model's own width. */
const MIN_CALIBRATION_POINTS = 20;

/** Steps ahead each backtest window checks: one season, or the horizon when shorter. */
export function backtestHorizon(season: number, horizon: number): number {
  return Math.min(horizon, season);
}

/** History needed for at least one backtest window after two seasons of training. */
export function minimumHistory(season: number, horizon: number): number {
  return 2 * season + backtestHorizon(season, horizon);
}

/** Thrown when the history or a forced model cannot give a forecast; the message says what is needed. */
export class ForecastInputError extends Error {}

export interface FoldResult {
  origin: number;
  actual: number[];
  f: RawForecast;
  scale: number;
}

/** One candidate's backtest windows and its forecast from the whole history, or why it has none. */
export type Evaluation =
  | { name: ModelName; params: Record<string, unknown>; ms: number; folds: FoldResult[]; final: RawForecast }
  | { name: ModelName; params: Record<string, unknown>; ms: number; skipped: string };

export interface Plan {
  /** Windows that choose the model (the last `folds` origins). */
  folds: number;
  horizon: number;
  /** Every backtest origin, oldest first: up to CALIBRATION_FOLDS. */
  origins: number[];
  /** The candidates to evaluate; the first is the seasonal naive baseline. */
  candidates: Candidate[];
}

/** Checks the history, and lays out the backtest windows and the candidates to try. */
export function planForecast(y: readonly number[], o: SelectOptions): Plan {
  const m = o.season;
  const need = minimumHistory(m, o.horizon);
  if (y.length < need) {
    throw new ForecastInputError(`needs at least ${need} buckets of history, the series has ${y.length}`);
  }
  const H = backtestHorizon(m, o.horizon);
  const room = Math.floor((y.length - 2 * m) / H);
  const folds = Math.max(1, Math.min(FOLDS, room));
  const windows = Math.max(folds, Math.min(CALIBRATION_FOLDS, room));
  const origins = Array.from({ length: windows }, (_, i) => y.length - (windows - i) * H);
  const all = o.candidates ?? defaultCandidates(m, o.hourly);
  const baseline = all.find((c) => c.name === 'seasonal_naive');
  if (!baseline) throw new Error('the candidates lack the seasonal naive baseline');
  // A constant series has nothing to model: the seasonal naive forecast is the constant with a zero-width interval.
  if (isConstant(y)) return { folds, horizon: H, origins, candidates: [baseline] };
  if (o.model === 'auto')
    return { folds, horizon: H, origins, candidates: [baseline, ...all.filter((c) => c !== baseline)] };
  const forced = all.filter((c) => c.name === o.model);
  if (forced.length === 0) throw new ForecastInputError(`model "${o.model}" is not available for this series`);
  return { folds, horizon: H, origins, candidates: [baseline, ...forced.filter((c) => c !== baseline)] };
}

/** Runs one candidate over the backtest windows and on the whole history. Throws nothing: failures are reported. */
export function evaluateCandidate(c: Candidate, y: readonly number[], plan: Plan, o: SelectOptions): Evaluation {
  const t0 = performance.now();
  const took = (): number => round(performance.now() - t0, 1);
  const m = o.season;
  // The selection windows must all run; the earlier calibration windows run where the model has the history.
  if (plan.origins[plan.origins.length - plan.folds]! < c.minLength) {
    return {
      name: c.name,
      params: c.params,
      ms: 0,
      skipped: `needs ${c.minLength + plan.horizon} buckets of history for its backtest`,
    };
  }
  try {
    const folds = plan.origins
      .filter((origin) => origin >= c.minLength)
      .map((origin) => {
        const train = y.slice(0, origin);
        return {
          origin,
          actual: y.slice(origin, origin + plan.horizon),
          f: widen(c.forecast(latest(c, train), plan.horizon, o.level), m),
          scale: naiveScale(train, m),
        };
      });
    const final = widen(c.forecast(latest(c, y), o.horizon, o.level), m);
    return { name: c.name, params: c.params, ms: took(), folds, final };
  } catch (e) {
    return {
      name: c.name,
      params: c.params,
      ms: took(),
      skipped: `failed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

function latest(c: Candidate, y: readonly number[]): readonly number[] {
  return c.maxLength !== undefined && y.length > c.maxLength ? y.slice(-c.maxLength) : y;
}

/** Picks the evaluated candidate with the lowest backtest MASE and shapes its forecast. */
export function chooseForecast(plan: Plan, evaluations: Evaluation[], o: SelectOptions): Selection {
  const baseline = evaluations[0];
  if (baseline?.name !== 'seasonal_naive' || !('folds' in baseline)) {
    throw new Error(
      `the seasonal naive baseline did not run: ${baseline && 'skipped' in baseline ? baseline.skipped : 'missing'}`,
    );
  }
  // Each candidate's backtest is scored once (the out-of-sample coverage recalibrates per window).
  const ran: { ev: Extract<Evaluation, { folds: FoldResult[] }>; s: Score }[] = [];
  const reports: CandidateReport[] = evaluations.map((ev) => {
    if ('skipped' in ev)
      return {
        name: ev.name,
        params: ev.params,
        mase: null,
        smape: null,
        coverage: null,
        ms: ev.ms,
        skipped: ev.skipped,
      };
    const s = score(ev.folds.slice(-plan.folds), ev.folds, o);
    ran.push({ ev, s });
    return {
      name: ev.name,
      params: ev.params,
      mase: round(s.mase, 4),
      smape: round(s.smape, 4),
      coverage: round(s.coverage, 4),
      ms: ev.ms,
    };
  });
  const eligible = o.model === 'auto' ? ran : ran.filter((r) => r.ev.name === o.model || plan.candidates.length === 1);
  // Stable sort: on equal MASE the earlier (simpler) candidate wins.
  const best = [...eligible].sort((a, b) => a.s.mase - b.s.mase)[0];
  if (!best) {
    const why = reports
      .filter((r) => r.skipped)
      .map((r) => `${r.name}: ${r.skipped}`)
      .join('; ');
    throw new ForecastInputError(`no model could forecast this series (${why})`);
  }
  const cal = calibrate(best.ev.folds, o, () => true);
  const shaped = cal
    ? conformalInterval(best.ev.final, cal.half, o.bounds)
    : bounded(
        best.ev.final,
        scaleOf(best.ev.folds, o.level, () => true),
        o.bounds,
      );
  const scale = cal ? meanRatio(best.ev.final, shaped) : scaleOf(best.ev.folds, o.level, () => true);
  return {
    model: { name: best.ev.name, params: best.ev.params },
    ...shaped,
    backtest: {
      mase: round(best.s.mase, 4),
      smape: round(best.s.smape, 4),
      coverage: round(best.s.coverage, 4),
      baseline: 'seasonal_naive',
      baseline_mase: round(ran[0]!.s.mase, 4),
      folds: plan.folds,
      horizon: plan.horizon,
      points: plan.folds * plan.horizon,
    },
    candidates: reports,
    intervalScale: round(scale, 4),
    calibration: {
      method: cal ? 'conformal_per_step' : 'model_scaled',
      level: o.level,
      windows: best.ev.folds.length,
      steps: plan.horizon,
      pooled_steps: POOL_STEPS,
      widening: cal ? round(cal.widening, 4) : 1,
      half_width: cal ? cal.half.map((h) => round(h, 4)) : [],
      out_of_sample_coverage: round(best.s.coverage, 4),
    },
  };
}

/** The whole selection in this thread (tests, and where the `arima` candidate's stdout does not matter). */
export function selectForecast(y: readonly number[], o: SelectOptions): Selection {
  const plan = planForecast(y, o);
  return chooseForecast(
    plan,
    plan.candidates.map((c) => evaluateCandidate(c, y, plan, o)),
    o,
  );
}

/**
 * Backtest scores of one candidate: MASE and sMAPE averaged over the selection windows (each window scaled by the
 * seasonal naive error of its own training data, as M4 does per series), and the coverage of the calibrated
 * interval over all its windows where each window's width comes from the other windows only, so the coverage
 * reported is out of sample.
 */
interface Score {
  mase: number;
  smape: number;
  coverage: number;
}

function score(selection: FoldResult[], all: FoldResult[], o: SelectOptions): Score {
  let m = 0;
  let s = 0;
  for (const fold of selection) {
    const p = bounded(fold.f, 1, o.bounds).point;
    m += mase(fold.actual, p, fold.scale);
    s += smape(fold.actual, p);
  }
  let inside = 0;
  let points = 0;
  all.forEach((fold, i) => {
    const others = (j: number): boolean => j !== i;
    const cal = all.length > 1 ? calibrate(all, o, others) : null;
    const b = cal
      ? conformalInterval(fold.f, cal.half, o.bounds)
      : bounded(fold.f, all.length > 1 ? scaleOf(all, o.level, others) : 1, o.bounds);
    inside += coverage(fold.actual, b.lower, b.upper) * fold.actual.length;
    points += fold.actual.length;
  });
  return { mase: m / selection.length, smape: s / selection.length, coverage: inside / points };
}

/**
 * Per-step conformal half-widths from the windows `use` admits: for step h, the |errors| at steps h − 2 … h + 2 of
 * every window (errors at neighbouring steps are alike, and five times the sample steadies a 95 % quantile), their
 * split-conformal quantile (the ⌈(N + 1)·level⌉-th smallest of N, the largest when that rank is past N), times
 * 1 + 1/windows: the errors of one window move together, so the sample is worth fewer than N draws and its upper
 * quantile is too low as often as not. Half-widths never shrink with the step. Null with fewer than two windows.
 */
export function calibrate(
  r: FoldResult[],
  o: Pick<SelectOptions, 'level' | 'bounds'>,
  use: (fold: number) => boolean,
): { half: number[]; widening: number } | null {
  const folds = r.filter((_, i) => use(i));
  if (folds.length < 2) return null;
  const H = Math.min(...folds.map((f) => f.actual.length));
  const errors = folds.map((f) => {
    const p = bounded(f.f, 1, o.bounds).point;
    return f.actual.slice(0, H).map((y, t) => Math.abs(y - p[t]!));
  });
  const widening = 1 + 1 / folds.length;
  const half: number[] = [];
  for (let h = 0; h < H; h++) {
    const pool: number[] = [];
    for (const e of errors)
      for (let t = Math.max(0, h - POOL_STEPS); t <= Math.min(H - 1, h + POOL_STEPS); t++) pool.push(e[t]!);
    pool.sort((a, b) => a - b);
    const rank = Math.ceil(((pool.length + 1) * o.level) / 100);
    const q = pool[Math.min(rank, pool.length) - 1]!;
    half.push(Math.max(q * widening, half[h - 1] ?? 0));
  }
  return { half, widening };
}

/**
 * The forecast with the calibrated half-widths: ± half[h] at the calibrated steps; beyond them the last calibrated
 * half-width grown as the model's own (widened) interval grows from that step. Clipped to the statistic's bounds.
 */
function conformalInterval(f: RawForecast, half: readonly number[], b: { min?: number; max?: number }): RawForecast {
  const H = half.length;
  const width = (i: number): number => (f.upper[i]! - f.lower[i]!) / 2;
  const atH = width(Math.min(H, f.point.length) - 1);
  const out: RawForecast = { point: [], lower: [], upper: [] };
  const clip = (v: number): number => Math.min(b.max ?? Infinity, Math.max(b.min ?? -Infinity, v));
  for (let i = 0; i < f.point.length; i++) {
    const p = f.point[i]!;
    const w = i < H ? half[i]! : half[H - 1]! * (atH > 0 ? Math.max(1, width(i) / atH) : 1);
    out.point.push(clip(p));
    out.lower.push(clip(p - w));
    out.upper.push(clip(p + w));
  }
  return out;
}

/** Mean calibrated half-width over the model's own, before clipping: how much the calibration widened it. */
function meanRatio(model: RawForecast, shaped: RawForecast): number {
  let a = 0;
  let b = 0;
  for (let i = 0; i < model.point.length; i++) {
    a += (shaped.upper[i]! - shaped.lower[i]!) / 2;
    b += (model.upper[i]! - model.lower[i]!) / 2;
  }
  return b > 0 ? a / b : 1;
}

/**
 * The factor that makes the model's interval cover `level` of the backtest errors: the level quantile (R type 7)
 * of each error divided by the interval's half-width on its side. Too few errors: the model's own width (1).
 */
function scaleOf(r: FoldResult[], level: Level, use: (fold: number) => boolean): number {
  const ratios: number[] = [];
  r.forEach((fold, i) => {
    if (!use(i)) return;
    fold.actual.forEach((y, t) => {
      const p = fold.f.point[t]!;
      const w = y >= p ? fold.f.upper[t]! - p : p - fold.f.lower[t]!;
      const e = Math.abs(y - p);
      if (w > 0) ratios.push(e / w);
      else if (e > 0) ratios.push(Infinity);
      else ratios.push(0);
    });
  });
  if (ratios.length < MIN_CALIBRATION_POINTS) return 1;
  ratios.sort((a, b) => a - b);
  const q = quantileSorted(ratios, level / 100);
  // An infinite ratio means a zero-width interval missed: keep the model's width rather than an infinite one.
  return Number.isFinite(q) ? q : 1;
}

/**
 * Intervals that widen with the horizon: MSTL's carry only the trend model's uncertainty and barely grow, so the
 * half-width at step h is at least the first step's times sqrt(1 + (h-1)/m) (the growth of a seasonal random
 * walk's, smoothed), and never narrower than at an earlier step.
 */
export function widen(f: RawForecast, m: number): RawForecast {
  const lo0 = f.point[0]! - f.lower[0]!;
  const up0 = f.upper[0]! - f.point[0]!;
  let lo = 0;
  let up = 0;
  const out: RawForecast = { point: f.point.slice(), lower: [], upper: [] };
  for (let i = 0; i < f.point.length; i++) {
    const g = Math.sqrt(1 + i / m);
    lo = Math.max(lo, f.point[i]! - f.lower[i]!, lo0 * g);
    up = Math.max(up, f.upper[i]! - f.point[i]!, up0 * g);
    out.lower.push(f.point[i]! - lo);
    out.upper.push(f.point[i]! + up);
  }
  return out;
}

/** Scales the interval around the point and clips everything to the statistic's bounds. */
function bounded(f: RawForecast, scale: number, b: { min?: number; max?: number }): RawForecast {
  const clip = (v: number): number => Math.min(b.max ?? Infinity, Math.max(b.min ?? -Infinity, v));
  const out: RawForecast = { point: [], lower: [], upper: [] };
  for (let i = 0; i < f.point.length; i++) {
    const p = f.point[i]!;
    out.point.push(clip(p));
    out.lower.push(clip(p - scale * (p - f.lower[i]!)));
    out.upper.push(clip(p + scale * (f.upper[i]! - p)));
  }
  return out;
}

function isConstant(y: readonly number[]): boolean {
  const first = y[0]!;
  const tol = 1e-12 * Math.max(1, Math.abs(first));
  return y.every((v) => Math.abs(v - first) <= tol);
}

function round(v: number, digits: number): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
