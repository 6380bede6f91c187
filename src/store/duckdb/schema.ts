// Tables of the embedded store. Raw rows reference a series by id; the tag sets live once in `series`.
// Rollups keep one row per (bucket, series, metric): metric '' carries the result counts, every other row the
// mergeable moments of one metric, exact type-7 percentiles of that row, and its sketch bins (key, count, sum of
// values) in *_bins.
// Hourly buckets are UTC hours; daily buckets are days in the configured time zone (meta.daily_tz).
//
// The analyses' inputs are kept beside the rollups, per UTC hour, by the same rollup runs (so late writes and
// retention keep them right in the same transaction): run_hour summarises each test configuration's outcomes in
// time order (flaky tests), failure_hour counts failed results per series and fingerprint (failure patterns).
// A failed result's fingerprint is computed once, when it is written, and stored with it; `fingerprints` says
// what each stands for.
import type { DuckDBConnection } from './db.js';

export const SCHEMA_VERSION = '2';

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

/** Tables of the analyses' inputs (schema version 2). */
const ANALYSIS_DDL = [
  `CREATE TABLE IF NOT EXISTS fingerprints (
     fingerprint VARCHAR PRIMARY KEY,
     category VARCHAR NOT NULL,
     error_type VARCHAR,
     pattern VARCHAR NOT NULL)`,
  // Per default test configuration (series.config) and hour: the runs in time order, ties failures first.
  `CREATE TABLE IF NOT EXISTS run_hour (
     bucket TIMESTAMPTZ NOT NULL,
     config VARCHAR NOT NULL,
     runs BIGINT NOT NULL,
     failures BIGINT NOT NULL,
     first_ok BOOLEAN NOT NULL,
     last_ok BOOLEAN NOT NULL,
     first_time TIMESTAMPTZ NOT NULL,
     last_time TIMESTAMPTZ NOT NULL,
     transitions BIGINT NOT NULL,
     tail VARCHAR NOT NULL,
     streak BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS failure_hour (
     bucket TIMESTAMPTZ NOT NULL,
     series_id INTEGER NOT NULL,
     fingerprint VARCHAR NOT NULL,
     failures BIGINT NOT NULL,
     first_time TIMESTAMPTZ NOT NULL,
     last_time TIMESTAMPTZ NOT NULL,
     example VARCHAR NOT NULL)`,
];

export const DDL = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS series (
     series_id INTEGER PRIMARY KEY,
     measurement VARCHAR NOT NULL,
     series_key VARCHAR NOT NULL UNIQUE,
     tags MAP(VARCHAR, VARCHAR) NOT NULL,
     created_at TIMESTAMPTZ NOT NULL,
     config VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS results (
     id BIGINT NOT NULL,
     time TIMESTAMPTZ NOT NULL,
     series_id INTEGER NOT NULL,
     success BOOLEAN NOT NULL,
     latency_ms DOUBLE,
     metrics MAP(VARCHAR, DOUBLE),
     error VARCHAR,
     error_type VARCHAR,
     fingerprint VARCHAR)`,
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
  ...ANALYSIS_DDL,
];

/**
 * Creates the tables of a new database, or brings an older one to SCHEMA_VERSION. Returns the version found
 * (null for a new database): from version 1 the caller still has to fill in the new columns and summaries
 * (DuckDBStore.upgradeFrom1), which needs the series catalogue in memory.
 */
export async function migrate(conn: DuckDBConnection): Promise<string | null> {
  await conn.run(DDL[0]!);
  const r = await conn.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`);
  const rows = r.getRowObjectsJS() as { value: string }[];
  const found = rows[0]?.value ?? null;
  if (found === '1') {
    await conn.run('BEGIN TRANSACTION');
    await conn.run(`ALTER TABLE series ADD COLUMN config VARCHAR`);
    await conn.run(`ALTER TABLE results ADD COLUMN fingerprint VARCHAR`);
    for (const sql of ANALYSIS_DDL) await conn.run(sql);
    // Until the summaries are filled in (DuckDBStore.upgradeFrom1), the store knows they are missing.
    await conn.run(`INSERT OR REPLACE INTO meta VALUES ('schema_version', $v), ('upgrade_from', '1')`, {
      v: SCHEMA_VERSION,
    });
    await conn.run('COMMIT');
    return found;
  }
  for (const sql of DDL) await conn.run(sql);
  if (found === null) {
    await conn.run(`INSERT INTO meta VALUES ('schema_version', $v)`, { v: SCHEMA_VERSION });
  } else if (found !== SCHEMA_VERSION) {
    throw new Error(
      `the database has schema version ${found}; this build of Resultant reads versions 1 and ${SCHEMA_VERSION}`,
    );
  }
  return found;
}

export type MetaKey = 'hourly_watermark' | 'daily_watermark' | 'daily_tz' | 'raw_floor' | 'generation' | 'upgrade_from';

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
