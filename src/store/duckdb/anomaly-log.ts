// The anomaly log in the embedded database: one row per (series, metric, method, time), enforced by a unique key,
// so re-running a detection updates rows instead of adding them (the original inserted duplicates on every run).
import {
  type AnomalyLog,
  type AnomalyQuery,
  type AnomalyRecord,
  type StoredAnomaly,
  seriesIdentity,
} from '../state.js';
import { BIGINT_LIST, bigintList, type DuckDBConnection, listValue, queryRows, T } from './db.js';
import type { DuckDBStore } from './index.js';

const DDL = [
  `CREATE SEQUENCE IF NOT EXISTS anomaly_ids START 1`,
  `CREATE TABLE IF NOT EXISTS anomalies (
     id BIGINT PRIMARY KEY DEFAULT nextval('anomaly_ids'),
     series_key VARCHAR NOT NULL,
     metric VARCHAR NOT NULL,
     method VARCHAR NOT NULL,
     time_ms BIGINT NOT NULL,
     value DOUBLE NOT NULL,
     expected DOUBLE NOT NULL,
     score DOUBLE NOT NULL,
     detected_ms BIGINT NOT NULL,
     acknowledged_ms BIGINT,
     UNIQUE (series_key, metric, method, time_ms))`,
];

const COLUMNS = `id::DOUBLE AS id, series_key, metric, method, time_ms::DOUBLE AS time_ms, value, expected, score,
  detected_ms::DOUBLE AS detected_ms, acknowledged_ms::DOUBLE AS acknowledged_ms`;

interface Row {
  id: number;
  series_key: string;
  metric: string;
  method: string;
  time_ms: number;
  value: number;
  expected: number;
  score: number;
  detected_ms: number;
  acknowledged_ms: number | null;
}

/** Most anomalies stored per call: a detection that finds more is reporting noise. */
export const MAX_UPSERT = 10_000;
const UPSERT_CHUNK = 2000;
const VARCHAR_LIST = T.LIST(T.VARCHAR);
const DOUBLE_LIST = T.LIST(T.DOUBLE);

export class DuckDBAnomalyLog implements AnomalyLog {
  private constructor(private readonly store: DuckDBStore) {}

  static async open(store: DuckDBStore): Promise<DuckDBAnomalyLog> {
    await store.exclusive(async (c) => {
      for (const sql of DDL) await c.run(sql);
    });
    return new DuckDBAnomalyLog(store);
  }

  upsert(items: readonly AnomalyRecord[], nowMs: number): Promise<StoredAnomaly[]> {
    if (items.length > MAX_UPSERT) return Promise.reject(new Error(`at most ${MAX_UPSERT} anomalies per call`));
    if (items.length === 0) return Promise.resolve([]);
    // One statement per chunk, not one per anomaly: the writer lock is shared with ingestion, and 5000 single-row
    // upserts held it for 32 s (writes waited that long).
    const keyOf = (k: string, metric: string, method: string, t: number): string =>
      JSON.stringify([k, metric, method, t]);
    const rows = items.map((a) => ({ ...a, key: seriesIdentity(a.series), t: Math.round(a.time) }));
    // The same anomaly twice in one call: the last one counts (one statement cannot update a row twice).
    const unique = [...new Map(rows.map((r) => [keyOf(r.key, r.metric, r.method, r.t), r])).values()];
    return this.store.exclusive(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const stored = new Map<string, StoredAnomaly>();
        for (let i = 0; i < unique.length; i += UPSERT_CHUNK) {
          const part = unique.slice(i, i + UPSERT_CHUNK);
          const out = await queryRows<Row>(
            c,
            `INSERT INTO anomalies (series_key, metric, method, time_ms, value, expected, score, detected_ms)
             SELECT unnest($k), unnest($m), unnest($me), unnest($t), unnest($v), unnest($e), unnest($s), $now::BIGINT
             ON CONFLICT (series_key, metric, method, time_ms)
             DO UPDATE SET value = excluded.value, expected = excluded.expected, score = excluded.score
             RETURNING ${COLUMNS}`,
            {
              k: listValue(part.map((r) => r.key)),
              m: listValue(part.map((r) => r.metric)),
              me: listValue(part.map((r) => r.method)),
              t: bigintList(part.map((r) => r.t)),
              v: listValue(part.map((r) => r.value)),
              e: listValue(part.map((r) => r.expected)),
              s: listValue(part.map((r) => r.score)),
              now: Math.round(nowMs),
            },
            {
              k: VARCHAR_LIST,
              m: VARCHAR_LIST,
              me: VARCHAR_LIST,
              t: BIGINT_LIST,
              v: DOUBLE_LIST,
              e: DOUBLE_LIST,
              s: DOUBLE_LIST,
            },
          );
          for (const r of out) stored.set(keyOf(r.series_key, r.metric, r.method, r.time_ms), fromRow(r));
        }
        await c.run('COMMIT');
        return rows.map((r) => stored.get(keyOf(r.key, r.metric, r.method, r.t))!);
      } catch (e) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  list(q: AnomalyQuery): Promise<StoredAnomaly[]> {
    return this.store.exclusive(async (c) => {
      const ack =
        q.acknowledged === undefined
          ? ''
          : q.acknowledged
            ? 'AND acknowledged_ms IS NOT NULL'
            : 'AND acknowledged_ms IS NULL';
      const rows = await queryRows<Row>(
        c,
        `SELECT ${COLUMNS} FROM anomalies WHERE time_ms >= $start::BIGINT AND time_ms < $stop::BIGINT ${ack}
         ORDER BY time_ms DESC, id DESC LIMIT $limit::BIGINT`,
        { start: Math.floor(q.start), stop: Math.ceil(q.stop), limit: q.limit },
      );
      return rows.map(fromRow);
    });
  }

  acknowledge(id: number, nowMs: number): Promise<StoredAnomaly | null> {
    return this.store.exclusive(async (c: DuckDBConnection) => {
      const rows = await queryRows<Row>(
        c,
        `UPDATE anomalies SET acknowledged_ms = coalesce(acknowledged_ms, $now::BIGINT) WHERE id = $id::BIGINT RETURNING ${COLUMNS}`,
        { id, now: Math.round(nowMs) },
      );
      return rows[0] ? fromRow(rows[0]) : null;
    });
  }

  prune(beforeMs: number): Promise<number> {
    return this.store.exclusive(async (c) => {
      const r = await c.run(`DELETE FROM anomalies WHERE time_ms < $before::BIGINT`, { before: Math.floor(beforeMs) });
      return r.rowsChanged;
    });
  }
}

function fromRow(r: Row): StoredAnomaly {
  const entries = JSON.parse(r.series_key) as [string, string][];
  return {
    id: r.id,
    series: Object.fromEntries(entries),
    metric: r.metric,
    method: r.method,
    time: r.time_ms,
    value: r.value,
    expected: r.expected,
    score: r.score,
    detectedAt: r.detected_ms,
    acknowledged: r.acknowledged_ms !== null,
    acknowledgedAt: r.acknowledged_ms,
  };
}
