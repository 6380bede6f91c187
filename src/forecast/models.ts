// The candidate models of a forecast. Each takes a training series and returns point forecasts with a prediction
// interval at the asked level, or throws when it cannot fit or its output fails the sanity checks (the `arima`
// package is known to return NaN or negative variances, zeros, and explosions: docs/research/forecast-libraries.md).

import { createRequire } from 'node:module';
import type ARIMAType from 'arima';
import { augursError, loadAugurs } from '../augurs.js';
import { Z_FOR_LEVEL } from './accuracy.js';

export const MODEL_NAMES = ['seasonal_naive', 'mstl_ets', 'ets', 'arima'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
export type Level = 80 | 95;

export interface RawForecast {
  point: number[];
  lower: number[];
  upper: number[];
}

export interface Candidate {
  name: ModelName;
  params: Record<string, unknown>;
  /** Training points the model needs. */
  minLength: number;
  /** Only the latest this many points are used to fit (older ones add fit time, not accuracy, to these models). */
  maxLength?: number;
  forecast(train: readonly number[], h: number, level: Level): RawForecast;
}

/** Seasonal naive: the value one season back; interval from the in-sample seasonal differences (fpp3 §5.5). */
export function seasonalNaive(m: number): Candidate {
  return {
    name: 'seasonal_naive',
    params: { season: m },
    minLength: m + 1,
    forecast(train, h, level) {
      const n = train.length;
      let ss = 0;
      for (let t = m; t < n; t++) ss += (train[t]! - train[t - m]!) ** 2;
      const sigma = Math.sqrt(ss / (n - m));
      const z = Z_FOR_LEVEL[level];
      const out: RawForecast = { point: [], lower: [], upper: [] };
      for (let i = 1; i <= h; i++) {
        const k = Math.floor((i - 1) / m);
        const v = train[n - m + ((i - 1) % m)]!;
        const w = z * sigma * Math.sqrt(k + 1);
        out.point.push(v);
        out.lower.push(v - w);
        out.upper.push(v + w);
      }
      return out;
    },
  };
}

/** MSTL decomposition with an AutoETS trend (@bsull/augurs); needs two cycles of the longest period. */
export function mstlEts(periods: number[]): Candidate {
  const longest = Math.max(...periods);
  return {
    name: 'mstl_ets',
    params: { periods },
    minLength: 2 * longest,
    ...(periods.length === 1 ? { maxLength: 21 * longest } : {}),
    forecast: (train, h, level) =>
      augursForecast(() => loadAugurs().MSTL.ets(periods, { impute: false }), train, h, level),
  };
}

interface AugursModel {
  fit(y: Float64Array): void;
  predict(h: number, level?: number): { point: number[]; intervals?: { lower: number[]; upper: number[] } | undefined };
  free(): void;
}

/** Fits a fresh augurs model, predicts with intervals (level as a fraction: 95 gives NaN), and frees it. */
function augursForecast(make: () => AugursModel, train: readonly number[], h: number, level: Level): RawForecast {
  let model: AugursModel | undefined;
  try {
    model = make();
    model.fit(Float64Array.from(train));
    const f = model.predict(h, level / 100);
    if (!f.intervals) throw new Error('the model returned no intervals');
    return checked({ point: f.point, lower: f.intervals.lower, upper: f.intervals.upper }, train);
  } catch (e) {
    throw augursError(e);
  } finally {
    model?.free();
  }
}

/** Non-seasonal AutoETS (augurs picks error/trend components by AICc): for series without a cycle. */
export function ets(): Candidate {
  return {
    name: 'ets',
    params: { spec: 'ZZN' },
    minLength: 10,
    maxLength: 336,
    forecast: (train, h, level) => augursForecast(() => new (loadAugurs().AutoETS)(1, 'ZZN'), train, h, level),
  };
}

let arima: typeof ARIMAType | null = null;

/**
 * The `arima` package, loaded on first use: it compiles its WebAssembly when loaded (16 MB resident), which only
 * the forecast worker that fits it needs, not the service's main thread or the worker that runs augurs.
 */
function loadArima(): typeof ARIMAType {
  arima ??= createRequire(import.meta.url)('arima') as typeof ARIMAType;
  return arima;
}

/**
 * The "airline" seasonal ARIMA(0,1,1)(0,1,1)m fitted by conditional sum of squares: the `arima` package's
 * seasonal auto search takes 14-18 s on 720 hourly points and exact ML blew up in half the runs measured, while
 * this fixed order with CSS was stable and takes about 0.16 s. Its C code prints to stdout, so it only runs inside
 * the forecast worker, whose stdout the parent captures.
 */
export function arimaAirline(m: number): Candidate {
  return {
    name: 'arima',
    params: { order: [0, 1, 1], seasonal_order: [0, 1, 1], season: m, method: 'css' },
    minLength: Math.max(3 * m + 2, 20),
    maxLength: 10 * m,
    forecast(train, h, level) {
      const ARIMA = loadArima();
      const model = new ARIMA({ p: 0, d: 1, q: 1, P: 0, D: 1, Q: 1, s: m, method: 1, verbose: false });
      try {
        const [pred, variance] = model.fit(Array.from(train)).predict(h);
        const z = Z_FOR_LEVEL[level];
        const out: RawForecast = { point: [], lower: [], upper: [] };
        for (let i = 0; i < h; i++) {
          const v = pred[i];
          const s2 = variance[i];
          if (v === undefined || s2 === undefined || !Number.isFinite(v) || !Number.isFinite(s2) || s2 < 0) {
            throw new Error('arima returned a non-finite forecast or a negative variance');
          }
          const w = z * Math.sqrt(s2);
          out.point.push(v);
          out.lower.push(v - w);
          out.upper.push(v + w);
        }
        return checked(out, train);
      } finally {
        model.destroy();
      }
    },
  };
}

/**
 * Rejects output that cannot be a forecast of this series: non-finite values, an interval that does not contain
 * its point, or points further from the history's range than ten times that range (the explosions seen).
 */
export function checked(f: RawForecast, train: readonly number[]): RawForecast {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of train) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const reach = 10 * Math.max(hi - lo, Math.abs(hi) * 0.01, 1e-9);
  for (let i = 0; i < f.point.length; i++) {
    const p = f.point[i]!;
    const l = f.lower[i]!;
    const u = f.upper[i]!;
    if (!Number.isFinite(p) || !Number.isFinite(l) || !Number.isFinite(u)) throw new Error('non-finite forecast');
    if (l > p + 1e-9 * Math.abs(p) || u < p - 1e-9 * Math.abs(p))
      throw new Error('interval does not contain the forecast');
    if (p < lo - reach || p > hi + reach) throw new Error('forecast explodes beyond the range of the history');
  }
  return f;
}

/** The candidates for a series of `n` points with season `m` (24 hourly, 7 daily); `weekly` adds 168 for hourly. */
export function candidates(m: number, hourly: boolean): Candidate[] {
  const list: Candidate[] = [seasonalNaive(m), mstlEts([m])];
  if (hourly) list.push(mstlEts([m, 7 * m]));
  list.push(ets(), arimaAirline(m));
  return list;
}
