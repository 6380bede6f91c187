// `resultant forecast`: the same forecast as GET /api/v1/forecast, from the database file or a running server.
import { forecastParams } from '../api/forecast.js';
import type { Query } from '../api/params.js';
import { isAppError } from '../errors.js';
import type { ForecastJson } from '../forecast/index.js';
import { readingParts } from '../service.js';
import { CliError, cliConfig, openStoreOrServer, usage } from './common.js';

export interface ForecastCliOptions {
  metric?: string;
  statistic?: string;
  period?: string;
  horizon?: string;
  level?: string;
  model?: string;
  tz?: string;
  start?: string;
  stop?: string;
  tag: string[];
  url?: string;
  token?: string;
  db?: string;
}

/** The options as the API's query parameters, so both validate alike. */
export function forecastQuery(o: ForecastCliOptions): Query {
  const q: Query = {};
  for (const k of ['metric', 'statistic', 'period', 'horizon', 'level', 'model', 'tz', 'start', 'stop'] as const) {
    if (o[k] !== undefined) q[k] = o[k];
  }
  for (const t of o.tag) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw usage(`--tag must look like key=value (got "${t}")`);
    const key = `tag.${t.slice(0, eq)}`;
    const prev = q[key];
    q[key] = prev === undefined ? t.slice(eq + 1) : [...(Array.isArray(prev) ? prev : [prev]), t.slice(eq + 1)];
  }
  return q;
}

export async function runForecast(o: ForecastCliOptions): Promise<ForecastJson> {
  const q = forecastQuery(o);
  const config = cliConfig({ RESULTANT_DB_PATH: o.db });
  let params: ReturnType<typeof forecastParams>;
  try {
    params = forecastParams(q, config.timezone);
  } catch (e) {
    // Parameter errors name the API parameter; here it is the flag of the same name.
    if (isAppError(e))
      throw usage(
        e.message.replace(/parameter "(tag\.)?([\w.-]+)"/, (_m, tag: string | undefined, n: string) =>
          tag ? `--tag ${n}` : `--${n}`,
        ),
      );
    throw e;
  }
  if (o.url) return viaServer(o.url, q, o.token);
  const opened = await openStoreOrServer(config, 'asking it');
  if ('server' in opened) return viaServer(opened.server, q, o.token);
  const { store } = opened;
  const { forecastPool: pool, forecaster } = readingParts({ store, now: () => Date.now() });
  try {
    return await forecaster.forecast(params, Date.now());
  } catch (e) {
    if (isAppError(e)) throw new CliError(e.message);
    throw e;
  } finally {
    await pool.close();
    await store.close();
  }
}

async function viaServer(url: string, q: Query, token: string | undefined): Promise<ForecastJson> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q))
    for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined) params.append(k, x);
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/+$/, '')}/api/v1/forecast?${params}`, {
      headers: token ? { Authorization: `Token ${token}` } : {},
    });
  } catch (e) {
    throw new CliError(`cannot reach ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const body = (await res.json().catch(() => ({}))) as ForecastJson & { message?: string };
  if (res.status !== 200) throw new CliError(`${res.status}: ${body.message ?? res.statusText}`);
  return body;
}

/** A short table for people: the model, its backtest, and the forecast. */
export function formatForecast(f: ForecastJson): string {
  const lines = [
    `${f.statistic} of ${f.metric}, ${f.period === 'hour' ? 'hourly' : 'daily'}, ${f.level} % interval (${f.tz})`,
    `model: ${f.model.name} ${JSON.stringify(f.model.params)}`,
    `backtest (${f.backtest.folds} origins x ${f.backtest.horizon} steps): MASE ${f.backtest.mase} ` +
      `(seasonal naive ${f.backtest.baseline_mase}), sMAPE ${f.backtest.smape} %, coverage ${(100 * f.backtest.coverage).toFixed(1)} %`,
    `history: ${f.data.points} buckets from ${f.data.start}, ${f.data.gaps_filled} empty buckets filled`,
    '',
    `${'time'.padEnd(22)}${'value'.padStart(12)}${'lower'.padStart(12)}${'upper'.padStart(12)}`,
  ];
  for (const p of f.forecast) {
    lines.push(
      `${p.time.padEnd(22)}${p.value.toFixed(3).padStart(12)}${p.lower.toFixed(3).padStart(12)}${p.upper.toFixed(3).padStart(12)}`,
    );
  }
  return lines.join('\n');
}
