// Forecast model selection on real series and through the service.
// 1) NAB (MIT, Numenta; see nabDir in common.ts): each realAWSCloudwatch series resampled to hourly means; each of its last
//    three days is held back in turn, the selection runs on the data before that day (rolling-origin backtest) and
//    its forecast is scored on the day: MASE (scaled by the training data's seasonal naive error) and the share of
//    the day's 24 values inside the 95 % interval.
// 2) The built service (as `npm start` runs it) answering GET /api/v1/forecast over 30 days of hourly history
//    (720 points) for series it has not seen (a fit each) and again (cached).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coverage, mase, naiveScale } from '../src/forecast/accuracy.js';
import { fillGaps } from '../src/forecast/index.js';
import { ForecastPool } from '../src/forecast/pool.js';
import { minimumHistory } from '../src/forecast/select.js';
import { makeSeries, WriteBatch } from '../src/model/result.js';
import { DuckDBStore } from '../src/store/duckdb/index.js';
import { machine, nabDir, pct, startServiceChild } from './common.js';

const HOUR = 3_600_000;
const f2 = (v: number | null): string => (v === null ? '-' : v.toFixed(3));

/** Hourly means of a NAB CSV (timestamp,value), with hours that have no sample as null. */
function hourly(file: string): number[] {
  const rows = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  const sums = new Map<number, [number, number]>();
  for (const line of rows) {
    const [ts, v] = line.split(',');
    const h = Math.floor(Date.parse(`${ts!.replace(' ', 'T')}Z`) / HOUR);
    const s = sums.get(h) ?? [0, 0];
    s[0] += Number(v);
    s[1]++;
    sums.set(h, s);
  }
  const hours = [...sums.keys()].sort((a, b) => a - b);
  const out: (number | null)[] = [];
  for (let h = hours[0]!; h <= hours.at(-1)!; h++) {
    const s = sums.get(h);
    out.push(s ? s[0] / s[1] : null);
  }
  return fillGaps(out, 24);
}

/** Held-back days per series: each forecast from the data before its day, so 17 × DAYS days of 24 points. */
const HELD_DAYS = 3;

async function nab(): Promise<void> {
  const pool = new ForecastPool();
  const NAB = nabDir();
  const dir = join(NAB, 'realAWSCloudwatch');
  console.log(
    `\n## NAB realAWSCloudwatch, hourly means, horizon 24 h, 95 % interval; each of the last ${HELD_DAYS} days held back in turn (1 for a series of under 5 days)\n`,
  );
  console.log(
    '| series | hours | model (last day) | backtest MASE | seasonal naive MASE | backtest coverage | hold-out MASE (mean of days) | hold-out coverage | time ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  const times: number[] = [];
  let beat = 0;
  let inside = 0;
  let points = 0;
  let maseSum = 0;
  let maseN = 0;
  const perStep = Array.from({ length: 24 }, () => ({ inside: 0, n: 0 }));
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort()) {
    const y = hourly(join(dir, name));
    let rowInside = 0;
    let rowMase = 0;
    let ms = 0;
    let last: Awaited<ReturnType<ForecastPool['select']>> | null = null;
    // A short series holds back only the days that leave it the minimum history (three days for hourly).
    const days = Math.min(HELD_DAYS, Math.floor((y.length - minimumHistory(24, 24)) / 24));
    for (let d = days; d >= 1; d--) {
      const train = y.slice(0, y.length - 24 * d);
      const held = y.slice(y.length - 24 * d, y.length - 24 * (d - 1));
      const t0 = performance.now();
      const sel = await pool.select(train, {
        season: 24,
        hourly: true,
        horizon: 24,
        level: 95,
        model: 'auto',
        bounds: train.every((v) => v >= 0) ? { min: 0 } : {},
      });
      ms += performance.now() - t0;
      const m = mase(held, sel.point, naiveScale(train, 24));
      rowMase += m;
      maseSum += m;
      maseN++;
      const c = coverage(held, sel.lower, sel.upper);
      rowInside += c * 24;
      inside += c * 24;
      points += 24;
      held.forEach((v, i) => {
        perStep[i]!.inside += v >= sel.lower[i]! && v <= sel.upper[i]! ? 1 : 0;
        perStep[i]!.n++;
      });
      last = sel;
    }
    times.push(ms / days);
    const sel = last!;
    if (sel.backtest.mase <= sel.backtest.baseline_mase) beat++;
    console.log(
      `| ${name.replace('.csv', '')} | ${y.length} | ${sel.model.name}${sel.model.name === 'mstl_ets' ? ` ${JSON.stringify(sel.model.params.periods)}` : ''} | ${f2(sel.backtest.mase)} | ${f2(sel.backtest.baseline_mase)} | ${(100 * sel.backtest.coverage).toFixed(1)} % | ${f2(rowMase / days)} | ${((100 * rowInside) / (24 * days)).toFixed(1)} % (${days} d) | ${(ms / days).toFixed(0)} |`,
    );
  }
  console.log(
    `\nhold-out coverage of the 95 % intervals, all series and days: ${((100 * inside) / points).toFixed(1)} % of ${points} points`,
  );
  console.log(`hold-out MASE, mean over ${maseN} series-days: ${(maseSum / maseN).toFixed(3)}`);
  const band = (a: number, b: number): string => {
    const part = perStep.slice(a, b);
    return `${((100 * part.reduce((x, p) => x + p.inside, 0)) / part.reduce((x, p) => x + p.n, 0)).toFixed(1)} %`;
  };
  console.log(
    `hold-out coverage by step ahead: 1-6 h ${band(0, 6)}, 7-12 h ${band(6, 12)}, 13-18 h ${band(12, 18)}, 19-24 h ${band(18, 24)}`,
  );
  console.log(
    `chosen model's backtest MASE at or below seasonal naive's (last day): ${beat} of ${times.length} series`,
  );
  console.log(
    `selection time per forecast: p50 ${pct(times, 0.5).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
  );
  await pool.close();
}

async function service(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'resultant-bench-forecast-'));
  const path = join(dir, 'f.duckdb');
  const now = Date.now();
  const end = Math.floor(now / HOUR) * HOUR;
  const store = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
  let seed = 3;
  const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const b = new WriteBatch();
  const ENDPOINTS = 12;
  for (let e = 0; e < ENDPOINTS; e++) {
    const s = makeSeries('test_result', { endpoint: `svc-${e}` });
    for (let h = 30 * 24; h >= 1; h--) {
      const t = end - h * HOUR;
      for (let k = 0; k < 6; k++) {
        const lat = 80 + 5 * e + 25 * Math.sin((2 * Math.PI * (t / HOUR)) / 24) + 0.01 * (720 - h) + 10 * rnd();
        b.addResult(s, (t + k * 600_000) * 1000, rnd() > 0.02, lat, null, null, null);
      }
    }
  }
  await store.write(b);
  await store.rollup(now);
  await store.close();
  const svc = await startServiceChild({ RESULTANT_DB_PATH: path });
  const timed = async (
    q: string,
  ): Promise<[number, { model: { name: string }; history: unknown[]; cached: boolean }]> => {
    const t0 = performance.now();
    const res = await fetch(new URL(`/api/v1/forecast?${q}`, svc.url));
    const body = (await res.json()) as {
      model: { name: string };
      history: unknown[];
      cached: boolean;
      message?: string;
    };
    if (res.status !== 200) throw new Error(`${res.status} ${body.message}`);
    return [performance.now() - t0, body];
  };
  try {
    console.log('\n## GET /api/v1/forecast on the built service, 30 days of hourly history, horizon 24, auto\n');
    const [cold, first] = await timed('tag.endpoint=svc-0&horizon=24');
    console.log(
      `first request (starts the workers, loads the WebAssembly): ${cold.toFixed(0)} ms, ${first.history.length} points, model ${first.model.name}`,
    );
    const fresh: number[] = [];
    for (let e = 1; e < ENDPOINTS; e++) {
      const [ms, body] = await timed(`tag.endpoint=svc-${e}&horizon=24`);
      if (body.cached) throw new Error('unexpected cache hit');
      fresh.push(ms);
    }
    console.log(
      `series not seen before (full selection), ${fresh.length} requests: p50 ${pct(fresh, 0.5).toFixed(0)} ms, max ${Math.max(...fresh).toFixed(0)} ms`,
    );
    const cached: number[] = [];
    for (let i = 0; i < 30; i++) cached.push((await timed(`tag.endpoint=svc-${i % ENDPOINTS}&horizon=24`))[0]);
    console.log(
      `repeated (cached fit, history re-read): p50 ${pct(cached, 0.5).toFixed(1)} ms, max ${Math.max(...cached).toFixed(1)} ms`,
    );
    // Forecast workers end after 1 s idle (src/forecast/pool.ts): a forecast after a pause starts new ones.
    const afterPause: number[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      const [ms, body] = await timed(`tag.endpoint=svc-${i}&horizon=12`);
      if (body.cached) throw new Error('unexpected cache hit');
      afterPause.push(ms);
    }
    console.log(
      `series not seen before, each after 2 s idle (new workers), ${afterPause.length} requests: p50 ${pct(afterPause, 0.5).toFixed(0)} ms, max ${Math.max(...afterPause).toFixed(0)} ms`,
    );
    const daily = await timed('tag.endpoint=svc-1&period=day&horizon=7');
    console.log(`daily, 30 points: ${daily[0].toFixed(0)} ms, model ${daily[1].model.name}`);
  } finally {
    const peak = await svc.stop();
    console.log(`service peak RSS: ${peak} MB`);
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`# bench:forecast on ${machine()}`);
// SERVICE_ONLY=1 leaves out the NAB part (the service's answer times alone); NAB_ONLY=1 the service part.
if (!process.env.SERVICE_ONLY) await nab();
if (!process.env.NAB_ONLY) await service();
