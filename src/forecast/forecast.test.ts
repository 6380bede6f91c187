// Forecasting on series with known structure: selection, accuracy measures, intervals, bounds, gaps, the worker
// pool (real worker threads) and the HTTP endpoint on a real server with a real DuckDB store.
import * as ss from 'simple-statistics';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { batchOf, type Row } from '../../test/support/helpers.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { gauss, mulberry32 } from '../demo/random.js';
import { coverage, mase, naiveScale, smape } from './accuracy.js';
import { fillGaps } from './index.js';
import { checked, seasonalNaive } from './models.js';
import { ForecastPool } from './pool.js';
import { calibrate, type FoldResult, ForecastInputError, selectForecast, widen } from './select.js';

/** Deterministic standard normal noise. */
function noise(seed: number): () => number {
  const r = mulberry32(seed);
  return () => gauss(r);
}

/** Hourly latency-like series: level 100, trend 0.02 per hour, daily cycle of amplitude 20, noise sd 3. */
function dailyCycle(n: number, seed: number): number[] {
  const g = noise(seed);
  return Array.from({ length: n }, (_, t) => 100 + 0.02 * t + 20 * Math.sin((2 * Math.PI * t) / 24) + 3 * g());
}

// The service's 20 s limit per worker job (src/forecast/pool.ts) would let a busy machine skip a slow candidate and
// change the winner: here the limit is 10 minutes, so the selection depends on the data alone. The test of the
// limit itself (below, 'guards') sets its own.
const pool = new ForecastPool({ workers: 2, timeLimitMs: 600_000 });
afterAll(() => pool.close());

describe('accuracy measures', () => {
  it('MASE scales the mean absolute error by the in-sample seasonal naive error', () => {
    // Season 2: |3-1|, |4-2|, |5-3| -> scale 2; errors |6-7|, |8-7| -> MAE 1 -> MASE 0.5.
    expect(naiveScale([1, 2, 3, 4, 5], 2)).toBe(2);
    expect(mase([6, 8], [7, 7], 2)).toBe(0.5);
    expect(mase([5, 5], [5, 5], 0)).toBe(0);
    expect(mase([5, 6], [5, 5], 0)).toBe(Infinity);
  });

  it('sMAPE is 200/h times the sum of |y - f| / (|y| + |f|), with 0/0 terms counted as 0', () => {
    // |100-110|/210 = 0.047619..., |0-0| -> 0: 200/2 * 0.047619 = 4.7619
    expect(smape([100, 0], [110, 0])).toBeCloseTo(4.761905, 5);
  });

  it('coverage counts points inside the closed interval', () => {
    expect(coverage([1, 2, 3, 4], [0, 2, 4, 0], [1, 3, 5, 3])).toBe(0.5);
  });
});

describe('interval calibration per step ahead', () => {
  /** A backtest window whose point forecast is 0 and whose actual values are the given errors. */
  const fold = (errors: number[]): FoldResult => ({
    origin: 0,
    actual: errors,
    f: { point: errors.map(() => 0), lower: errors.map(() => -1), upper: errors.map(() => 1) },
    scale: 1,
  });

  it('takes the split-conformal quantile of |error| over the step and two neighbours, widened by 1 + 1/windows', () => {
    const r = mulberry32(21);
    const folds = Array.from({ length: 6 }, () =>
      fold(Array.from({ length: 8 }, (_, t) => (t + 1) * (gauss(r) > 0 ? 1 : -1) * (0.5 + r()))),
    );
    for (const level of [80, 95] as const) {
      const cal = calibrate(folds, { level, bounds: {} }, () => true)!;
      expect(cal.widening).toBeCloseTo(1 + 1 / 6, 12);
      let previous = 0;
      for (let h = 0; h < 8; h++) {
        // Direct computation: pool steps h-2..h+2 of every window, rank ceil((N + 1) level), capped at N.
        const pool = folds
          .flatMap((f) => f.actual.filter((_, t) => Math.abs(t - h) <= 2).map(Math.abs))
          .sort((a, b) => a - b);
        const rank = Math.min(pool.length, Math.ceil(((pool.length + 1) * level) / 100));
        const expected = Math.max(previous, pool[rank - 1]! * (1 + 1 / 6));
        expect(cal.half[h]).toBeCloseTo(expected, 12);
        previous = expected;
      }
    }
  });

  it('leaves a window out when asked, and needs two windows', () => {
    const folds = [fold([1, 1, 1]), fold([2, 2, 2]), fold([100, 100, 100])];
    expect(calibrate(folds, { level: 95, bounds: {} }, (i) => i !== 2)!.half).toEqual([3, 3, 3].map(() => 2 * 1.5));
    expect(calibrate(folds, { level: 95, bounds: {} }, (i) => i === 0)).toBeNull();
  });
});

describe('model selection on a daily cycle with trend and noise', () => {
  it('picks a model that beats seasonal naive, and its 95 % intervals cover 85-99 % of held-back points', async () => {
    let inside = 0;
    let total = 0;
    let chosenError = 0;
    let naiveError = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const y = dailyCycle(720 + 24, seed);
      const sel = await pool.select(y.slice(0, 720), {
        season: 24,
        hourly: true,
        horizon: 24,
        level: 95,
        model: 'auto',
        bounds: { min: 0 },
      });
      expect(sel.backtest.mase).toBeLessThan(1);
      expect(sel.backtest.mase).toBeLessThanOrEqual(sel.backtest.baseline_mase);
      expect(sel.model.name).not.toBe('seasonal_naive');
      // Out of sample: the next day, never seen by the selection.
      const future = y.slice(720);
      const naive = seasonalNaive(24).forecast(y.slice(0, 720), 24, 95).point;
      chosenError += ss.mean(future.map((v, i) => Math.abs(v - sel.point[i]!)));
      naiveError += ss.mean(future.map((v, i) => Math.abs(v - naive[i]!)));
      future.forEach((v, i) => {
        total++;
        if (v >= sel.lower[i]! && v <= sel.upper[i]!) inside++;
      });
    }
    // Over the eight held-back days (one day alone is too noisy to rank two models).
    expect(chosenError).toBeLessThan(naiveError);
    expect(inside / total).toBeGreaterThanOrEqual(0.85);
    expect(inside / total).toBeLessThanOrEqual(0.99);
  }, 300_000);

  it('reports every candidate with its backtest, and the baseline MASE computed directly', () => {
    const y = dailyCycle(240, 3);
    const sel = selectForecast(y, {
      season: 24,
      hourly: true,
      horizon: 24,
      level: 95,
      model: 'seasonal_naive',
      bounds: {},
    });
    expect(sel.model.name).toBe('seasonal_naive');
    // Four windows of 24 h at the end; each scaled by its own training data's seasonal naive error.
    let direct = 0;
    for (let f = 4; f >= 1; f--) {
      const origin = 240 - f * 24;
      const train = y.slice(0, origin);
      const pred = train.slice(origin - 24);
      direct += ss.mean(y.slice(origin, origin + 24).map((v, i) => Math.abs(v - pred[i]!))) / naiveScale(train, 24);
    }
    expect(sel.backtest.baseline_mase).toBeCloseTo(direct / 4, 4);
    expect(sel.backtest.mase).toBe(sel.backtest.baseline_mase);
    expect(sel.backtest).toMatchObject({ baseline: 'seasonal_naive', folds: 4, horizon: 24, points: 96 });
  });

  it('forecasts a constant series as the constant', () => {
    const sel = selectForecast(new Array(100).fill(42.5), {
      season: 24,
      hourly: true,
      horizon: 30,
      level: 95,
      model: 'auto',
      bounds: { min: 0 },
    });
    expect(sel.point).toEqual(new Array(30).fill(42.5));
    expect(sel.lower).toEqual(sel.point);
    expect(sel.upper).toEqual(sel.point);
    expect(sel.backtest.mase).toBe(0);
  });

  it('refuses a history shorter than two seasons plus a backtest window, saying how much is needed', () => {
    expect(() =>
      selectForecast(dailyCycle(71, 1), {
        season: 24,
        hourly: true,
        horizon: 24,
        level: 95,
        model: 'auto',
        bounds: {},
      }),
    ).toThrow(new ForecastInputError('needs at least 72 buckets of history, the series has 71'));
  });

  it('keeps availability within [0, 100] and counts at or above 0', () => {
    const g = noise(5);
    const avail = Array.from({ length: 200 }, () => Math.min(100, 99.5 + 0.6 * g()));
    const a = selectForecast(avail, {
      season: 24,
      hourly: true,
      horizon: 48,
      level: 95,
      model: 'auto',
      bounds: { min: 0, max: 100 },
    });
    expect(Math.max(...a.upper, ...a.point)).toBeLessThanOrEqual(100);
    const counts = Array.from({ length: 200 }, (_, t) => (t % 24 < 6 ? 0 : Math.max(0, Math.round(3 + 2 * g()))));
    const c = selectForecast(counts, {
      season: 24,
      hourly: true,
      horizon: 48,
      level: 95,
      model: 'auto',
      bounds: { min: 0 },
    });
    expect(Math.min(...c.lower, ...c.point)).toBeGreaterThanOrEqual(0);
  });
});

describe('intervals', () => {
  it('widen with the horizon even when the model gives a constant width', () => {
    const flat = { point: [10, 10, 10, 10, 10, 10], lower: [9, 9, 9, 9, 9, 9], upper: [11, 11, 11, 11, 11, 11] };
    const w = widen(flat, 2);
    const widths = w.upper.map((u, i) => u - w.lower[i]!);
    for (let i = 1; i < widths.length; i++) expect(widths[i]!).toBeGreaterThan(widths[i - 1]!);
    // Step h has at least the first width times sqrt(1 + (h-1)/m).
    expect(widths[4]!).toBeCloseTo(2 * Math.sqrt(1 + 4 / 2), 10);
  });

  it('of the chosen model never narrow over a long horizon', async () => {
    const sel = await pool.select(dailyCycle(720, 9), {
      season: 24,
      hourly: true,
      horizon: 168,
      level: 80,
      model: 'auto',
      bounds: {},
    });
    const widths = sel.upper.map((u, i) => u - sel.lower[i]!);
    for (let i = 1; i < widths.length; i++) expect(widths[i]!).toBeGreaterThanOrEqual(widths[i - 1]! - 1e-9);
    expect(widths[167]!).toBeGreaterThan(widths[0]!);
  }, 120_000);
});

describe('guards', () => {
  it('reject forecasts that explode, are not finite, or whose interval misses the point', () => {
    const train = [1, 2, 3, 4];
    expect(() => checked({ point: [5, -534151], lower: [4, -534152], upper: [6, -534150] }, train)).toThrow(/explodes/);
    expect(() => checked({ point: [NaN], lower: [0], upper: [1] }, train)).toThrow(/non-finite/);
    expect(() => checked({ point: [3], lower: [3.5], upper: [4] }, train)).toThrow(/interval/);
    expect(checked({ point: [5], lower: [4], upper: [6] }, train).point).toEqual([5]);
  });

  it('a worker that runs out of time is replaced and its candidates are reported, the baseline still answers', async () => {
    const slow = new ForecastPool({ workers: 1, timeLimitMs: 20 });
    try {
      const o = { season: 24, hourly: true, horizon: 24, level: 95 as const, model: 'auto' as const, bounds: {} };
      const sel = await slow.select(dailyCycle(720, 2), o);
      expect(sel.model.name).toBe('seasonal_naive');
      const arima = sel.candidates.find((c) => c.name === 'arima');
      expect(arima?.skipped).toMatch(/out of time/);
      // The replacement worker serves the next request.
      const again = await slow.select(dailyCycle(720, 3), o);
      expect(again.candidates.filter((c) => c.skipped === undefined).length).toBeGreaterThanOrEqual(1);
    } finally {
      await slow.close();
    }
  }, 120_000);

  it('idle workers end after idleMs, and the next forecast starts new ones with the same choice', async () => {
    const idle = new ForecastPool({ workers: 2, timeLimitMs: 600_000, idleMs: 100 });
    try {
      const o = { season: 24, hourly: true, horizon: 24, level: 95 as const, model: 'auto' as const, bounds: {} };
      const y = dailyCycle(24 * 14, 5);
      // The jobs are handed to the workers before select first waits: both run while it is pending.
      const pending = idle.select(y, o);
      expect(idle.liveWorkers).toBe(2);
      const first = await pending;
      await expect.poll(() => idle.liveWorkers, { timeout: 30_000, interval: 50 }).toBe(0);
      const again = await idle.select(y, o);
      expect(again.model.name).toBe(first.model.name);
      expect(again.point).toEqual(first.point);
      expect(again.candidates.map((c) => c.skipped)).toEqual(first.candidates.map((c) => c.skipped));
    } finally {
      await idle.close();
    }
  }, 120_000);
});

describe('gaps', () => {
  it('fills short gaps linearly and long gaps from one season earlier', () => {
    expect(fillGaps([1, null, null, 4], 24)).toEqual([1, 2, 3, 4]);
    const y = [10, 20, 30, 40, 11, null, null, null, null, 41];
    // Gap of 4 > 3 buckets: the value one season (4) earlier.
    expect(fillGaps(y, 4)).toEqual([10, 20, 30, 40, 11, 20, 30, 40, 11, 41]);
    expect(fillGaps([5, 6, null], 2)).toEqual([5, 6, 5]);
  });
});

describe('GET /api/v1/forecast', () => {
  let srv: TestServer | null = null;
  afterEach(async () => {
    await srv?.close();
    srv = null;
  });
  const NOW = Date.UTC(2026, 10, 21, 12, 30);
  const HOUR = 3_600_000;

  /** `hours` complete hours before NOW's hour, 4 results an hour on endpoint api, with a daily latency cycle. */
  async function seed(s: TestServer, hours: number): Promise<void> {
    const g = noise(11);
    const rows: Row[] = [];
    const end = Date.UTC(2026, 10, 21, 12);
    for (let h = hours; h >= 1; h--) {
      const t0 = end - h * HOUR;
      for (let k = 0; k < 4; k++) {
        const hourOfDay = new Date(t0).getUTCHours();
        rows.push({
          t: t0 + k * 900_000,
          success: !(h % 50 === 0 && k === 0),
          latency: 100 + 20 * Math.sin((2 * Math.PI * hourOfDay) / 24) + 3 * g(),
          tags: { endpoint: 'api', region: 'eu' },
        });
      }
    }
    // A result in the current (partial) hour, which the history must leave out.
    rows.push({ t: end + 60_000, latency: 5000, tags: { endpoint: 'api', region: 'eu' } });
    await s.store.write(batchOf(rows));
  }

  it('answers with the contract fields, a forecast after the last complete hour, and a cached repeat', async () => {
    srv = await startTestServer({ now: NOW, forecastWorkers: 2 });
    await seed(srv, 14 * 24);
    const res = await fetch(
      `${srv.url}/api/v1/forecast?tag.endpoint=api&metric=latency_ms&statistic=mean&period=hour&horizon=24&level=95`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>; // any: the JSON under test
    expect(body).toMatchObject({ metric: 'latency_ms', statistic: 'mean', period: 'hour', level: 95, cached: false });
    expect(typeof body.model.name).toBe('string');
    expect(body.history).toHaveLength(14 * 24);
    expect(body.history.at(-1).time).toBe('2026-11-21T11:00:00Z');
    expect(body.forecast).toHaveLength(24);
    expect(body.forecast[0].time).toBe('2026-11-21T12:00:00Z');
    expect(body.forecast[23].time).toBe('2026-11-22T11:00:00Z');
    for (const f of body.forecast) expect(f.lower <= f.value && f.value <= f.upper).toBe(true);
    expect(Object.keys(body.backtest).sort()).toEqual(
      ['baseline', 'baseline_mase', 'coverage', 'folds', 'horizon', 'mase', 'points', 'smape'].sort(),
    );
    expect(body.backtest.mase).toBeLessThan(1);
    // The calibration says how the width was set, and the forecast's half-widths are its per-step values.
    const cal = body.calibration as {
      method: string;
      level: number;
      windows: number;
      steps: number;
      half_width: number[];
      out_of_sample_coverage: number;
    };
    expect(cal).toMatchObject({ method: 'conformal_per_step', level: 95, steps: 24 });
    expect(cal.windows).toBeGreaterThanOrEqual(4);
    expect(cal.out_of_sample_coverage).toBe(body.backtest.coverage);
    for (const [i, f] of (body.forecast as { value: number; upper: number }[]).entries())
      expect(f.upper - f.value).toBeCloseTo(cal.half_width[i]!, 3);
    const again = (await (await fetch(`${srv.url}/api/v1/forecast?tag.endpoint=api&horizon=24`)).json()) as {
      cached: boolean;
      forecast: unknown;
    };
    expect(again.cached).toBe(true);
    expect(again.forecast).toEqual(body.forecast);
    // A late write into the history changes it: no stale cache.
    await srv.store.write(
      batchOf([{ t: Date.UTC(2026, 10, 21, 3, 10), latency: 900, tags: { endpoint: 'api', region: 'eu' } }]),
    );
    const after = (await (await fetch(`${srv.url}/api/v1/forecast?tag.endpoint=api&horizon=24`)).json()) as {
      cached: boolean;
    };
    expect(after.cached).toBe(false);
  }, 180_000);

  it('bounds availability to 100 and states the minimum history when there is too little', async () => {
    srv = await startTestServer({ now: NOW });
    await seed(srv, 80);
    const a = await fetch(
      `${srv.url}/api/v1/forecast?tag.endpoint=api&statistic=availability_pct&horizon=12&model=seasonal_naive`,
    );
    expect(a.status).toBe(200);
    const body = (await a.json()) as { forecast: { upper: number; value: number }[]; model: { name: string } };
    expect(body.model.name).toBe('seasonal_naive');
    for (const f of body.forecast) expect(f.upper).toBeLessThanOrEqual(100);
    const short = await fetch(`${srv.url}/api/v1/forecast?tag.endpoint=api&start=${NOW - 40 * HOUR}`);
    expect(short.status).toBe(400);
    expect(((await short.json()) as { message: string }).message).toMatch(
      /needs at least 72 hourly buckets with data \(3 days\).*found 40/,
    );
    const none = await fetch(`${srv.url}/api/v1/forecast?tag.endpoint=nothing`);
    expect(none.status).toBe(400);
  }, 180_000);

  it('rejects bad parameters with a message naming them', async () => {
    srv = await startTestServer({ now: NOW });
    for (const [q, name] of [
      ['horizon=0', 'horizon'],
      ['horizon=10000', 'horizon'],
      ['level=90', 'level'],
      ['statistic=median', 'statistic'],
      ['model=prophet', 'model'],
      ['period=week', 'period'],
      ['tz=Mars/Base', 'tz'],
      ['horizon_hours=3', 'horizon_hours'],
      ['start=yesterday', 'start'],
    ]) {
      const res = await fetch(`${srv.url}/api/v1/forecast?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { message: string }).message, q).toContain(`"${name}"`);
    }
  });
});
