// Tables of the embedded store. Raw rows reference a series by id; the tag sets live once in `series`.
// Rollups keep one row per (bucket, series, metric): metric '' carries the result counts, every other row the
// mergeable moments of one metric, exact type-7 percentiles of that row, and its sketch bins (key, count, sum of
// values) in *_bins.
// Hourly buckets are UTC hours; daily buckets are days in the configured time zone (meta.daily_tz).
import type { DuckDBConnection } from './db.js';

export const SCHEMA_VERSION = '1';

const ROLLUP_COLUMNS = `
  bucket TIMESTAMPTZ NOT NULL,
  series_id INTEGER NOT NULL,
  metric VARCHAR NOT NULL,
  test_count BIGINT,
  success_count BIGINT,
  n BIGINT,
  sum DOUBLE,
  m2 DOUBLE,
  min DOUBLE,
  max DOUBLE,
  p50 DOUBLE,
  p95 DOUBLE,
  p99 DOUBLE`;

const BIN_COLUMNS = `
  bucket TIMESTAMPTZ NOT NULL,
  series_id INTEGER NOT NULL,
  metric VARCHAR NOT NULL,
  k INTEGER NOT NULL,
  c BIGINT NOT NULL,
  s DOUBLE NOT NULL`;

export const DDL = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS series (
     series_id INTEGER PRIMARY KEY,
     measurement VARCHAR NOT NULL,
     series_key VARCHAR NOT NULL UNIQUE,
     tags MAP(VARCHAR, VARCHAR) NOT NULL,
     created_at TIMESTAMPTZ NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS results (
     id BIGINT NOT NULL,
     time TIMESTAMPTZ NOT NULL,
     series_id INTEGER NOT NULL,
     success BOOLEAN NOT NULL,
     latency_ms DOUBLE,
     metrics MAP(VARCHAR, DOUBLE),
     error VARCHAR,
     error_type VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS breaker_events (
     id BIGINT NOT NULL,
     time TIMESTAMPTZ NOT NULL,
     series_id INTEGER NOT NULL,
     state VARCHAR NOT NULL,
     failures BIGINT)`,
  `CREATE TABLE IF NOT EXISTS rollup_hour (${ROLLUP_COLUMNS})`,
  `CREATE TABLE IF NOT EXISTS rollup_hour_bins (${BIN_COLUMNS})`,
  `CREATE TABLE IF NOT EXISTS rollup_day (${ROLLUP_COLUMNS})`,
  `CREATE TABLE IF NOT EXISTS rollup_day_bins (${BIN_COLUMNS})`,
  // Buckets below a watermark that received writes after they were rolled up (TimescaleDB's invalidation log).
  `CREATE TABLE IF NOT EXISTS dirty_hours (bucket TIMESTAMPTZ PRIMARY KEY)`,
  `CREATE TABLE IF NOT EXISTS dirty_days (bucket TIMESTAMPTZ PRIMARY KEY)`,
];

export async function migrate(conn: DuckDBConnection): Promise<void> {
  for (const sql of DDL) await conn.run(sql);
  const r = await conn.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`);
  const rows = r.getRowObjectsJS() as { value: string }[];
  if (rows.length === 0) {
    await conn.run(`INSERT INTO meta VALUES ('schema_version', $v)`, { v: SCHEMA_VERSION });
  } else if (rows[0]!.value !== SCHEMA_VERSION) {
    throw new Error(
      `the database has schema version ${rows[0]!.value}; this build of Resultant reads version ${SCHEMA_VERSION}`,
    );
  }
}

export type MetaKey = 'hourly_watermark' | 'daily_watermark' | 'daily_tz' | 'raw_floor' | 'generation';

export async function readMeta(conn: DuckDBConnection): Promise<Partial<Record<MetaKey, string>>> {
  const r = await conn.runAndReadAll(`SELECT key, value FROM meta`);
  const out: Partial<Record<MetaKey, string>> = {};
  for (const row of r.getRowObjectsJS() as { key: MetaKey; value: string }[]) out[row.key] = row.value;
  return out;
}

export async function writeMeta(conn: DuckDBConnection, key: MetaKey, value: string | null): Promise<void> {
  if (value === null) await conn.run(`DELETE FROM meta WHERE key = $k`, { k: key });
  else await conn.run(`INSERT OR REPLACE INTO meta VALUES ($k, $v)`, { k: key, v: value });
}
