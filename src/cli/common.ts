// What the commands share: configuration from the environment plus flags, the two places data can go (the
// database file directly, or a running server over HTTP), progress on a terminal, and exit codes.

import { gzipSync } from 'node:zlib';
import { SingleBar } from 'cli-progress';
import { type Config, loadConfig } from '../config.js';
import { decodeJsonResults, decodeLineProtocol, type IngestRules, rulesOf, SeriesCache } from '../ingest/index.js';
import { silentLogger } from '../logger.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Bad arguments: exit code 2. */
export const usage = (message: string): CliError => new CliError(message, 2);

export function cliConfig(overrides: Record<string, string | undefined> = {}): Config {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) env[k] = v;
  try {
    return loadConfig(env);
  } catch (e) {
    throw usage(e instanceof Error ? e.message : String(e));
  }
}

export async function openCliStore(config: Config): Promise<Store> {
  try {
    return await openStore(config, silentLogger);
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message : String(e));
  }
}

/** Points of other measurements left out (RESULTANT_UNKNOWN_MEASUREMENTS=skip), and the first of their names. */
export interface Skipped {
  skipped: number;
  names: string[];
}

/** Where a command's results go. `lineOffset` is the file line number of the first line, for error messages. */
export interface Sink {
  readonly describe: string;
  /** Writes the lines; answers the points left out as of measurements the ingest rules skip, and their names. */
  lineProtocol(lines: string[], lineOffset: number): Promise<Skipped>;
  json(records: unknown[], indexOffset: number): Promise<void>;
  close(): Promise<void>;
}

export function storeSink(store: Store, owned: boolean, rules: IngestRules): Sink {
  const cache = new SeriesCache();
  return {
    describe: 'the database file',
    async lineProtocol(lines, lineOffset) {
      const now = Date.now();
      const d = decodeLineProtocol(lines.join('\n'), {
        precision: 'ns',
        nowUs: now * 1000,
        minTimeUs: store.oldestWritableTime(now),
        cache,
        rules,
      });
      if (!d.ok) throw new CliError(`line ${d.line + lineOffset - 1}: ${d.message.replace(/^line \d+: /, '')}`);
      if (d.batch.size > 0) await store.write(d.batch);
      return { skipped: d.skipped, names: d.skippedNames };
    },
    async json(records, indexOffset) {
      const now = Date.now();
      const d = decodeJsonResults(records, now * 1000, store.oldestWritableTime(now));
      if (!d.ok) {
        const e = d.errors[0];
        throw new CliError(
          e ? `record ${e.index + indexOffset}${e.path ? ` field "${e.path}"` : ''}: ${e.message}` : d.message,
        );
      }
      await store.write(d.batch);
    },
    async close() {
      if (owned) await store.close();
    },
  };
}

export function httpSink(baseUrl: string, token: string | undefined): Sink {
  const base = baseUrl.replace(/\/+$/, '');
  const headers = (extra: Record<string, string>): Record<string, string> => ({
    ...extra,
    ...(token ? { Authorization: `Token ${token}` } : {}),
  });
  const post = async (path: string, body: Buffer, extra: Record<string, string>): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, { method: 'POST', headers: headers(extra), body });
      } catch (e) {
        throw new CliError(`cannot reach ${base}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (res.status === 503 && attempt < 30) {
        const wait = Number(res.headers.get('retry-after') ?? '1');
        await new Promise((r) => setTimeout(r, Math.min(30, Math.max(1, wait)) * 1000));
        continue;
      }
      return res;
    }
  };
  const fail = async (res: Response, offset: number, what: 'line' | 'record'): Promise<never> => {
    let msg = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as {
        message?: string;
        line?: number;
        errors?: { index: number; path: string; message: string }[];
      };
      if (what === 'line' && typeof body.line === 'number') {
        msg = `line ${body.line + offset - 1}: ${(body.message ?? '').replace(/^line \d+: /, '')}`;
      } else if (what === 'record' && body.errors?.[0]) {
        const e = body.errors[0];
        msg = `record ${e.index + offset}${e.path ? ` field "${e.path}"` : ''}: ${e.message}`;
      } else if (body.message) msg = `${res.status}: ${body.message}`;
    } catch {
      // keep the status line
    }
    throw new CliError(msg);
  };
  return {
    describe: base,
    async lineProtocol(lines, lineOffset) {
      const res = await post('/api/v2/write?precision=ns', gzipSync(lines.join('\n')), {
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Encoding': 'gzip',
      });
      // 422: a partial write, as InfluxDB answers it; the server stored the rest and says what it left out.
      if (res.status === 422) {
        const body = (await res.json().catch(() => ({}))) as { skipped?: unknown; skipped_measurements?: unknown };
        if (typeof body.skipped === 'number') {
          const names = Array.isArray(body.skipped_measurements)
            ? body.skipped_measurements.filter((x): x is string => typeof x === 'string')
            : [];
          return { skipped: body.skipped, names };
        }
        await fail(res, lineOffset, 'line');
      }
      if (res.status !== 204) await fail(res, lineOffset, 'line');
      return { skipped: 0, names: [] };
    },
    async json(records, indexOffset) {
      const res = await post('/api/v1/results', gzipSync(JSON.stringify(records)), {
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
      });
      if (res.status !== 201) await fail(res, indexOffset, 'record');
    },
    async close() {},
  };
}

/** A server is answering at `url`? */
export async function serverAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/ping`, { signal: AbortSignal.timeout(1500) });
    return res.status === 204;
  } catch {
    return false;
  }
}

/**
 * The database file, or else the URL of the local server when the server holds the file (DuckDB allows one writer
 * process); `purpose` ends the notice that says so.
 */
export async function openStoreOrServer(
  config: Config,
  purpose: string,
): Promise<{ store: Store } | { server: string }> {
  try {
    return { store: await openStore(config, silentLogger) };
  } catch (e) {
    const local = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
    if (/in use by another process/.test(String(e)) && (await serverAnswers(local))) {
      process.stderr.write(`the database is in use by the server at ${local}; ${purpose}\n`);
      return { server: local };
    }
    throw new CliError(e instanceof Error ? e.message : String(e));
  }
}

/** The sink for commands that write: `--url` when given; otherwise the database file or the server holding it. */
export async function openSink(config: Config, url: string | undefined, token: string | undefined): Promise<Sink> {
  if (url) return httpSink(url, token);
  const opened = await openStoreOrServer(config, 'sending the data there');
  return 'store' in opened ? storeSink(opened.store, true, rulesOf(config.ingest)) : httpSink(opened.server, token);
}

export interface Progress {
  update(done: number): void;
  stop(): void;
}

/** A progress bar on a terminal; nothing when output is piped. */
export function progress(total: number, label: string): Progress {
  if (!process.stderr.isTTY || total <= 0) return { update() {}, stop() {} };
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
    stream: process.stderr,
    hideCursor: true,
  });
  bar.start(total, 0);
  return { update: (n) => bar.update(n), stop: () => bar.stop() };
}

export function parseDays(v: string, name: string): number {
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0) throw usage(`${name} must be a positive number of days (got "${v}")`);
  return Number(v);
}
