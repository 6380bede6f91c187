// Our own write queue in front of InfluxDB. The client's WriteApi sends batches in the background and its
// flush()/close() do not wait for batches it already sent (measured: close() resolved with 1500 of 2500 lines
// acknowledged; influxdb-client-js#300), and its retry buffer drops the oldest lines when full. So every chunk
// here gets a fresh WriteApi with client retries off and a batch size above the chunk (nothing is sent in the
// background), and `await flush()` resolves only on InfluxDB's 204. We retry ourselves: 429 and 5xx (honouring
// Retry-After), timeouts and network errors, with backoff, until a deadline. A write resolves only when every one
// of its chunks was acknowledged, which is what lets the HTTP ingest answer 204 only for stored data.
import { HttpError, type InfluxDB } from '@influxdata/influxdb-client';
import { AppError, invalid, unavailable } from '../../errors.js';

export interface LineWriterOptions {
  org: string;
  bucket: string;
  /** Lines per request (InfluxDB's guidance: about 5000). */
  maxLines?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Give up a chunk after retrying for this long (ms); the write then fails with 503. */
  maxRetryMs?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  onRetry?: (info: { attempt: number; delayMs: number; error: string }) => void;
}

const RETRY_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ESOCKETTIMEDOUT',
]);

/** Whether a failed request may be sent again, and after how many ms the server asked us to wait (if it did). */
export function classify(e: unknown): { retry: boolean; retryAfterMs: number | null } {
  if (e instanceof HttpError) {
    const retry = e.statusCode === 429 || e.statusCode >= 500;
    return { retry, retryAfterMs: retry ? parseRetryAfter(e.headers?.['retry-after']) : null };
  }
  if (typeof e === 'object' && e !== null) {
    const name = (e as { name?: string }).name;
    const code = (e as { code?: string }).code;
    if (name === 'RequestTimedOutError' || name === 'AbortError') return { retry: true, retryAfterMs: null };
    if (code && RETRY_CODES.has(code)) return { retry: true, retryAfterMs: null };
  }
  return { retry: false, retryAfterMs: null };
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms; null when absent or unreadable. */
export function parseRetryAfter(v: string | string[] | undefined, nowMs = Date.now()): number | null {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s.trim() === '') return null;
  if (/^\d+$/.test(s.trim())) return Number(s.trim()) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : Math.max(0, t - nowMs);
}

export class LineWriter {
  private readonly maxLines: number;
  private readonly concurrency: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private pending = new Set<Promise<unknown>>();
  private closed = false;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly influx: InfluxDB,
    private readonly opts: LineWriterOptions,
  ) {
    this.maxLines = opts.maxLines ?? 5000;
    this.concurrency = opts.concurrency ?? 2;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? Date.now;
  }

  /** Resolves once InfluxDB acknowledged (204) every line; rejects with an AppError otherwise. */
  async write(lines: string[]): Promise<void> {
    if (this.closed) throw new Error('the InfluxDB writer is closed');
    if (lines.length === 0) return;
    const chunks: string[][] = [];
    for (let i = 0; i < lines.length; i += this.maxLines) chunks.push(lines.slice(i, i + this.maxLines));
    const all = Promise.all(chunks.map((c) => this.queued(() => this.sendWithRetry(c))));
    this.pending.add(all);
    try {
      await all;
    } finally {
      this.pending.delete(all);
    }
  }

  private async queued<T>(fn: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  private async sendWithRetry(lines: string[]): Promise<void> {
    const deadline = this.now() + (this.opts.maxRetryMs ?? 30_000);
    let delay = this.opts.minDelayMs ?? 200;
    const maxDelay = this.opts.maxDelayMs ?? 10_000;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.send(lines);
        return;
      } catch (e) {
        const c = classify(e);
        if (!c.retry) throw toAppError(e);
        const wait = c.retryAfterMs ?? delay;
        if (this.now() + wait > deadline) {
          throw unavailable(
            `InfluxDB did not accept the write in time: ${describe(e)}`,
            Math.max(1, Math.ceil(wait / 1000)),
          );
        }
        this.opts.onRetry?.({ attempt, delayMs: wait, error: describe(e) });
        await this.sleep(wait);
        delay = Math.min(maxDelay, delay * 2);
      }
    }
  }

  private async send(lines: string[]): Promise<void> {
    const api = this.influx.getWriteApi(this.opts.org, this.opts.bucket, 'ns', {
      batchSize: lines.length + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: 0,
    });
    api.writeRecords(lines);
    try {
      await api.flush();
    } finally {
      // Nothing is buffered any more (flush took it all); close() only releases the WriteApi.
      await api.close().catch(() => undefined);
    }
  }

  /** Waits for writes in flight, then refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending]);
  }
}

function describe(e: unknown): string {
  if (e instanceof HttpError) return `HTTP ${e.statusCode}${e.message ? `: ${e.message}` : ''}`;
  return e instanceof Error ? e.message : String(e);
}

/** Errors InfluxDB will answer the same way again: 400 is about the data (e.g. a field type conflict). */
function toAppError(e: unknown): Error {
  if (e instanceof HttpError) {
    if (e.statusCode === 400 || e.statusCode === 422) return invalid(`InfluxDB rejected the write: ${e.message}`);
    if (e.statusCode === 413) return new AppError('request too large', 'InfluxDB rejected the write as too large');
  }
  // 401/403/404 (token, org or bucket wrong) are configuration faults: a 500 for the client, the cause in the log.
  return e instanceof Error ? e : new Error(String(e));
}
