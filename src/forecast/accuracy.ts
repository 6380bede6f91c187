// Forecast accuracy measures, as the M4 competition defines them (Makridakis et al. 2020, "The M4 Competition:
// 100,000 time series and 61 forecasting methods", §2.3): MASE scaled by the in-sample seasonal-naive error, sMAPE
// in percent (0-200), and interval coverage.

/**
 * Mean absolute error of the seasonal naive method inside `y` (the MASE denominator): mean |y_t - y_(t-m)|.
 * Falls back to the one-step naive error when `y` is shorter than two seasons or seasonally flat.
 */
export function naiveScale(y: readonly number[], m: number): number {
  const lagged = (lag: number): number => {
    let sum = 0;
    let n = 0;
    for (let t = lag; t < y.length; t++) {
      sum += Math.abs(y[t]! - y[t - lag]!);
      n++;
    }
    return n === 0 ? 0 : sum / n;
  };
  const seasonal = y.length > m ? lagged(m) : 0;
  return seasonal > 0 ? seasonal : lagged(1);
}

/** Mean absolute scaled error of one forecast; 0 when both the error and the scale are 0. */
export function mase(actual: readonly number[], predicted: readonly number[], scale: number): number {
  const mae = meanAbsError(actual, predicted);
  if (mae === 0) return 0;
  return scale > 0 ? mae / scale : Infinity;
}

export function meanAbsError(actual: readonly number[], predicted: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(actual[i]! - predicted[i]!);
  return actual.length === 0 ? 0 : sum / actual.length;
}

/** Symmetric MAPE in percent: 200/h · Σ |y - ŷ| / (|y| + |ŷ|); a term whose y and ŷ are both 0 counts as 0. */
export function smape(actual: readonly number[], predicted: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]!) + Math.abs(predicted[i]!);
    if (d > 0) sum += Math.abs(actual[i]! - predicted[i]!) / d;
  }
  return actual.length === 0 ? 0 : (200 * sum) / actual.length;
}

/** Share of points inside [lower, upper] (inclusive). */
export function coverage(actual: readonly number[], lower: readonly number[], upper: readonly number[]): number {
  let inside = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i]! >= lower[i]! && actual[i]! <= upper[i]!) inside++;
  return actual.length === 0 ? 0 : inside / actual.length;
}

/** Two-sided standard normal quantiles for the levels the API offers (qnorm(0.9), qnorm(0.975) in R). */
export const Z_FOR_LEVEL: Readonly<Record<80 | 95, number>> = { 80: 1.2815515655446004, 95: 1.959963984540054 };
