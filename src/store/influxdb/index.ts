// The InfluxDB 2 store: raw results in INFLUX_BUCKET, hourly and daily rollups (built by the Flux tasks in flux/,
// or by rollup()/rebuildRollups() running the same Flux with explicit bounds) in <bucket>_hourly and
// <bucket>_daily. Retention is the buckets' own (InfluxDB deletes whole expired shard groups).
//
// Reads: buckets that start inside the raw retention are computed from raw data by Flux (exact: counts, moments,
// R type-7 percentiles), so every acknowledged write, late ones included, shows at once and nothing depends on
// when a task last ran. Older buckets come from the rollups and are merged here exactly (Chan's formula for M2);
// their percentiles are exact when one rollup row feeds the bucket and come from merged sketch bins otherwise.
//
// The analyses' inputs (run summaries, failure summaries, fingerprints, failure buckets; analysis-reads.ts) are
// read the same way: summarised by Flux from raw data inside the raw retention, from the hourly summaries the
// analysis task keeps (flux/analysis_hourly__v1.flux) beyond it, for the default configuration rule only.
//
// Writes: InfluxDB has no transactions. A write larger than one request (5000 lines) that fails part-way leaves
// the chunks already acknowledged stored, and the caller gets the error. Timestamps are a function of the lines'
// content (lines.ts), so our retries, the ingest queue's rewrite of each request after a failed group write, and a
// client resending its request all overwrite what was stored the first time instead of storing it twice.

import { InfluxDB, type ParameterizedQuery, setLogger } from '@influxdata/influxdb-client';
import { BucketsAPI, DeleteAPI } from '@influxdata/influxdb-client-apis';
import { Cancelled, currentSignal } from '../../cancellation.js';
import { invalid } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { configurationOf } from '../../model/configuration.js';
import { formatDeletePredicate } from '../../model/delete-predicate.js';
import type { WriteBatch } from '../../model/result.js';
import {
  BREAKER_STATES,
  type BreakerEvent,
  type BreakerState,
  type Measurement,
  type TestResult,
} from '../../model/result.js';
import {
  bucketIndex,
  bucketStart,
  ceilHour,
  DAY_MS,
  floorHour,
  HOUR_MS,
  nextBucketStart,
  slotFor,
} from '../../time/buckets.js';
import { runs } from '../../time/ranges.js';
import { pageOfSeries } from '../series-order.js';
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
import {
  type AnalysisSource,
  readFailureBuckets,
  readFailureFingerprints,
  readFailureSummaries,
  readRunSummaries,
} from './analysis-reads.js';
import { FLUX_FILES, type FluxProgram, readFluxFile, renderBounded } from './flux-files.js';
import { FluxTasks, fluxTaskSpecs } from './flux-tasks.js';
import { batchToLines } from './lines.js';
import { Merger } from './merge.js';
import { findOrgID } from './org.js';
import { num, parseTimeNs, str, tagsOf, timeMs, timeUs } from './parse.js';
import {
  breakerQuery,
  cardinalityQuery,
  rawAggregateQuery,
  resultsQuery,
  rollupRowsQuery,
  seriesQuery,
} from './queries.js';
import {
  type BucketNames,
  bucketNames,
  HOURLY_LOOKBACK_HOURS,
  M_BREAKER,
  M_RESULT,
  M_RUN_SUMMARY,
  METRIC_TAG,
} from './schema.js';
import { classify, LineWriter, type LineWriterOptions } from './writer.js';

export interface InfluxStoreOptions {
  url: string;
  token: string;
  org: string;
  /** The raw bucket; the rollups go to <bucket>_hourly and <bucket>_daily. */
  bucket: string;
  /** Zone of the daily rollup (RESULTANT_TIMEZONE). */
  timezone: string;
  /** Bucket retention in days; 0 keeps forever. */
  retention: RetentionPolicy;
  /** Create missing buckets and set their retention at open (needs a token allowed to manage buckets). */
  setupBuckets?: boolean;
  /** Tries of the bucket setup at open, and the base delay between them (grows linearly). */
  setupAttempts?: number;
  setupDelayMs?: number;
  timeoutMs?: number;
  now?: () => number;
  writer?: Partial<Omit<LineWriterOptions, 'org' | 'bucket'>>;
  warn?: (message: string) => void;
}

/** Hours per rollup query when rebuilding (bounds the work of one Flux run). */
const HOURS_PER_QUERY = 24;

export class InfluxStore implements Store {
  readonly buckets: BucketNames;
  private readonly writer: LineWriter;
  private readonly now: () => number;
  /** Hours and days (ms) that took writes older than the tasks' lookback; rollup() recomputes them. */
  private readonly dirtyHours = new Set<number>();
  private readonly dirtyDays = new Set<number>();
  /** The hour and day at which rollup() last did the tasks' regular work (in memory: redone once after a restart). */
  private lastHourly: number | null = null;
  private lastDaily: number | null = null;
  private closed = false;

  constructor(
    readonly influx: InfluxDB,
    private readonly opts: InfluxStoreOptions,
  ) {
    this.buckets = bucketNames(opts.bucket);
    this.now = opts.now ?? Date.now;
    this.writer = new LineWriter(influx, { ...opts.writer, org: opts.org, bucket: this.buckets.raw });
  }

  /** The rollup and analysis-summary tasks inside InfluxDB (flux-tasks.ts), installed and watched once started. */
  backgroundTasks(o: { logger: Logger }): FluxTasks {
    return new FluxTasks(this.influx, this.opts.org, fluxTaskSpecs(this.buckets.raw, this.opts.timezone), o.logger);
  }

  static async open(opts: InfluxStoreOptions): Promise<InfluxStore> {
    // The client logs every failed request to the console; our writer reports what matters (and retries).
    setLogger({ error: () => undefined, warn: () => undefined });
    const influx = new InfluxDB({ url: opts.url, token: opts.token, timeout: opts.timeoutMs ?? 30_000 });
    const store = new InfluxStore(influx, opts);
    if (opts.setupBuckets ?? true) {
      // InfluxDB may still be starting (docker compose starts both at once): retry network errors and 5xx a while.
      for (let attempt = 1; ; attempt++) {
        try {
          await store.ensureBuckets();
          break;
        } catch (e) {
          if (attempt >= (opts.setupAttempts ?? 6) || !classify(e).retry) throw e;
          opts.warn?.(`InfluxDB at ${opts.url} is not ready (${e instanceof Error ? e.message : String(e)}); retrying`);
          await new Promise((r) => setTimeout(r, (opts.setupDelayMs ?? 2000) * attempt));
        }
      }
    }
    return store;
  }

  /** Creates the three buckets when missing and sets their retention (idempotent). */
  async ensureBuckets(): Promise<void> {
    const orgID = await findOrgID(this.influx, this.opts.org);
    const api = new BucketsAPI(this.influx);
    const r = this.opts.retention;
    const wanted: [string, number][] = [
      [this.buckets.raw, r.rawDays],
      [this.buckets.hourly, r.hourlyDays],
      [this.buckets.daily, r.dailyDays],
    ];
    for (const [name, days] of wanted) {
      const everySeconds = Math.round(days * 86_400);
      const retentionRules = [{ type: 'expire' as const, everySeconds }];
      const found = (await api.getBuckets({ orgID, name })).buckets?.[0];
      if (!found) {
        await api.postBuckets({ body: { orgID, name, retentionRules } });
        this.opts.warn?.(`created InfluxDB bucket ${name} (retention ${days > 0 ? `${days} days` : 'infinite'})`);
      } else if ((found.retentionRules?.[0]?.everySeconds ?? 0) !== everySeconds && found.id) {
        await api.patchBucketsID({ bucketID: found.id, body: { retentionRules } });
        this.opts.warn?.(`set retention of InfluxDB bucket ${name} to ${days > 0 ? `${days} days` : 'infinite'}`);
      }
    }
  }

  /**
   * The rows of a query's answer. A query that fails after InfluxDB began answering still answers 200, with a last
   * table of "error" and "reference" columns: that is an error here, with InfluxDB's text, never the end of the rows.
   */
  private rows(q: ParameterizedQuery | string): AsyncIterable<Record<string, unknown>> {
    const api = this.influx.getQueryApi({ org: this.opts.org, gzip: false });
    // A request whose client has gone starts no query, and stops reading its rows (cancellation.ts).
    const signal = currentSignal();
    return (async function* () {
      if (signal?.aborted) throw new Cancelled();
      for await (const { values, tableMeta } of api.iterateRows(q)) {
        if (signal?.aborted) throw new Cancelled();
        const row = tableMeta.toObject(values);
        const labels = tableMeta.columns.map((c) => c.label).filter((l) => l !== '');
        if (labels.length === 2 && labels.includes('error') && labels.includes('reference')) {
          const ref =
            row.reference === undefined || row.reference === null || row.reference === ''
              ? ''
              : ` (reference ${String(row.reference)})`;
          throw new Error(`InfluxDB failed part-way through a query: ${String(row.error)}${ref}`);
        }
        yield row;
      }
    })();
  }

  // ---- writes ----------------------------------------------------------------------------------------------

  async write(batch: WriteBatch): Promise<void> {
    if (this.closed) throw new Error('store is closed');
    if (batch.size === 0) return;
    await this.writer.write(batchToLines(batch));
    this.markDirty(batch);
  }

  /** Late writes outside the tasks' lookback leave rollups stale until rollup() recomputes their hours and days. */
  private markDirty(batch: WriteBatch): void {
    const nowHour = floorHour(this.now());
    const covered = nowHour - HOURLY_LOOKBACK_HOURS * HOUR_MS;
    const hours = new Set<number>();
    for (const us of batch.results.time) {
      const ms = us / 1000;
      if (ms < covered) hours.add(floorHour(ms));
    }
    // The zone's day once per hour, not per result (a backfill write brings thousands of results per hour).
    for (const h of hours) {
      this.dirtyHours.add(h);
      this.dirtyDays.add(bucketStart('day', this.opts.timezone, h));
    }
  }

  /** Start (ms) of the raw data the bucket retention surely still holds; -Infinity when kept forever. */
  private rawFloor(nowMs: number): number {
    const d = this.opts.retention.rawDays;
    return d > 0 ? nowMs - d * DAY_MS : -Infinity;
  }

  oldestWritableTime(nowMs: number): number {
    const floor = this.rawFloor(nowMs);
    // An hour of margin: a point that expires at once would be dropped by InfluxDB after our 204.
    return floor === -Infinity ? 0 : Math.max(0, (floor + HOUR_MS) * 1000);
  }

  // ---- aggregates ------------------------------------------------------------------------------------------

  async aggregate(q: AggregateQuery): Promise<AggregateResult> {
    const b = q.boundaries;
    const floor = this.rawFloor(this.now());
    let firstRaw = 0;
    while (firstRaw < b.length - 1 && b[firstRaw]! < floor) firstRaw++;
    const merger = new Merger(b, q.groupBy, q.stats ?? 'percentiles');
    const result: AggregateResult = { groups: [] };
    if (firstRaw > 0) {
      const served = await this.aggregateRollups(q, merger, firstRaw);
      if (!served) result.incompleteBefore = b[firstRaw]!;
    }
    for (const run of regularRuns(b.slice(firstRaw))) await this.aggregateRaw(q, merger, run);
    result.groups = merger.result();
    return result;
  }

  private async aggregateRaw(q: AggregateQuery, merger: Merger, run: number[]): Promise<void> {
    const every = run[1]! - run[0]!;
    const offset = ((run[0]! % every) + every) % every;
    const query = rawAggregateQuery({
      bucket: this.buckets.raw,
      startMs: run[0]!,
      stopMs: run[run.length - 1]!,
      everyMs: every,
      offsetMs: offset,
      filters: q.filters,
      groupBy: q.groupBy,
      metric: q.metric,
      stats: merger.level,
      skipUntagged: q.skipUntagged === true,
    });
    type Cell = {
      tc: number;
      sc: number;
      n: number;
      s: number;
      sd: number;
      mn: number | null;
      mx: number | null;
      p: (number | null)[];
    };
    const cells = new Map<ReturnType<Merger['get']>, Cell>();
    for await (const row of this.rows(query)) {
      const startMs = timeMs(String(row._start));
      const bucket = bucketIndex(merger.boundaries, startMs);
      if (bucket < 0 || merger.boundaries[bucket] !== startMs) {
        throw new Error(`InfluxDB returned a window starting at ${String(row._start)}, which is not a bucket start`);
      }
      const a = merger.get(bucket, row);
      let c = cells.get(a);
      if (!c) cells.set(a, (c = { tc: 0, sc: 0, n: 0, s: 0, sd: 0, mn: null, mx: null, p: [null, null, null] }));
      const v = num(row._value);
      switch (row.result) {
        case 'tc':
          c.tc = v ?? 0;
          break;
        case 'sc':
          c.sc = v ?? 0;
          break;
        case 'n':
          c.n = v ?? 0;
          break;
        case 's':
          c.s = v ?? 0;
          break;
        case 'sd':
          c.sd = v ?? 0;
          break;
        case 'mn':
          c.mn = v;
          break;
        case 'mx':
          c.mx = v;
          break;
        case 'p50':
          c.p[0] = v;
          break;
        case 'p95':
          c.p[1] = v;
          break;
        case 'p99':
          c.p[2] = v;
          break;
      }
    }
    for (const [a, c] of cells) {
      merger.addCounts(a, c.tc, c.sc);
      // Flux's population stddev comes from a streaming mean/M2; squaring it back gives M2 to rounding.
      merger.addMoments(a, { n: c.n, sum: c.s, m2: c.sd * c.sd * c.n, min: c.mn, max: c.mx }, [
        c.p[0]!,
        c.p[1]!,
        c.p[2]!,
      ]);
    }
  }

  /**
   * Buckets [0, upto) from the rollups: the daily rollup when the buckets are days, weeks or months of its own
   * zone, else the hourly one when every boundary is a whole UTC hour. False when neither lines up.
   */
  private async aggregateRollups(q: AggregateQuery, merger: Merger, upto: number): Promise<boolean> {
    const b = q.boundaries;
    let bucket: string;
    if (q.period !== 'hour' && q.tz === this.opts.timezone) bucket = this.buckets.daily;
    else if (slotFor(b.slice(0, upto + 1)) === HOUR_MS) bucket = this.buckets.hourly;
    else return false;
    const range = {
      bucket,
      startMs: b[0]!,
      stopMs: b[upto]!,
      filters: q.filters,
      metric: q.metric,
      countsOnly: merger.level === 'counts',
      requireTags: q.skipUntagged ? q.groupBy : [],
    };
    const read = async (sketch: boolean): Promise<void> => {
      for await (const row of this.rows(rollupRowsQuery({ ...range, sketch }))) {
        const tags = tagsOf(row, ROLLUP_NOT_TAGS);
        merger.addRollupRow(String(row._measurement), timeMs(String(row._time)), tags, row);
      }
    };
    await read(false);
    // Group-buckets fed by several rows need the sketch bins for their percentiles: read the bins (only them: the
    // counts and stats are in already) when there is one, and only when the caller wants percentiles.
    if (merger.level === 'percentiles' && [...merger.acc.values()].some((a) => a.sources > 1)) await read(true);
    return true;
  }

  // ---- raw reads -------------------------------------------------------------------------------------------

  /**
   * Newest first. The cursor is the last row's time in ns plus how many rows at exactly that time were returned;
   * the next page stops just after it and skips those. Rows of different series at the very same nanosecond have
   * no further order in InfluxDB's sort, so such a tie at a page boundary could repeat or skip one (rare: each
   * series gets its own nanosecond suffix, lines.ts).
   */
  async results(q: ResultQuery): Promise<ResultPage> {
    let before: { t: bigint; skip: number } | null = null;
    if (q.cursor) before = decodeCursor(q.cursor);
    const query = resultsQuery({
      bucket: this.buckets.raw,
      startUs: q.start,
      stopUs: q.stop,
      filters: q.filters,
      ...(q.success === undefined ? {} : { success: q.success }),
      ...(before ? { beforeNs: before.t + 1n } : {}),
      n: q.limit + 1 + (before?.skip ?? 0),
    });
    const rows: { ns: bigint; r: TestResult }[] = [];
    let skip = before?.skip ?? 0;
    for await (const row of this.rows(query)) {
      const ns = parseTimeNs(String(row._time));
      // Rows at exactly the cursor's time that the previous page already returned.
      if (before && ns === before.t && skip > 0) {
        skip--;
        continue;
      }
      rows.push({ ns, r: toResult(row, ns) });
    }
    const page = rows.slice(0, q.limit);
    let nextCursor: string | null = null;
    if (rows.length > q.limit && page.length > 0) {
      const last = page[page.length - 1]!.ns;
      let same = page.filter((x) => x.ns === last).length;
      if (before && last === before.t) same += before.skip;
      nextCursor = encodeCursor(last, same);
    }
    return { results: page.map((x) => x.r), nextCursor };
  }

  async series(q: SeriesQuery): Promise<SeriesInfo[]> {
    const measurements: Measurement[] = q.measurement ? [q.measurement] : [M_BREAKER, M_RESULT];
    const by = new Map<string, SeriesInfo>();
    for await (const row of this.rows(
      seriesQuery({ bucket: this.buckets.raw, startUs: q.start, stopUs: q.stop, filters: q.filters, measurements }),
    )) {
      const measurement = String(row._measurement) as Measurement;
      const tags = tagsOf(row, SERIES_NOT_TAGS);
      const key = JSON.stringify([measurement, tags]);
      let s = by.get(key);
      if (!s) by.set(key, (s = { measurement, tags, firstTime: 0, lastTime: 0, count: 0 }));
      if (row.result === 'first') s.firstTime = timeUs(String(row._time));
      else if (row.result === 'last') s.lastTime = timeUs(String(row._time));
      else if (row.result === 'count') s.count = num(row._value) ?? 0;
    }
    return pageOfSeries([...by.values()], q.after, q.limit);
  }

  // ---- the analyses' inputs (analysis-reads.ts) ----------------------------------------------------------------

  private analysisSource(): AnalysisSource {
    return {
      rows: (q) => this.rows(q),
      rawBucket: this.buckets.raw,
      hourlyBucket: this.buckets.hourly,
      rawFloor: this.rawFloor(this.now()),
      ...(this.opts.warn ? { warn: this.opts.warn } : {}),
    };
  }

  runSummaries(q: RunQuery): Promise<RunSummary[]> {
    return readRunSummaries(this.analysisSource(), q);
  }

  failureSummaries(q: FailureQuery): Promise<FailureSummaries> {
    return readFailureSummaries(this.analysisSource(), q);
  }

  failureFingerprints(q: { start: number; stop: number; filters: TagFilters }): Promise<Set<string>> {
    return readFailureFingerprints(this.analysisSource(), q);
  }

  failureBuckets(q: FailureBucketQuery): Promise<FailureBucket[]> {
    return readFailureBuckets(this.analysisSource(), q);
  }

  async breakerEvents(q: BreakerQuery): Promise<BreakerEvent[]> {
    const out: BreakerEvent[] = [];
    for await (const row of this.rows(
      breakerQuery({ bucket: this.buckets.raw, startUs: q.start, stopUs: q.stop, filters: q.filters }),
    )) {
      const state = str(row.state);
      if (!state || !(BREAKER_STATES as readonly string[]).includes(state)) continue;
      out.push({
        time: timeUs(String(row._time)),
        state: state as BreakerState,
        failures: num(row.failures),
        tags: tagsOf(row, BREAKER_NOT_TAGS),
      });
    }
    return out;
  }

  // ---- rollups ---------------------------------------------------------------------------------------------

  /** Runs one Flux program over explicit bounds through /api/v2/query (what the tasks do on their schedule). */
  async runRollup(program: FluxProgram, startMs: number, stopMs: number): Promise<void> {
    const flux = renderBounded(
      readFluxFile(FLUX_FILES[program]),
      program,
      {
        srcBucket: this.buckets.raw,
        dstBucket: program === 'daily' ? this.buckets.daily : this.buckets.hourly,
        timezone: this.opts.timezone,
      },
      startMs,
      stopMs,
    );
    // to() answers with the rows it wrote; read and drop them (the answer is only complete once they are written).
    for await (const _ of this.rows(flux)) void _;
  }

  /**
   * The hourly rollup and the hourly analysis summaries of [startMs, stopMs), HOURS_PER_QUERY hours per Flux run
   * (the two hourly tasks' work: what reads beyond the raw retention use). The rollup first, for the whole range:
   * a failing analysis program must not keep the aggregates' rollups from being brought up to date.
   */
  private async rollupHours(
    startMs: number,
    stopMs: number,
    programs: readonly FluxProgram[] = ['hourly', 'analysis'],
  ): Promise<void> {
    const step = HOURS_PER_QUERY * HOUR_MS;
    for (const program of programs) {
      for (let s = startMs; s < stopMs; s += step) await this.runRollup(program, s, Math.min(stopMs, s + step));
    }
  }

  /**
   * Once per new hour (and per new day), what the tasks do on their schedule: the last complete hours and the last
   * complete day; on every call, the hours and days that took late writes beyond the tasks' lookback. The tasks
   * keep running inside InfluxDB; this keeps rollups current when they fail, and covers late data they miss.
   */
  async rollup(nowMs: number): Promise<RollupReport> {
    const stop = floorHour(nowMs);
    const hours = new Set<number>(this.dirtyHours);
    if (this.lastHourly === null || stop > this.lastHourly) {
      for (let h = stop - HOURLY_LOOKBACK_HOURS * HOUR_MS; h < stop; h += HOUR_MS) hours.add(h);
    }
    const tz = this.opts.timezone;
    const today = bucketStart('day', tz, nowMs);
    const days = new Set<number>(this.dirtyDays);
    if (this.lastDaily === null || today > this.lastDaily) days.add(bucketStart('day', tz, today - 1));
    const doneH = [...hours].filter((h) => h < stop).sort((a, b) => a - b);
    const hourRuns = runs(doneH, (h) => h + HOUR_MS);
    for (const [a, z] of hourRuns) await this.rollupHours(a, z, ['hourly']);
    const doneD = [...days].filter((d) => nextBucketStart('day', tz, d) <= stop).sort((a, b) => a - b);
    for (const d of doneD) {
      await this.runRollup('daily', d, nextBucketStart('day', tz, d));
      this.dirtyDays.delete(d);
    }
    this.lastDaily = Math.max(this.lastDaily ?? today, today);
    // The analysis summaries last: if their program fails, the rollups above are current and these hours stay to
    // do (their rollup is recomputed with them next time; it is idempotent).
    for (const [a, z] of hourRuns) await this.rollupHours(a, z, ['analysis']);
    for (const h of doneH) this.dirtyHours.delete(h);
    this.lastHourly = Math.max(this.lastHourly ?? stop, stop);
    return { hoursRolledUp: doneH.length, daysRolledUp: doneD.length, hourlyWatermark: stop, dailyWatermark: today };
  }

  async rebuildRollups(startMs: number, stopMs: number): Promise<RollupReport> {
    const tz = this.opts.timezone;
    const now = this.now();
    const end = Math.min(stopMs, floorHour(now));
    const firstHour = ceilHour(startMs);
    await this.rollupHours(firstHour, end);
    const hours = Math.max(0, end - firstHour) / HOUR_MS;
    let days = 0;
    let d = bucketStart('day', tz, startMs);
    if (d < startMs) d = nextBucketStart('day', tz, d);
    for (; nextBucketStart('day', tz, d) <= Math.min(stopMs, now); d = nextBucketStart('day', tz, d)) {
      await this.runRollup('daily', d, nextBucketStart('day', tz, d));
      days++;
    }
    return {
      hoursRolledUp: hours,
      daysRolledUp: days,
      hourlyWatermark: floorHour(now),
      dailyWatermark: bucketStart('day', tz, now),
    };
  }

  /**
   * Deletes through InfluxDB's /api/v2/delete: the raw points the predicate selects in [start, stop), then the
   * rollup and summary points of the same series in the hourly and daily buckets. Hours and days inside the raw
   * retention are recomputed at once from what remains (the programs the tasks run: they overwrite the points of
   * series that keep data, and the deleted points of the others stay deleted); beyond the raw retention only whole
   * hours and days inside the range are deleted. Run summaries (per configuration: the series' tags without the run
   * tags) are deleted for the configurations of the selected series and recomputed where raw data is kept; beyond
   * it they are deleted only when the predicate names no run tag (else they would lose other workers' runs).
   * InfluxDB does not say how many points it deleted: the counts are null.
   */
  async delete(q: DeleteQuery): Promise<DeleteReport> {
    if (this.closed) throw new Error('store is closed');
    const api = new DeleteAPI(this.influx);
    const post = (bucket: string, fromNs: bigint, toNs: bigint, predicate: string): Promise<void> =>
      api.postDelete({
        org: this.opts.org,
        bucket,
        body: { start: rfc3339Ns(fromNs), stop: rfc3339Ns(toNs), ...(predicate ? { predicate } : {}) },
      });
    // InfluxDB's range is inclusive at both ends; raw points are the result's µs plus a 0-999 ns suffix (lines.ts).
    await post(
      this.buckets.raw,
      BigInt(q.start) * 1000n,
      BigInt(q.stop) * 1000n - 1n,
      formatDeletePredicate({ ...(q.measurement ? { measurement: q.measurement } : {}), tags: q.tags }),
    );
    const unknown: DeleteReport = { resultsDeleted: null, breakerEventsDeleted: null, seriesDeleted: null };
    if (q.measurement === 'circuit_breaker') return unknown;
    const seriesPredicate = formatDeletePredicate({ tags: q.tags });
    const config = configurationOf(q.tags);
    const runPredicate = formatDeletePredicate({ measurement: M_RUN_SUMMARY, tags: config });
    const noRunTags = Object.keys(config).length === Object.keys(q.tags).length;
    /** Rollup points stamped in [fromMs, toMs) (window starts). */
    const clear = async (bucket: string, fromMs: number, toMs: number, runs: boolean): Promise<void> => {
      if (fromMs >= toMs) return;
      const a = BigInt(fromMs) * 1_000_000n;
      const z = BigInt(toMs) * 1_000_000n - 1n;
      await post(bucket, a, z, seriesPredicate);
      if (runs) await post(bucket, a, z, runPredicate);
    };
    const startMs = q.start / 1000;
    const stopMs = q.stop / 1000;
    const now = q.nowMs;
    const floor = this.rawFloor(now);
    const tz = this.opts.timezone;
    // Hours: recomputed where raw data is complete and the hour is closed; beyond the raw retention, whole hours deleted.
    const exactHour = floor === -Infinity ? -Infinity : ceilHour(floor);
    const recLo = Math.max(floorHour(startMs), exactHour);
    const recHi = Math.min(ceilHour(stopMs), floorHour(now));
    await clear(this.buckets.hourly, ceilHour(startMs), Math.min(exactHour, floorHour(stopMs)), noRunTags);
    if (recLo < recHi) {
      await clear(this.buckets.hourly, recLo, recHi, true);
      await this.rollupHours(recLo, recHi);
    }
    // Days alike, in the rollup zone.
    let exactDay = -Infinity;
    if (floor !== -Infinity) {
      exactDay = bucketStart('day', tz, floor);
      if (exactDay < floor) exactDay = nextBucketStart('day', tz, exactDay);
    }
    let d = bucketStart('day', tz, startMs);
    for (; d < stopMs; d = nextBucketStart('day', tz, d)) {
      const next = nextBucketStart('day', tz, d);
      if (d >= exactDay) {
        if (next > now) break;
        await clear(this.buckets.daily, d, next, false);
        await this.runRollup('daily', d, next);
      } else if (d >= startMs && next <= stopMs) {
        await clear(this.buckets.daily, d, next, false);
      }
    }
    return unknown;
  }

  /** Retention is the buckets' own (InfluxDB drops whole expired shard groups on its own schedule): nothing to do. */
  async cleanup(_policy: RetentionPolicy, _nowMs: number): Promise<CleanupReport> {
    return { rawDeleted: 0, hourlyDeleted: 0, dailyDeleted: 0, breakerEventsDeleted: 0, seriesDeleted: 0 };
  }

  /**
   * Whether InfluxDB answers, and the number of series in the raw bucket (InfluxDB's own cardinality estimate
   * from its index). The rollup lag is the tasks' business: /health shows their last runs.
   */
  async status(nowMs: number): Promise<StoreStatus> {
    try {
      const floor = this.rawFloor(nowMs);
      const rows: Record<string, unknown>[] = [];
      for await (const row of this.rows(cardinalityQuery(this.buckets.raw, floor === -Infinity ? 0 : floor)))
        rows.push(row);
      const seriesCount = rows.reduce((n, r) => n + (num(r._value) ?? 0), 0);
      return { ok: true, rollupLagSeconds: 0, dirtyHours: this.dirtyHours.size, seriesCount };
    } catch (e) {
      return {
        ok: false,
        rollupLagSeconds: 0,
        dirtyHours: this.dirtyHours.size,
        seriesCount: 0,
        message: e instanceof Error ? e.message : String(e),
      };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.close();
  }
}

const ROLLUP_NOT_TAGS = new Set([
  METRIC_TAG,
  'test_count',
  'success_count',
  'n',
  'sum',
  'sumsq',
  'm2',
  'min',
  'max',
  'p50',
  'p95',
  'p99',
]);
const SERIES_NOT_TAGS = new Set<string>();
// String fields of a result: not tags (fingerprint is written with failed results, lines.ts).
const RESULT_NOT_TAGS = new Set(['error', 'error_type', 'fingerprint']);
const BREAKER_NOT_TAGS = new Set(['state']);

function toResult(row: Record<string, unknown>, ns: bigint): TestResult {
  const metrics: Record<string, number> = {};
  let any = false;
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('_') || k === 'result' || k === 'table' || k === 'latency_ms' || k === 'success') continue;
    if (typeof v === 'number') {
      metrics[k] = v;
      any = true;
    }
  }
  return {
    time: Number(ns / 1000n),
    success: row.success === true,
    latency_ms: num(row.latency_ms),
    metrics: any ? metrics : null,
    error: str(row.error),
    error_type: str(row.error_type),
    tags: tagsOf(row, RESULT_NOT_TAGS),
  };
}

function encodeCursor(t: bigint, skip: number): string {
  return Buffer.from(`${t.toString()}:${skip}`).toString('base64url');
}

function decodeCursor(c: string): { t: bigint; skip: number } {
  const m = /^(\d{1,19}):(\d{1,5})$/.exec(Buffer.from(c, 'base64url').toString('utf8'));
  // skip counts rows of one timestamp already returned: never more than a page (10,000), so a forged cursor
  // cannot make a page read a million rows.
  if (!m || Number(m[2]) > 10_000) {
    throw invalid('cursor is not valid; pass the next_cursor of the previous page unchanged', { parameter: 'cursor' });
  }
  return { t: BigInt(m[1]!), skip: Number(m[2]) };
}

/** Splits boundaries into maximal runs with one spacing (each run is one Flux window(every, offset) query). */
export function regularRuns(b: readonly number[]): number[][] {
  const out: number[][] = [];
  let i = 0;
  while (i < b.length - 1) {
    const step = b[i + 1]! - b[i]!;
    let j = i + 1;
    while (j + 1 < b.length && b[j + 1]! - b[j]! === step) j++;
    out.push(b.slice(i, j + 1));
    i = j;
  }
  return out;
}

/** RFC 3339 with nanoseconds, UTC, of epoch nanoseconds (what /api/v2/delete takes). */
export function rfc3339Ns(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  let rest = ns % 1_000_000_000n;
  let whole = sec;
  if (rest < 0n) {
    rest += 1_000_000_000n;
    whole -= 1n;
  }
  return `${new Date(Number(whole) * 1000).toISOString().slice(0, 19)}.${rest.toString().padStart(9, '0')}Z`;
}
