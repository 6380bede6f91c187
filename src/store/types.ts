// The Store port: everything the service needs from a time-series store. store/duckdb and store/influxdb
// implement it. Times are epoch milliseconds at this boundary except raw result
// timestamps, which are epoch microseconds (the contract keeps at least microseconds).

import type { Logger } from '../logger.js';
import type { ConfigurationRule } from '../model/configuration.js';
import type { TagFilters } from '../model/filters.js';
import type { Category } from '../model/fingerprint.js';
import type { BreakerEvent, Measurement, Tags, TestResult, WriteBatch } from '../model/result.js';
import type { Period } from '../time/buckets.js';

/** Tag filters (model/filters.ts), re-exported: the store's queries take them. */
export type { TagFilters };

/** A background task of the store (the InfluxDB Flux tasks: store/influxdb/flux-tasks.ts) as /health and /metrics show it. */
export interface StoreTaskState {
  name: string;
  id: string | null;
  /**
   * pass: the last run succeeded (or none ran yet); warn: the last run failed, or the task is missing or not
   * active. Warn, not fail: answers stay right (raw data inside the retention, the service's own rollup job), so a
   * broken task must not make a liveness probe restart the service; the gauge resultant_flux_task_failing alerts.
   */
  status: 'pass' | 'warn';
  lastRunStatus: string | null;
  lastRunError: string | null;
  latestCompleted: string | null;
  message?: string;
}

/** Work a store runs on its own, which the service starts and stops with its schedules and watches. */
export interface StoreBackgroundTasks {
  /** Installs and begins watching (retrying while the store does not answer). */
  start(): void;
  stop(): void;
  states(): StoreTaskState[];
}

export interface AggregateQuery {
  period: Period;
  tz: string;
  /** Bucket boundaries b0 < ... < bn (ms, UTC instants) from time/buckets.ts; bucket i is [b_i, b_i+1). */
  boundaries: number[];
  filters: TagFilters;
  groupBy: string[];
  metric: string;
  /**
   * What the caller needs of each bucket (default 'percentiles'): 'counts' (test and success counts only),
   * 'moments' (also count, sum, M2, min and max of the metric) or 'percentiles' (also p50, p95, p99). Percentiles
   * of a bucket merged from several series need the raw values or sketches: callers that do not show them say so.
   */
  stats?: StatsLevel;
  /** Leave out results whose series lack one of the groupBy tags (the group of nulls) when the caller has no use for it. */
  skipUntagged?: boolean;
  /**
   * Buckets (indexes) whose answer the caller holds from an earlier result under `generation`. A store may leave
   * them out of this result when they are still final there (listed in `reused`); stores may ignore this.
   */
  reuse?: { generation: string; buckets: ReadonlySet<number> };
}

export type StatsLevel = 'counts' | 'moments' | 'percentiles';

/** Mergeable statistics of one group in one bucket (moments plus percentiles). */
export interface BucketAggregate {
  /** Index into AggregateQuery.boundaries: the bucket [boundaries[i], boundaries[i + 1]). */
  bucket: number;
  testCount: number;
  successCount: number;
  /** Results that carry the metric, their sum, M2 (sum of squared deviations from the mean), min and max. */
  n: number;
  sum: number;
  m2: number;
  min: number | null;
  max: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** True when the percentiles come from a merged sketch (within 1 % relative error) rather than exactly. */
  approximate: boolean;
}

export interface AggregateResult {
  groups: AggregateGroup[];
  /**
   * Set when buckets before this time (ms) may lack data: parts of them could only come from raw rows that
   * retention deleted (buckets not aligned with the rollups, e.g. hours in a half-hour time zone).
   */
  incompleteBefore?: number;
  /**
   * Version of the store's closed data: the answer for a bucket listed in `final` stays the same for as long as
   * the store reports this generation (the bucket is closed and nothing rewrote it). Absent: nothing is final.
   */
  generation?: string;
  final?: number[];
  /** Buckets of `reuse` that were left out of `groups` because the caller's copy is still right. */
  reused?: number[];
}

export interface AggregateGroup {
  group: Tags;
  buckets: BucketAggregate[];
}

export interface ResultQuery {
  /** [start, stop) in µs. */
  start: number;
  stop: number;
  filters: TagFilters;
  success?: boolean;
  limit: number;
  /** Opaque position from a previous page. */
  cursor?: string;
}

export interface ResultPage {
  results: TestResult[];
  nextCursor: string | null;
}

export interface SeriesQuery {
  /** [start, stop) in µs. */
  start: number;
  stop: number;
  filters: TagFilters;
  measurement?: Measurement;
  limit: number;
  /** Only series whose key (store/series-order.ts) sorts after this one: the position of a previous page's end. */
  after?: string;
}

export interface SeriesInfo {
  measurement: Measurement;
  tags: Tags;
  /** µs */
  firstTime: number;
  lastTime: number;
  count: number;
}

export interface BreakerQuery {
  /** [start, stop) in µs. */
  start: number;
  stop: number;
  filters: TagFilters;
}

/**
 * Run summaries of test configurations (flaky tests) over [start, stop) (ms): one per configuration and piece, a
 * piece being a UTC hour, or the part of one inside the window. Stores keep them per hour for the default
 * configuration rule and make the rest (partial hours, hours with late writes, the open hour, other rules) from
 * raw results the same way.
 */
export interface RunQuery {
  start: number;
  stop: number;
  filters: TagFilters;
  configuration: ConfigurationRule;
  /** Runs inside these buckets (starts in µs, aligned to the epoch, each `bucketUs` long) are left out and counted. */
  exclude?: { bucketUs: number; starts: readonly number[] };
  /**
   * The caller merges each configuration's pieces in time order (store/run-summaries.ts): the store may return
   * them merged already, into fewer pieces (one per configuration), so that a long window is never held per hour.
   */
  merged?: boolean;
}

/**
 * The runs of one configuration in one piece, in time order (ties: failures first). Merging the pieces of a
 * configuration in time order is exact: transitions add up, plus one where a piece's first outcome differs from
 * the previous piece's last.
 */
export interface RunSummary {
  configuration: Tags;
  /** Start of the piece's hour (ms). */
  hour: number;
  runs: number;
  failures: number;
  /** Outcomes of the first and last run; null when every run of the piece was left out. */
  firstSuccess: boolean | null;
  lastSuccess: boolean | null;
  /** µs; null when every run of the piece was left out. */
  firstTime: number | null;
  lastTime: number | null;
  /** Outcome changes between consecutive runs of the piece. */
  transitions: number;
  /** Outcomes of the last min(10, runs) runs, oldest first: 'P' passed, 'F' failed. */
  tail: string;
  /** Length of the final stretch of equal outcomes. */
  streak: number;
  /** Runs left out by `exclude`. */
  excluded: number;
}

/** Failure summaries over [start, stop) (ms), in pieces that never straddle an hour or one of `cuts`. */
export interface FailureQuery {
  start: number;
  stop: number;
  filters: TagFilters;
  /** Extra piece boundaries (ms) inside the window, e.g. local day starts or the window's middle. */
  cuts?: readonly number[];
}

/** Failed results of one series with one fingerprint in one piece. */
export interface FailureSummary {
  series: Tags;
  /** Start of the piece (ms): an hour start, a cut, or the window's start. */
  start: number;
  fingerprint: string;
  failures: number;
  /** µs */
  firstTime: number;
  lastTime: number;
  /** The message of the piece's newest failure (cut to 500 characters). */
  example: string;
}

/** What a fingerprint stands for (the same for every failure that has it). */
export interface FingerprintInfo {
  category: Category;
  errorType: string | null;
  pattern: string;
}

export interface FailureSummaries {
  rows: FailureSummary[];
  fingerprints: Map<string, FingerprintInfo>;
}

/**
 * Buckets of `bucketMs` (aligned to the epoch) in [start, stop) with at least `minFailures` failed results among
 * those matching `filters`, with their run and failure counts (the candidates for infrastructure incidents).
 */
export interface FailureBucketQuery {
  start: number;
  stop: number;
  filters: TagFilters;
  bucketMs: number;
  minFailures: number;
}

export interface FailureBucket {
  /** ms */
  start: number;
  runs: number;
  failures: number;
}

export interface RollupReport {
  hoursRolledUp: number;
  daysRolledUp: number;
  /** End of the last rolled-up hour (ms); everything before it is in the hourly rollup unless marked dirty. */
  hourlyWatermark: number | null;
  dailyWatermark: number | null;
}

export interface CleanupReport {
  rawDeleted: number;
  hourlyDeleted: number;
  dailyDeleted: number;
  breakerEventsDeleted: number;
  /** Series left with no data at any level, removed from the catalogue (they no longer count against the limit). */
  seriesDeleted: number;
}

/**
 * What a delete removes (POST /api/v2/delete, `resultant delete`): every point in [start, stop) (µs) of the series
 * whose measurement is `measurement` (any when absent) and whose tags include every pair of `tags` (all series when
 * empty), and everything made from them: rollups and the analyses' summaries answer afterwards as if those points
 * had never been written.
 */
export interface DeleteQuery {
  start: number;
  stop: number;
  measurement?: Measurement;
  tags: Tags;
  /** The current time (ms): stores that keep raw data only so far back refuse a delete that reaches beyond it. */
  nowMs: number;
}

export interface DeleteReport {
  /** Raw test results and circuit-breaker events deleted; null when the store cannot tell (InfluxDB). */
  resultsDeleted: number | null;
  breakerEventsDeleted: number | null;
  /** Series left with no data at any level, removed from the catalogue (null when the store cannot tell). */
  seriesDeleted: number | null;
}

export interface RetentionPolicy {
  /** Keep raw results and breaker events this many days. */
  rawDays: number;
  hourlyDays: number;
  /** 0 keeps daily rollups forever. */
  dailyDays: number;
}

export interface StoreStatus {
  /** Seconds between now and the hourly rollup watermark (0 when there is nothing to roll up). */
  rollupLagSeconds: number;
  dirtyHours: number;
  seriesCount: number;
  ok: boolean;
  message?: string;
  /** Where the store keeps a file: its size on disk (with its write-ahead log) and the free space beside it. */
  disk?: { databaseBytes: number; freeBytes: number };
  /**
   * Set while the disk refuses to grow the store's files (full, over quota, or past the process's file-size
   * limit): writes answer 503 until a commit succeeds again.
   */
  storageFull?: boolean;
  /** Why the store does not answer, in words safe to show without a token (absent when not known). */
  problem?: string;
}

export interface Store {
  /** Writes every row of the batch; resolves only once they are durable. All or nothing. */
  write(batch: WriteBatch): Promise<void>;
  aggregate(q: AggregateQuery): Promise<AggregateResult>;
  results(q: ResultQuery): Promise<ResultPage>;
  series(q: SeriesQuery): Promise<SeriesInfo[]>;
  breakerEvents(q: BreakerQuery): Promise<BreakerEvent[]>;
  /** Flaky-test inputs: run summaries per configuration and piece (see RunQuery). */
  runSummaries(q: RunQuery): Promise<RunSummary[]>;
  /** Failure-pattern inputs: failure counts per series, fingerprint and piece, with what each fingerprint means. */
  failureSummaries(q: FailureQuery): Promise<FailureSummaries>;
  /** Fingerprints of the failures in [start, stop) (ms) matching `filters`. */
  failureFingerprints(q: { start: number; stop: number; filters: TagFilters }): Promise<Set<string>>;
  /** Buckets with at least `minFailures` failures: start (ms), runs and failures, in time order. */
  failureBuckets(q: FailureBucketQuery): Promise<FailureBucket[]>;
  /** Brings rollups up to `nowMs`: new closed hours and days, and buckets invalidated by late writes. */
  rollup(nowMs: number): Promise<RollupReport>;
  /** Recomputes every rollup bucket that overlaps [startMs, stopMs) from raw data. */
  rebuildRollups(startMs: number, stopMs: number): Promise<RollupReport>;
  /**
   * Deletes the points a predicate selects in a time range, and recomputes what was made from them (rollups, the
   * analyses' summaries) in the same step. All or nothing where the store has transactions.
   */
  delete(q: DeleteQuery): Promise<DeleteReport>;
  /** Deletes data older than each level's retention, measured back from `nowMs`. */
  cleanup(policy: RetentionPolicy, nowMs: number): Promise<CleanupReport>;
  /** The earliest time (µs) a write may carry; older raw data is not kept. */
  oldestWritableTime(nowMs: number): number;
  status(nowMs: number): Promise<StoreStatus>;
  /**
   * Work the store runs on its own (InfluxDB: its rollup tasks, store/influxdb/flux-tasks.ts), which the service
   * starts and stops with its schedules and shows in /health and /metrics; absent: none.
   */
  backgroundTasks?(o: { logger: Logger }): StoreBackgroundTasks;
  close(): Promise<void>;
}
