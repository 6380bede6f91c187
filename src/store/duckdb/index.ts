// The embedded store: one DuckDB file, one writer connection (DuckDB allows one writing process; inside it every
// mutation here runs one at a time under `lock`), and a few reader connections that see committed snapshots.

import { mkdirSync } from 'node:fs';
import { stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Clock, systemClock } from '../../clock.js';
import { type AppError, invalid, isAppError, unavailable } from '../../errors.js';
import type { BreakerEvent, WriteBatch } from '../../model/result.js';
import { bucketStart, DAY_MS, floorHour, HOUR_MS, nextBucketStart } from '../../time/buckets.js';
import { formatMillis } from '../../time/parse.js';
import type {
  AggregateQuery,
  AggregateResult,
  BreakerQuery,
  CleanupReport,
  DeleteQuery,
  DeleteReport,
  FailureBucket,
  FailureBucketQuery,
  FailureQuery,
  FailureSummaries,
  ResultPage,
  ResultQuery,
  RetentionPolicy,
  RollupReport,
  RunQuery,
  RunSummary,
  SeriesInfo,
  SeriesQuery,
  Store,
  StoreStatus,
  TagFilters,
} from '../types.js';
import { aggregateQuery, EXACT_LIMITS, type ExactLimits, type RollupState } from './aggregate.js';
import {
  readFailureBuckets,
  readFailureFingerprints,
  readFailureSummaries,
  readRunSummaries,
} from './analysis-reads.js';
import { ConnectionPool, type DuckDBConnection, openInstance, queryRows, SerialLock } from './db.js';
import { deleteFloor, deleteRows, hasDataBefore } from './delete.js';
import { loadState, upgradeFrom1 } from './load.js';
import { readBreakerEvents, readResults, readSeries } from './reads.js';
import { expireBefore, retentionCuts } from './retention.js';
import { rollupRun } from './rollup.js';
import {
  bumpGeneration,
  dirtyBudget,
  HOURS_PER_STEP,
  hourBoundaries,
  markDirty,
  type RollupMarks,
  rollupStep,
} from './rollup-progress.js';
import { migrate, readMeta } from './schema.js';
import { type SeriesRecord, SeriesRegistry } from './series-registry.js';
import { ParamBag } from './sql.js';
import {
  firstLine,
  isDurableCommit,
  isInvalidated,
  isOutOfMemory,
  isStorageFull,
  messageOf,
} from './storage-errors.js';
import { DiskFullness, STORAGE_FULL_RETRY_SECONDS } from './storage-health.js';
import { appendBreakers, appendResults, appendSeries, replaceEarlier, upsertFingerprints } from './write.js';
import { mapYielding, seriesOfBatch, WriteMemory } from './write-memory.js';

export interface DuckDBStoreOptions {
  path: string;
  /** Zone of the daily rollup (RESULTANT_TIMEZONE). */
  timezone: string;
  rawRetentionDays: number;
  maxSeries?: number;
  /** DuckDB's buffer limit in bytes (default 256 MB; the service sizes it from the machine). */
  memoryLimit?: number;
  threads?: number | undefined;
  readers?: number;
  warn?: (message: string) => void;
  /** Memory bounds of exact percentiles (default: a share of memoryLimit per reader); tests set small ones. */
  exactLimits?: ExactLimits;
  /** Size of the write-ahead log that makes a commit checkpoint it into the file (default DuckDB's, 16 MiB). */
  checkpointThreshold?: number | undefined;
  /** The clock of the store's own bookkeeping (series first seen, the full-disk memory, reopen back-off); default the system's. */
  clock?: Clock;
}

/** The open database: DuckDB's instance and the connections on it (replaced as a whole when it is reopened). */
interface Handles {
  instance: Awaited<ReturnType<typeof openInstance>>;
  writer: DuckDBConnection;
  readers: ConnectionPool;
  readerConns: DuckDBConnection[];
}

/** Least time (ms) between two attempts to reopen a database DuckDB invalidated, when an attempt failed. */
const REOPEN_BACKOFF_MS = 5000;

const DEFAULT_MEMORY_LIMIT = 256 * 1024 ** 2;

/**
 * Exact-percentile bounds from the memory limit: every reader connection (and the writer) may run a query at once,
 * so each slice keeps its values to an equal share (about 64 bytes a value in DuckDB's quantile state, measured),
 * and no request can take the whole buffer from the others.
 */
export function exactLimitsFor(memoryBytes: number, readers: number): ExactLimits {
  const rows = Math.floor(memoryBytes / (readers + 1) / 64);
  return { sliceRows: Math.min(EXACT_LIMITS.sliceRows, Math.max(100_000, rows)) };
}

export class DuckDBStore implements Store {
  private readonly lock = new SerialLock();
  private reg = new SeriesRegistry();
  /** What writes remember between them: each series' latest result time, the fingerprints known stored. */
  private readonly memory = new WriteMemory();
  /** The rollup watermarks and the raw floor, as committed (restored when a transaction rolls back). */
  private readonly marks: RollupMarks = { hourly: null, daily: null, rawFloor: 0 };
  private nextResultId = 1;
  private nextBreakerId = 1;
  private closed = false;
  private readonly exactLimits: ExactLimits;
  private readonly clock: Clock;
  /** Null only while the database is being reopened, or after reopening it failed. */
  private db: Handles | null;
  /** What the store knows of a full disk: the last failure for lack of space, until a write succeeds again. */
  private readonly fullness: DiskFullness;
  /** DuckDB's FATAL message while the instance is invalidated and not yet reopened. */
  private invalidated: string | null = null;
  /** Why the last attempt to reopen failed, and when the next may be made. */
  private reopenFailure: { message: string; retryAt: number } | null = null;
  /** Set while the database is being reopened: reads wait for it. */
  private reopening: Promise<void> | null = null;

  private constructor(
    db: Handles,
    private readonly opts: DuckDBStoreOptions,
  ) {
    this.db = db;
    this.clock = opts.clock ?? systemClock;
    this.fullness = new DiskFullness(this.clock, opts.path, opts.warn);
    this.exactLimits =
      opts.exactLimits ?? exactLimitsFor(opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT, db.readerConns.length);
  }

  static async open(opts: DuckDBStoreOptions): Promise<DuckDBStore> {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    const db = await DuckDBStore.connect(opts, async (writer) => void (await migrate(writer)));
    const store = new DuckDBStore(db, opts);
    await store.load();
    if ((await readMeta(db.writer)).upgrade_from === '1') {
      await upgradeFrom1(store.writer, store.reg, store.marks, (fn) => store.transaction(fn), opts.warn);
    }
    return store;
  }

  /** Opens the file: DuckDB's instance, the writer (brought to the current schema by `prepare`) and the readers. */
  private static async connect(
    opts: DuckDBStoreOptions,
    prepare?: (writer: DuckDBConnection) => Promise<void>,
  ): Promise<Handles> {
    let instance: Handles['instance'];
    try {
      instance = await openInstance(opts.path, {
        memoryLimitBytes: opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
        threads: opts.threads,
        checkpointThresholdBytes: opts.checkpointThreshold,
      });
    } catch (e) {
      const msg = messageOf(e);
      // DuckDB's words for another process holding the file ("Could not set lock on file ...: Conflicting lock is
      // held in ..."); any other error, such as a corrupt file's ("... in block at location ..."), is shown as it is.
      if (/could not set lock|conflicting lock/i.test(msg)) {
        throw new Error(
          `the database ${opts.path} is in use by another process (DuckDB allows one writer); stop it or send data to the running server with --url`,
        );
      }
      throw e;
    }
    const writer = await instance.connect();
    await prepare?.(writer);
    const readerConns: DuckDBConnection[] = [];
    for (let i = 0; i < (opts.readers ?? 3); i++) readerConns.push(await instance.connect());
    return { instance, writer, readers: new ConnectionPool(readerConns), readerConns };
  }

  /** The writer connection; only under `lock`, after ensureOpen. */
  private get writer(): DuckDBConnection {
    if (!this.db) throw this.closed ? new Error('store is closed') : this.unusable();
    return this.db.writer;
  }

  /** Reads the series catalogue, the watermarks and the next ids from the file (at open, and after a reopen). */
  private async load(): Promise<void> {
    // Read whole, then swapped in: a read that plans meanwhile sees the old catalogue, never half of one.
    const st = await loadState(this.writer, this.opts.timezone, this.opts.warn);
    this.reg = st.reg;
    this.memory.forgetFingerprints();
    this.memory.latest = st.latest;
    Object.assign(this.marks, st.marks);
    this.nextResultId = st.nextResultId;
    this.nextBreakerId = st.nextBreakerId;
  }

  // ---- writes ----------------------------------------------------------------------------------------------

  async write(batch: WriteBatch): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    if (batch.size === 0) return;
    const clean = await this.locked(async () => {
      const failures = this.fullness.failures;
      await this.writeLocked(batch);
      return this.fullness.failures === failures;
    }, 'write');
    // Not after a commit that only reached the log (its checkpoint into the full file failed): the disk is still full.
    if (clean) this.fullness.works();
  }

  /**
   * Runs `fn` under the write lock, once the database is open (reopened if DuckDB invalidated it); its errors are
   * noted (full disk, invalidated database) and those the service can explain become 503s.
   */
  private locked<R>(fn: () => Promise<R>, what: 'read' | 'write'): Promise<R> {
    return this.lock.run(async () => {
      await this.ensureOpen();
      try {
        return await fn();
      } catch (e) {
        throw this.failure(e, what);
      }
    });
  }

  /** Notes what an error says about the database, and returns what to throw: a 503 where one applies, else `e`. */
  private failure(e: unknown, what: 'read' | 'write'): unknown {
    if (isAppError(e)) return e;
    const msg = messageOf(e);
    if (isStorageFull(msg)) this.fullness.markFull(msg);
    if (isInvalidated(msg)) this.markInvalidated(msg);
    if (isStorageFull(msg)) {
      return unavailable(
        what === 'write'
          ? 'the disk that holds the database is full: nothing of this request was stored; retry once space has been freed'
          : 'the disk that holds the database is full and this query needs room there: retry once space has been freed',
        STORAGE_FULL_RETRY_SECONDS,
      );
    }
    if (isInvalidated(msg))
      return unavailable('the database is being reopened after a storage error; retry shortly', 5);
    return this.outOfMemory(e, what) ?? e;
  }

  /** COMMIT on the writer. A commit DuckDB reports as durable, though the checkpoint after it failed, has succeeded. */
  private async commit(): Promise<void> {
    try {
      await this.writer.run('COMMIT');
    } catch (e) {
      const msg = messageOf(e);
      if (!isDurableCommit(msg)) throw e;
      // The rows are in the write-ahead log, and the caller's state changes stand; the instance is reopened
      // before the next statement (ensureOpen), which replays that log.
      this.failure(e, 'write');
    }
  }

  private markInvalidated(msg: string): void {
    if (this.invalidated !== null || this.closed) return;
    this.invalidated = firstLine(msg);
    this.opts.warn?.(`DuckDB invalidated the database after a fatal error; reopening it (DuckDB: ${firstLine(msg)})`);
    // Reopen at once (after the statement under the lock now), not only at the next write.
    void this.lock.run(() => this.ensureOpen()).catch(() => undefined);
  }

  /**
   * Under the lock: opens the database again if DuckDB invalidated it. Closing the instance and opening the file
   * replays its write-ahead log, so every commit stays; the catalogue, watermarks and ids are read again from it.
   */
  private async ensureOpen(): Promise<void> {
    if (this.invalidated === null || this.closed) return;
    if (this.reopenFailure && this.clock.now() < this.reopenFailure.retryAt) throw this.unusable();
    let done!: () => void;
    this.reopening = new Promise<void>((resolve) => (done = resolve));
    try {
      const old = this.db;
      this.db = null;
      if (old) await closeHandles(old);
      this.db = await DuckDBStore.connect(this.opts);
      await this.load();
      this.opts.warn?.('reopened the database: every committed write is kept');
      this.invalidated = null;
      this.reopenFailure = null;
    } catch (e) {
      const msg = messageOf(e);
      this.reopenFailure = { message: firstLine(msg), retryAt: this.clock.now() + REOPEN_BACKOFF_MS };
      if (isStorageFull(msg)) this.fullness.markFull(msg);
      this.opts.warn?.(`could not reopen the database after a fatal error: ${firstLine(msg)}`);
      const failed = this.db;
      this.db = null;
      if (failed) await closeHandles(failed);
      throw this.unusable();
    } finally {
      this.reopening = null;
      done();
    }
  }

  /** The 503 while the database is closed after a fatal error and not (yet) reopened. */
  private unusable(): AppError {
    return this.reopenFailure
      ? unavailable(
          'the database could not be reopened after a storage error; the service log says why',
          STORAGE_FULL_RETRY_SECONDS,
        )
      : unavailable('the database is being reopened after a storage error; retry shortly', 5);
  }

  /**
   * DuckDB's out-of-memory error as the service's 503, saying what to change; null for other errors. Whatever
   * still runs out of memory (the store bounds its own queries, see exactLimitsFor) is refused, never a 500.
   */
  private outOfMemory(e: unknown, what: 'read' | 'write'): AppError | null {
    const msg = e instanceof Error ? e.message : String(e);
    if (!isOutOfMemory(msg)) return null;
    const mb = Math.round((this.opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT) / 1024 ** 2);
    const disk = /temp|disk|offload/i.test(msg) ? ' and its spill space beside the database file' : '';
    this.opts.warn?.(`DuckDB ran out of memory during a ${what}: ${msg.split('\n')[0]}`);
    return unavailable(
      what === 'read'
        ? `this query needs more memory than the database may use (RESULTANT_DUCKDB_MEMORY_LIMIT=${mb}MiB${disk}): narrow the time range or the filters, or raise RESULTANT_DUCKDB_MEMORY_LIMIT`
        : `the database has no memory left for this write (RESULTANT_DUCKDB_MEMORY_LIMIT=${mb}MiB): retry later, or raise RESULTANT_DUCKDB_MEMORY_LIMIT`,
      5,
    );
  }

  private async writeLocked(batch: WriteBatch): Promise<void> {
    const { idOfIndex, resultIds, breakerIds, fresh } = await seriesOfBatch(batch, this.reg);
    const scan = await this.memory.scan(batch, idOfIndex);
    const max = this.opts.maxSeries ?? Infinity;
    if (fresh.length > 0 && this.reg.size + fresh.length > max) {
      throw invalid(
        `this write would create ${fresh.length} new series, beyond the limit of ${max} (RESULTANT_MAX_SERIES); keep unique ids out of tags`,
      );
    }
    const conn = this.writer;
    await conn.run('BEGIN TRANSACTION');
    try {
      await appendSeries(conn, fresh, this.clock.now());
      await appendResults(conn, batch, resultIds, this.nextResultId);
      await upsertFingerprints(conn, this.memory.newFingerprints(batch));
      await appendBreakers(conn, batch, breakerIds, this.nextBreakerId);
      if (scan.replacing) await replaceEarlier(conn, 'results', this.nextResultId, batch.results.time);
      await replaceEarlier(conn, 'breaker_events', this.nextBreakerId, batch.breakers.time);
      await markDirty(conn, batch, this.marks, this.opts.timezone);
      // Readers map the rows they read to series through the registry: it knows the new series before the commit
      // makes their rows visible (a registered series without rows yet reads as empty).
      await mapYielding(fresh, (f) => this.reg.add(f));
      await this.commit();
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      this.reg.remove(fresh.map((f) => f.id));
      throw e;
    }
    this.memory.rememberFingerprints(batch);
    await this.memory.rememberLatest(scan.latest);
    this.nextResultId += batch.results.length;
    this.nextBreakerId += batch.breakers.time.length;
  }

  oldestWritableTime(nowMs: number): number {
    const retention = bucketStart('day', this.opts.timezone, nowMs - this.opts.rawRetentionDays * DAY_MS);
    return Math.max(retention, this.marks.rawFloor) * 1000;
  }

  // ---- rollups ---------------------------------------------------------------------------------------------

  async rollup(nowMs: number): Promise<RollupReport> {
    let hours = 0;
    let days = 0;
    if (this.closed) return this.rollupReport(hours, days);
    // The buckets dirty now, at most: those that writes dirty meanwhile are the next run's (dirtyBudget).
    const budget = await this.locked(() => dirtyBudget(this.writer), 'write');
    for (let i = 0; i < 100_000; i++) {
      if (this.closed) break;
      const r = await this.locked(
        () => this.transaction(() => rollupStep(this.writer, this.opts.timezone, this.marks, nowMs, budget)),
        'write',
      );
      hours += r.hours;
      days += r.days;
      if (r.done) break;
    }
    return this.rollupReport(hours, days);
  }

  private rollupReport(hours: number, days: number): RollupReport {
    return {
      hoursRolledUp: hours,
      daysRolledUp: days,
      hourlyWatermark: this.marks.hourly,
      dailyWatermark: this.marks.daily,
    };
  }

  private async transaction<R>(fn: () => Promise<R>): Promise<R> {
    const saved = { ...this.marks };
    await this.writer.run('BEGIN TRANSACTION');
    try {
      const r = await fn();
      await this.commit();
      return r;
    } catch (e) {
      await this.writer.run('ROLLBACK').catch(() => undefined);
      Object.assign(this.marks, saved);
      throw e;
    }
  }

  async rebuildRollups(startMs: number, stopMs: number): Promise<RollupReport> {
    const tz = this.opts.timezone;
    let hours = 0;
    let days = 0;
    // Only buckets whose raw data is still kept can be rebuilt; rebuilding from a partial past would lose data.
    const floor = Math.max(startMs, this.marks.rawFloor);
    let h = floorHour(floor);
    if (h < floor) h += HOUR_MS;
    while (this.marks.hourly !== null && h < Math.min(stopMs, this.marks.hourly)) {
      const to = Math.min(h + HOURS_PER_STEP * HOUR_MS, this.marks.hourly, Math.ceil(stopMs / HOUR_MS) * HOUR_MS);
      const from = h;
      await this.locked(
        () =>
          this.transaction(async () => {
            await rollupRun(this.writer, 'hour', hourBoundaries([from, to]));
            await bumpGeneration(this.writer);
            const p = new ParamBag();
            await this.writer.run(
              `DELETE FROM dirty_hours WHERE bucket >= ${p.ts(from)} AND bucket < ${p.ts(to)}`,
              p.values,
              p.types,
            );
          }),
        'write',
      );
      hours += (to - from) / HOUR_MS;
      h = to;
    }
    let d = bucketStart('day', tz, floor);
    if (d < floor) d = nextBucketStart('day', tz, d);
    while (this.marks.daily !== null && d < Math.min(stopMs, this.marks.daily)) {
      const from = d;
      const to = nextBucketStart('day', tz, d);
      await this.locked(
        () =>
          this.transaction(async () => {
            await rollupRun(this.writer, 'day', [from, to]);
            await bumpGeneration(this.writer);
            const p = new ParamBag();
            await this.writer.run(`DELETE FROM dirty_days WHERE bucket = ${p.ts(from)}`, p.values, p.types);
          }),
        'write',
      );
      days++;
      d = to;
    }
    return {
      hoursRolledUp: hours,
      daysRolledUp: days,
      hourlyWatermark: this.marks.hourly,
      dailyWatermark: this.marks.daily,
    };
  }

  async cleanup(policy: RetentionPolicy, nowMs: number): Promise<CleanupReport> {
    // Roll up first: raw rows must never be deleted before their hours and days are in the rollups.
    await this.rollup(nowMs);
    const cuts = retentionCuts(policy, this.opts.timezone, nowMs);
    const report = await this.locked(
      () =>
        this.transaction(() => expireBefore(this.writer, this.opts.timezone, this.marks, cuts)).then(
          ({ gone, ...r }) => {
            this.reg.remove(gone);
            this.memory.forgetFingerprints();
            return r;
          },
        ),
      'write',
    );
    // Give the freed blocks back to the file.
    await this.locked(() => this.writer.run('CHECKPOINT'), 'write');
    return report;
  }

  /**
   * Deletes the selected points, then, in the same transaction, recomputes from the remaining raw rows every
   * rolled-up hour and day they were in (rollups and the analyses' summaries: rollupRun, what late writes and
   * rebuilds use), so reads answer as if the points had never been written; series left empty leave the catalogue.
   * Reaches back as far as complete raw data is kept (the first day start at or after the raw floor): before it
   * only rollups remain, which cannot be split by time or, for run summaries, by series, so a delete whose series
   * have data there is refused (400); when they have none there, the range is cut at that day start.
   */
  async delete(q: DeleteQuery): Promise<DeleteReport> {
    if (this.closed) throw new Error('store is closed');
    return this.locked(async () => {
      const all = Object.keys(q.tags).length === 0;
      const filters: TagFilters = Object.fromEntries(Object.entries(q.tags).map(([k, v]) => [k, [v]]));
      const idsOf = (m: SeriesRecord['measurement']): number[] | null =>
        q.measurement !== undefined && q.measurement !== m
          ? []
          : all
            ? null
            : this.reg.match(filters, m).map((r) => r.id);
      const resultIds = idsOf('test_result');
      const breakerIds = idsOf('circuit_breaker');
      const none = { resultsDeleted: 0, breakerEventsDeleted: 0, seriesDeleted: 0 };
      if (resultIds?.length === 0 && breakerIds?.length === 0) return none;
      const tz = this.opts.timezone;
      const floor = deleteFloor(tz, this.marks.rawFloor);
      let startUs = q.start;
      if (startUs < floor * 1000) {
        if (await hasDataBefore(this.writer, tz, floor, q.start, resultIds, breakerIds)) {
          throw invalid(
            `"start" is before ${formatMillis(floor)}: raw results before it were deleted by retention and only their rollups remain, which a delete cannot split by time or series; choose a start at or after ${formatMillis(floor)}`,
            { parameter: 'start', earliest: formatMillis(floor) },
          );
        }
        startUs = floor * 1000;
      }
      if (startUs >= q.stop) return none;
      const done = await this.transaction(() =>
        deleteRows(this.writer, tz, this.marks, { startUs, stopUs: q.stop, resultIds, breakerIds }),
      );
      this.reg.remove(done.gone);
      this.memory.forgetFingerprints();
      for (const [id, t] of done.latest) {
        if (t === null) this.memory.latest.delete(id);
        else this.memory.latest.set(id, t);
      }
      for (const id of done.gone) this.memory.latest.delete(id);
      return { resultsDeleted: done.results, breakerEventsDeleted: done.breakers, seriesDeleted: done.gone.length };
    }, 'write');
  }

  /** Inside a transaction: fingerprints no failure refers to any more (their meaning is written again if one comes back). */

  /**
   * Runs `fn` on the writer connection, one at a time with every other write: for state kept in the same database
   * file beside the time series (anomaly-log.ts), which has no place in the Store port.
   */
  exclusive<R>(fn: (c: DuckDBConnection) => Promise<R>): Promise<R> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.locked(() => fn(this.writer), 'write');
  }

  // ---- reads -----------------------------------------------------------------------------------------------

  /** Runs `fn` on a reader connection inside one transaction: one consistent snapshot for all its queries. */
  private async read<R>(fn: (c: DuckDBConnection) => Promise<R>): Promise<R> {
    // An invalidated database is reopened first (by the writer's lock, after the write running now).
    if (this.invalidated !== null && !this.reopening)
      await this.lock.run(() => this.ensureOpen()).catch(() => undefined);
    if (this.reopening) await this.reopening;
    if (!this.db) throw this.closed ? new Error('store is closed') : this.unusable();
    return this.db.readers.use(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        return await fn(c);
      } catch (e) {
        throw this.failure(e, 'read');
      } finally {
        await c.run('ROLLBACK').catch(() => undefined);
      }
    });
  }

  async aggregate(q: AggregateQuery): Promise<AggregateResult> {
    const plan = this.reg.plan(q.filters, q.groupBy, 'test_result', q.skipUntagged);
    if (plan.sids.length === 0) return { groups: [] };
    return this.read(async (c) => {
      const st = await this.rollupState(c, q.boundaries[0]!, q.boundaries[q.boundaries.length - 1]!);
      return aggregateQuery(c, q, plan, st, this.exactLimits);
    });
  }

  /** Watermarks and dirty buckets as of the reader's snapshot (not the writer's memory). */
  private async rollupState(c: DuckDBConnection, fromMs: number, toMs: number): Promise<RollupState> {
    const meta = await readMeta(c);
    const p = new ParamBag();
    const range = `bucket >= ${p.ts(fromMs - DAY_MS)} AND bucket < ${p.ts(toMs)}`;
    const dirty = await queryRows<{ kind: string; b: number }>(
      c,
      `SELECT 'h' AS kind, epoch_ms(bucket)::DOUBLE AS b FROM dirty_hours WHERE ${range}
       UNION ALL SELECT 'd', epoch_ms(bucket)::DOUBLE FROM dirty_days WHERE ${range}`,
      p.values,
      p.types,
    );
    return {
      hourlyWatermark: meta.hourly_watermark ? Number(meta.hourly_watermark) : null,
      dailyWatermark: meta.daily_watermark ? Number(meta.daily_watermark) : null,
      dailyTz: meta.daily_tz ?? null,
      dirtyHours: dirty.filter((d) => d.kind === 'h').map((d) => d.b),
      dirtyDays: dirty.filter((d) => d.kind === 'd').map((d) => d.b),
      rawFloor: meta.raw_floor ? Number(meta.raw_floor) : 0,
      generation: meta.generation ?? '0',
    };
  }

  private seriesIds(filters: Record<string, string[]>, measurement: SeriesRecord['measurement']): number[] | null {
    if (Object.keys(filters).length === 0) return null;
    return this.reg.match(filters, measurement).map((s) => s.id);
  }

  async results(q: ResultQuery): Promise<ResultPage> {
    const ids = this.seriesIds(q.filters, 'test_result');
    if (ids !== null && ids.length === 0) return { results: [], nextCursor: null };
    return this.read((c) => readResults(c, this.reg, q, ids));
  }

  async series(q: SeriesQuery): Promise<SeriesInfo[]> {
    const ids = Object.keys(q.filters).length === 0 ? null : this.reg.match(q.filters, q.measurement).map((s) => s.id);
    if (ids !== null && ids.length === 0) return [];
    return this.read((c) => readSeries(c, this.reg, q, ids));
  }

  async breakerEvents(q: BreakerQuery): Promise<BreakerEvent[]> {
    const ids = this.seriesIds(q.filters, 'circuit_breaker');
    if (ids !== null && ids.length === 0) return [];
    return this.read((c) => readBreakerEvents(c, this.reg, q, ids));
  }

  runSummaries(q: RunQuery): Promise<RunSummary[]> {
    return this.read(async (c) => readRunSummaries(c, this.reg, q, await this.rollupState(c, q.start, q.stop)));
  }

  failureSummaries(q: FailureQuery): Promise<FailureSummaries> {
    return this.read(async (c) => readFailureSummaries(c, this.reg, q, await this.rollupState(c, q.start, q.stop)));
  }

  failureFingerprints(q: { start: number; stop: number; filters: TagFilters }): Promise<Set<string>> {
    return this.read(async (c) => readFailureFingerprints(c, this.reg, q, await this.rollupState(c, q.start, q.stop)));
  }

  failureBuckets(q: FailureBucketQuery): Promise<FailureBucket[]> {
    return this.read((c) => readFailureBuckets(c, this.reg, q));
  }

  /** The database file's size (with its WAL) and the free space of its file system; null in memory or unreadable. */
  private async disk(): Promise<{ databaseBytes: number; freeBytes: number } | null> {
    if (this.opts.path === ':memory:') return null;
    try {
      const size = async (p: string): Promise<number> => (await stat(p).catch(() => null))?.size ?? 0;
      const fs = await statfs(dirname(this.opts.path));
      return {
        databaseBytes: (await size(this.opts.path)) + (await size(`${this.opts.path}.wal`)),
        freeBytes: fs.bavail * fs.bsize,
      };
    } catch {
      return null;
    }
  }

  async status(nowMs: number): Promise<StoreStatus> {
    const disk = await this.disk();
    const storage = {
      ...(disk ? { disk } : {}),
      ...(this.fullness.isFull() ? { storageFull: true } : {}),
    };
    try {
      return await this.read(async (c) => {
        const rows = await queryRows<{ first: number | null; dirty: number }>(
          c,
          `SELECT (SELECT epoch_ms(min(time)) FROM results)::DOUBLE AS first, (SELECT count(*) FROM dirty_hours)::DOUBLE AS dirty`,
        );
        const meta = await readMeta(c);
        const hw = meta.hourly_watermark ? Number(meta.hourly_watermark) : null;
        const first = rows[0]!.first;
        const behindFrom = hw ?? (first === null ? null : floorHour(first));
        const lag = behindFrom === null ? 0 : Math.max(0, floorHour(nowMs) - behindFrom) / 1000;
        return { ok: true, rollupLagSeconds: lag, dirtyHours: rows[0]!.dirty, seriesCount: this.reg.size, ...storage };
      });
    } catch (e) {
      return {
        ok: false,
        rollupLagSeconds: 0,
        dirtyHours: 0,
        seriesCount: this.reg.size,
        message: messageOf(e),
        ...(isAppError(e) && e.code === 'unavailable' ? { problem: e.message } : {}),
        ...storage,
      };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Wait for writes and rollup steps already queued, then refuse new ones.
    await this.lock.run(async () => {
      this.closed = true;
    });
    await this.lock.run(async () => {
      // An invalidated instance refuses every statement; its write-ahead log is replayed at the next open.
      if (!this.db || this.invalidated !== null) return;
      try {
        await this.writer.run('CHECKPOINT');
      } catch {
        // A checkpoint is an optimisation; the WAL already holds every committed write.
      }
    });
    const db = this.db;
    this.db = null;
    if (db) await closeHandles(db);
  }
}

/** Closes an open database once its readers are back: closing a connection while a query runs on it crashes DuckDB. */
async function closeHandles(db: Handles): Promise<void> {
  await db.readers.drain();
  for (const c of db.readerConns) c.closeSync();
  db.writer.closeSync();
  db.instance.closeSync();
}
