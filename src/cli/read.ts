// What the reading commands (visualize, report) share: the data comes from the database file, or from a running
// server with --url (or when the server holds the file: DuckDB allows one writer process). Both paths validate the
// arguments the same way, as query parameters of the matching API route.
import type { Config } from '../config.js';
import { isAppError } from '../errors.js';
import type { ForecastPool } from '../forecast/pool.js';
import type { ReportSources } from '../report/sources.js';
import { readingParts } from '../service.js';
import { openAnomalyLog } from '../store/index.js';
import type { Store } from '../store/types.js';
import { CliError, openStoreOrServer, usage } from './common.js';

export type Reader =
  | { kind: 'http'; base: string; token: string | undefined }
  | { kind: 'store'; store: Store; sources: ReportSources; pool: ForecastPool };

export async function openReader(config: Config, url: string | undefined, token: string | undefined): Promise<Reader> {
  if (url) {
    if (!/^https?:\/\/[^\s]+$/.test(url)) throw usage(`--url must be an http(s) URL (got "${url.slice(0, 60)}")`);
    return { kind: 'http', base: url.replace(/\/+$/, ''), token };
  }
  const opened = await openStoreOrServer(config, 'reading from there');
  if ('server' in opened) return { kind: 'http', base: opened.server, token };
  const { store } = opened;
  // The pool starts its worker only when a forecast is asked for.
  const anomalyLog = await openAnomalyLog(store);
  const { forecastPool: pool, sources } = readingParts({
    store,
    now: () => Date.now(),
    forecastWorkers: 1,
    ...(anomalyLog ? { anomalyLog } : {}),
  });
  return { kind: 'store', store, pool, sources };
}

export async function closeReader(r: Reader): Promise<void> {
  if (r.kind === 'store') {
    await r.pool.close();
    await r.store.close();
  }
}

/** A request to the server; an error answer becomes a CliError (400: bad arguments, exit 2). */
export async function request(
  r: Extract<Reader, { kind: 'http' }>,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${r.base}${path}`, {
      ...init,
      headers: {
        ...(init.headers as Record<string, string>),
        ...(r.token ? { Authorization: `Token ${r.token}` } : {}),
      },
    });
  } catch (e) {
    throw new CliError(`cannot reach ${r.base}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { message?: string };
    if (body.message) message = body.message;
  } catch {
    // keep the status line
  }
  throw new CliError(`${r.base}: ${message}`, res.status === 400 ? 2 : 1);
}

/** Runs `fn`, turning the API's validation errors (AppError invalid) into bad-argument exits. */
export async function asCli<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isAppError(e)) throw new CliError(e.message, e.code === 'invalid' ? 2 : 1);
    throw e;
  }
}

/** `--tag k=v` (repeatable) -> query parameters tag.k=v. */
export function tagQuery(tags: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of tags) {
    const i = t.indexOf('=');
    if (i <= 0) throw usage(`--tag must be key=value (got "${t.slice(0, 60)}")`);
    (out[`tag.${t.slice(0, i)}`] ??= []).push(t.slice(i + 1));
  }
  return out;
}

export function queryString(q: Record<string, string | string[] | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}
