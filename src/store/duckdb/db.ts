// Thin helpers over @duckdb/node-api: opening the database, a serial lock for the single writer, a small pool of
// reader connections, and typed parameter binding. Nothing outside store/duckdb imports @duckdb/*.

import { createRequire } from 'node:module';
import type { DuckDBConnection, DuckDBType, DuckDBValue, DuckDBInstance as Instance } from '@duckdb/node-api';
import duckdb from '@duckdb/node-api';
import { Cancelled, currentSignal } from '../../cancellation.js';

// @duckdb/node-api decodes every VARCHAR it reads with one shared `new TextDecoder()`, which takes a leading U+FEFF
// for a byte-order mark and drops it: a tag, metric name or error text that begins with one was stored whole but read
// back without it. Its string accessors look the shared decoder up at each call, so one that keeps the character
// fixes every read. (The version is pinned; duckdb.test.ts checks the round trip.)
const accessors = createRequire(import.meta.url)('@duckdb/node-api/lib/vectors/dataAccessors.js') as {
  textDecoder: unknown;
};
accessors.textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

export const { DuckDBInstance, DuckDBDataChunk, listValue, timestampTZValue } = duckdb;
export const T = {
  BIGINT: duckdb.BIGINT,
  INTEGER: duckdb.INTEGER,
  DOUBLE: duckdb.DOUBLE,
  VARCHAR: duckdb.VARCHAR,
  BOOLEAN: duckdb.BOOLEAN,
  TIMESTAMPTZ: duckdb.TIMESTAMPTZ,
  LIST: duckdb.LIST,
  MAP: duckdb.MAP,
};
export const mapValue = duckdb.mapValue;
export type { DuckDBConnection, DuckDBType, DuckDBValue };

export type Params = Record<string, DuckDBValue>;
export type ParamTypes = Record<string, DuckDBType | undefined>;

/** Runs async functions one at a time, in call order. */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<R>(fn: () => Promise<R>): Promise<R> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** A fixed set of connections handed out one caller at a time. */
export class ConnectionPool {
  private readonly idle: DuckDBConnection[];
  private readonly waiters: ((c: DuckDBConnection) => void)[] = [];
  private readonly total: number;
  private closing = false;
  private drained: (() => void) | null = null;

  constructor(conns: DuckDBConnection[]) {
    this.idle = [...conns];
    this.total = conns.length;
  }

  /**
   * Runs `fn` on a connection of its own. Work for a request whose client has gone (cancellation.ts) does not
   * start, leaves the wait for a connection, and has its running query interrupted.
   */
  async use<R>(fn: (c: DuckDBConnection) => Promise<R>): Promise<R> {
    if (this.closing) throw new Error('store is closed');
    const signal = currentSignal();
    if (signal?.aborted) throw new Cancelled();
    const conn = this.idle.pop() ?? (await this.waitForConnection(signal));
    // An interrupt that arrives before DuckDB's thread has started the query is lost (the query then runs to its
    // end): after the abort it is repeated until fn settles. A busy machine widens that window (src/store/duckdb/db.test.ts).
    let again: NodeJS.Timeout | null = null;
    const interrupt = () => {
      conn.interrupt();
      again = setInterval(() => conn.interrupt(), 50);
    };
    signal?.addEventListener('abort', interrupt, { once: true });
    try {
      const out = await fn(conn);
      if (signal?.aborted) throw new Cancelled();
      return out;
    } catch (e) {
      throw signal?.aborted ? new Cancelled() : e;
    } finally {
      if (again) clearInterval(again);
      signal?.removeEventListener('abort', interrupt);
      this.release(conn);
    }
  }

  private waitForConnection(signal: AbortSignal | undefined): Promise<DuckDBConnection> {
    return new Promise<DuckDBConnection>((resolve, reject) => {
      const waiter = (c: DuckDBConnection) => {
        signal?.removeEventListener('abort', leave);
        resolve(c);
      };
      const leave = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Cancelled());
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.waiters.push(waiter);
    });
  }

  private release(conn: DuckDBConnection): void {
    const w = this.waiters.shift();
    if (w) w(conn);
    else {
      this.idle.push(conn);
      if (this.closing && this.idle.length === this.total) this.drained?.();
    }
  }

  /**
   * Refuses new work and waits until every connection is back: closing a connection while a query runs on it
   * crashes the native library (seen when a server shut down under a dashboard's requests).
   */
  async drain(): Promise<void> {
    this.closing = true;
    if (this.idle.length === this.total) return;
    await new Promise<void>((resolve) => (this.drained = resolve));
  }
}

export async function openInstance(
  path: string,
  opts: { memoryLimitBytes: number; threads?: number | undefined; checkpointThresholdBytes?: number | undefined },
): Promise<Instance> {
  const mb = Math.max(1, Math.floor(opts.memoryLimitBytes / 1024 ** 2));
  const config: Record<string, string> = {
    memory_limit: `${mb}MiB`,
    // Queries that outgrow memory spill beside the database file, up to a bound, so that an analysis can never
    // fill the disk the writes need.
    ...(path === ':memory:' ? {} : { temp_directory: `${path}.tmp` }),
    max_temp_directory_size: `${Math.max(1024, 4 * mb)}MiB`,
    // Rows an insert buffers before it writes them as a row group; DuckDB's default is a fifth of the memory limit
    // per thread (hundreds of MB with a limit sized from the machine), which a large write would hold resident.
    write_buffer_row_group_memory_limit: '32MiB',
    // Results are returned in explicit ORDER BY order; letting DuckDB drop insertion order saves memory.
    preserve_insertion_order: 'false',
    // DuckDB hands memory it frees back to the OS once this much was freed (its Linux build allocates with its own
    // jemalloc, configurable through DUCKDB_JE_MALLOC_CONF; builds without it use malloc_trim). The defaults
    // (128 MB / 512 MB) kept 100+ MB of freed query memory resident after a large aggregate: on the B data of
    // bench/aggregates.ts (cold hourly then daily query, in one process) the peak RSS was ~580 MB with the defaults
    // and 460-480 MB at 16 MB (docs/performance.md has the service's).
    allocator_flush_threshold: '16MB',
    allocator_bulk_deallocation_flush_threshold: '16MB',
  };
  if (opts.threads) config.threads = String(opts.threads);
  if (opts.checkpointThresholdBytes) config.checkpoint_threshold = `${Math.floor(opts.checkpointThresholdBytes)}B`;
  return DuckDBInstance.create(path, config);
}

/** Reads all rows of a query as JS objects (numbers, strings, booleans, null; cast in SQL where needed). */
export async function queryRows<R = Record<string, unknown>>(
  conn: DuckDBConnection,
  sql: string,
  params?: Params,
  types?: ParamTypes,
): Promise<R[]> {
  const reader = await conn.runAndReadAll(sql, params, types);
  return reader.getRowObjectsJS() as R[];
}

/** Reads all rows column-wise: faster than row objects for large results. */
export async function queryColumns(
  conn: DuckDBConnection,
  sql: string,
  params?: Params,
  types?: ParamTypes,
): Promise<Record<string, unknown[]>> {
  const reader = await conn.runAndReadAll(sql, params, types);
  // getColumnsJS and the names: a third of getColumnsObjectJS's time on 72,000 rows of 12 columns (measured).
  const names = reader.columnNames();
  const cols = reader.getColumnsJS() as unknown[][];
  const out: Record<string, unknown[]> = {};
  for (const [i, n] of names.entries()) out[n] = cols[i]!;
  return out;
}

/**
 * Streams a query's rows column-wise, one DuckDB chunk (2,048 rows) at a time: for results too large to hold as
 * JS values at once. Columns of BOOLEAN, DOUBLE, INTEGER and VARCHAR come as booleans, numbers and strings.
 */
export async function streamColumns(
  conn: DuckDBConnection,
  sql: string,
  params: Params | undefined,
  types: ParamTypes | undefined,
  onChunk: (cols: Record<string, unknown[]>, rows: number) => void,
): Promise<void> {
  const result = await conn.stream(sql, params, types);
  const names = result.columnNames();
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    const cols: Record<string, unknown[]> = {};
    for (const [i, n] of names.entries()) cols[n] = chunk.getColumnValues(i);
    onChunk(cols, chunk.rowCount);
  }
}

export const bigintList = (xs: readonly number[]): DuckDBValue => listValue(xs.map((x) => BigInt(x)));
export const intList = (xs: readonly number[]): DuckDBValue => listValue(xs);
export const BIGINT_LIST = T.LIST(T.BIGINT);
export const INT_LIST = T.LIST(T.INTEGER);
export const VARCHAR_LIST = T.LIST(T.VARCHAR);
export const DOUBLE_LIST = T.LIST(T.DOUBLE);
export const tsValue = (micros: number): DuckDBValue => timestampTZValue(BigInt(Math.trunc(micros)));
