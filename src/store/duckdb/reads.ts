// Raw reads: results page by page (newest first), series with first/last time and counts, breaker events.
import { invalid } from '../../errors.js';
import type { BreakerEvent, BreakerState, TestResult } from '../../model/result.js';
import { pageOfSeries } from '../series-order.js';
import type { BreakerQuery, ResultPage, ResultQuery, SeriesInfo, SeriesQuery } from '../types.js';
import { type DuckDBConnection, queryColumns } from './db.js';
import type { SeriesRegistry } from './series-registry.js';
import { ParamBag } from './sql.js';

function encodeCursor(timeUs: number, id: number): string {
  return Buffer.from(JSON.stringify([timeUs, id])).toString('base64url');
}

function decodeCursor(c: string): [number, number] {
  try {
    const v: unknown = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isSafeInteger(x))) return v as [number, number];
  } catch {
    // fall through
  }
  throw invalid('cursor is not valid; pass the next_cursor of the previous page unchanged', { parameter: 'cursor' });
}

/** Predicate on series ids; null when no filter is needed (all series of the measurement). */
function seriesPredicate(p: ParamBag, col: string, ids: number[] | null): string {
  return ids === null ? 'TRUE' : `${col} IN (SELECT unnest(${p.ints(ids)}))`;
}

export async function readResults(
  conn: DuckDBConnection,
  reg: SeriesRegistry,
  q: ResultQuery,
  ids: number[] | null,
): Promise<ResultPage> {
  const p = new ParamBag();
  const where = [
    `time >= ${p.ts(q.start / 1000)}`,
    `time < ${p.ts(q.stop / 1000)}`,
    seriesPredicate(p, 'series_id', ids),
  ];
  if (q.success !== undefined) where.push(q.success ? 'success' : 'NOT success');
  if (q.cursor) {
    const [t, id] = decodeCursor(q.cursor);
    const ct = p.bigint(t);
    where.push(`(epoch_us(time) < ${ct} OR (epoch_us(time) = ${ct} AND id < ${p.bigint(id)}))`);
  }
  const cols = await queryColumns(
    conn,
    `SELECT id::DOUBLE AS id, epoch_us(time)::DOUBLE AS t, series_id, success, latency_ms, metrics, error, error_type
     FROM results WHERE ${where.join(' AND ')}
     ORDER BY time DESC, id DESC LIMIT ${p.bigint(q.limit + 1)}`,
    p.values,
    p.types,
  );
  const n = (cols.id ?? []).length;
  const results: TestResult[] = [];
  for (let i = 0; i < Math.min(n, q.limit); i++) {
    const m = cols.metrics![i] as { key: string; value: number }[] | null;
    let metrics: Record<string, number> | null = null;
    if (m?.length) {
      metrics = {};
      for (const e of m) metrics[e.key] = e.value;
    }
    results.push({
      time: cols.t![i] as number,
      success: cols.success![i] as boolean,
      latency_ms: cols.latency_ms![i] as number | null,
      metrics,
      error: cols.error![i] as string | null,
      error_type: cols.error_type![i] as string | null,
      tags: reg.byIdOrThrow(cols.series_id![i] as number).tags,
    });
  }
  const last = n > q.limit ? q.limit - 1 : -1;
  return {
    results,
    nextCursor: last >= 0 ? encodeCursor(cols.t![last] as number, cols.id![last] as number) : null,
  };
}

export async function readSeries(
  conn: DuckDBConnection,
  reg: SeriesRegistry,
  q: SeriesQuery,
  ids: number[] | null,
): Promise<SeriesInfo[]> {
  const p = new ParamBag();
  const range = `time >= ${p.ts(q.start / 1000)} AND time < ${p.ts(q.stop / 1000)} AND ${seriesPredicate(p, 'series_id', ids)}`;
  const cols = await queryColumns(
    conn,
    `SELECT series_id, epoch_us(min(time))::DOUBLE AS first, epoch_us(max(time))::DOUBLE AS last, count(*)::DOUBLE AS n
     FROM results WHERE ${range} GROUP BY series_id
     UNION ALL
     SELECT series_id, epoch_us(min(time))::DOUBLE, epoch_us(max(time))::DOUBLE, count(*)::DOUBLE
     FROM breaker_events WHERE ${range} GROUP BY series_id`,
    p.values,
    p.types,
  );
  const out: SeriesInfo[] = [];
  const n = (cols.series_id ?? []).length;
  for (let i = 0; i < n; i++) {
    const s = reg.byIdOrThrow(cols.series_id![i] as number);
    if (q.measurement && s.measurement !== q.measurement) continue;
    out.push({
      measurement: s.measurement,
      tags: s.tags,
      firstTime: cols.first![i] as number,
      lastTime: cols.last![i] as number,
      count: cols.n![i] as number,
    });
  }
  return pageOfSeries(out, q.after, q.limit);
}

export async function readBreakerEvents(
  conn: DuckDBConnection,
  reg: SeriesRegistry,
  q: BreakerQuery,
  ids: number[] | null,
): Promise<BreakerEvent[]> {
  const p = new ParamBag();
  const cols = await queryColumns(
    conn,
    `SELECT epoch_us(time)::DOUBLE AS t, series_id, state, failures::DOUBLE AS failures FROM breaker_events
     WHERE time >= ${p.ts(q.start / 1000)} AND time < ${p.ts(q.stop / 1000)} AND ${seriesPredicate(p, 'series_id', ids)}
     ORDER BY time, id`,
    p.values,
    p.types,
  );
  const n = (cols.t ?? []).length;
  const out: BreakerEvent[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      time: cols.t![i] as number,
      state: cols.state![i] as BreakerState,
      failures: cols.failures![i] as number | null,
      tags: reg.byIdOrThrow(cols.series_id![i] as number).tags,
    });
  }
  return out;
}
