// Reads of the analyses' inputs on InfluxDB (Store.runSummaries, failureSummaries, failureFingerprints,
// failureBuckets), in the aggregates' way: the part of a window inside the raw retention is summarised from raw
// results by Flux (analysis-queries.ts), so late writes show at once and nothing depends on when a task ran; whole
// hours older than that come from the hourly summaries the analysis task keeps (flux/analysis_hourly__v1.flux),
// which exist for the default configuration rule only. Raw reads go RAW_CHUNK_HOURS at a time, so no single Flux
// query grows with the window. What the service receives is proportional to the summaries, never to the results.
import type { ParameterizedQuery } from '@influxdata/influxdb-client';
import { isDefaultConfiguration, RUN_TAGS, tagsIdentity } from '../../model/configuration.js';
import { failureKindOf } from '../../model/fingerprint.js';
import type { Tags } from '../../model/result.js';
import { ceilHour, floorHour, HOUR_MS } from '../../time/buckets.js';
import { formatMillis } from '../../time/parse.js';
import { type Range, runs as rangesOf, subtractRanges } from '../../time/ranges.js';
import { emptyRunSummary } from '../run-summaries.js';
import type {
  FailureBucket,
  FailureBucketQuery,
  FailureQuery,
  FailureSummaries,
  FailureSummary,
  FingerprintInfo,
  RunQuery,
  RunSummary,
  TagFilters,
} from '../types.js';
import {
  bucketRunsQuery,
  failureBucketsQuery,
  failureFingerprintsQuery,
  failureSummariesQuery,
  runSummariesQuery,
  storedFailureSummariesQuery,
  storedFingerprintsQuery,
  storedRunSummariesQuery,
} from './analysis-queries.js';
import { num, str, tagsOf, timeMs } from './parse.js';
import { FINGERPRINT } from './schema.js';

export interface AnalysisSource {
  /** Rows of a Flux query's answer (annotated CSV rows as objects, `result` = the yield name). */
  rows(q: ParameterizedQuery): AsyncIterable<Record<string, unknown>>;
  rawBucket: string;
  hourlyBucket: string;
  /** Start (ms) of the raw data the bucket retention surely still holds; -Infinity when kept forever. */
  rawFloor: number;
  warn?: (message: string) => void;
}

/**
 * Hours of raw results one Flux query summarises. Grouping runs into configurations means InfluxDB answers only
 * once it has read and sorted the whole range, so the work of one request, and the silence before its first byte
 * (the client gives up on a socket idle for its timeout, 30 s by default), must stay bounded whatever the window.
 */
export const RAW_CHUNK_HOURS = 6;
/** Hours of raw fingerprints one distinct-query reads (failed results only, one short field: cheap). */
const FINGERPRINT_CHUNK_HOURS = 7 * 24;
/** Hours of stored summaries one query reads. */
export const STORED_CHUNK_HOURS = 31 * 24;
/** Ranges of candidate buckets per runs query (each is one range read in a union). */
const RANGES_PER_QUERY = 50;
/** Outcomes kept at the end of a run summary (RunSummary.tail). */
const TAIL_RUNS = 10;

/** Where each part of a window comes from. */
export interface SummaryPlan {
  /** Whole UTC hours read from the hourly summaries (older than the raw retention). */
  stored: Range[];
  /** The part read from raw results. */
  raw: Range | null;
  /** Set when part of the window is in neither (older than the raw retention and not stored whole hours). */
  incompleteBefore: number | null;
}

/**
 * Splits [start, stop) (ms) at the raw retention. When the stored summaries can serve the request: whole hours
 * before the first whole hour surely in the raw bucket come from them, minus `blocked` hours (hours a piece
 * boundary cuts, which a whole-hour row cannot serve), and raw results from that hour on. When they cannot: raw
 * results from the raw floor on. What is in neither (partial hours, blocked hours, all of the older part when the
 * stored rows cannot serve the request) went with the raw data, and is reported.
 */
export function planSummaries(
  start: number,
  stop: number,
  rawFloor: number,
  storedUsable: boolean,
  blocked: readonly number[] = [],
): SummaryPlan {
  if (!(stop > start)) return { stored: [], raw: null, incompleteBefore: null };
  if (start >= rawFloor) return { stored: [], raw: [start, stop], incompleteBefore: null };
  // Without stored rows, raw data serves all it still holds.
  if (!storedUsable)
    return { stored: [], raw: stop > rawFloor ? [rawFloor, stop] : null, incompleteBefore: Math.min(stop, rawFloor) };
  const rawStart = Math.max(start, ceilHour(rawFloor));
  let stored: Range[] = [];
  const first = ceilHour(start);
  const end = Math.min(floorHour(stop), ceilHour(rawFloor));
  if (end > first)
    stored = subtractRanges(
      [[first, end]],
      blocked.map((h): Range => [h, h + HOUR_MS]),
    );
  const storedHours = stored.reduce((n, [a, b]) => n + (b - a), 0);
  const before = Math.min(stop, rawStart);
  return {
    stored,
    raw: stop > rawStart ? [rawStart, stop] : null,
    // Everything before rawStart should be in stored hours; anything missing is reported.
    incompleteBefore: storedHours < before - start ? before : null,
  };
}

/** [a, b) cut at hour-aligned chunk boundaries every `hours` hours. */
export function chunks([a, b]: Range, hours: number): Range[] {
  const step = hours * HOUR_MS;
  const out: Range[] = [];
  for (let s = a; s < b; ) {
    const e = Math.min(b, floorHour(s) + step);
    out.push([s, e]);
    s = e;
  }
  return out;
}

/** Oldest-first P/F outcomes from the reduce's bits (newest in bit 0, 1 = failed). */
export function decodeTail(bits: number, n: number): string {
  let out = '';
  for (let i = n - 1; i >= 0; i--) out += Math.floor(bits / 2 ** i) % 2 === 1 ? 'F' : 'P';
  return out;
}

const NO_TAGS = new Set<string>();
const FAILURE_NOT_TAGS = new Set<string>([FINGERPRINT]);
const int = (v: unknown): number => num(v) ?? 0;

// ---- run summaries (flaky tests) -----------------------------------------------------------------------------

export async function readRunSummaries(src: AnalysisSource, q: RunQuery): Promise<RunSummary[]> {
  // The stored summaries are per default configuration: they serve that rule with filters on configuration tags
  // only (a filter on a run tag such as worker selects part of a configuration's runs).
  const storedUsable =
    isDefaultConfiguration(q.configuration) && Object.keys(q.filters).every((k) => !RUN_TAGS.includes(k));
  const plan = planSummaries(q.start, q.stop, src.rawFloor, storedUsable);
  if (plan.incompleteBefore !== null) {
    src.warn?.(
      `flaky-test summaries before ${formatMillis(plan.incompleteBefore)} are older than the raw retention: ` +
        (storedUsable
          ? 'only whole hours kept by the analysis task are included'
          : 'the hourly summaries hold the default configuration rule only (no ignore_tags/group_by, no filter on a run tag), so that part is left out'),
    );
  }
  const out = new Map<string, RunSummary>();
  const keyOf = (configuration: Tags, hour: number): string => `${hour}\u0000${tagsIdentity(configuration)}`;
  for (const range of plan.stored) {
    for (const [a, b] of chunks(range, STORED_CHUNK_HOURS)) {
      for await (const row of src.rows(
        storedRunSummariesQuery({ bucket: src.hourlyBucket, startMs: a, stopMs: b, filters: q.filters }),
      )) {
        const runs = int(row.runs);
        const s: RunSummary = {
          configuration: tagsOf(row, NO_TAGS),
          hour: floorHour(timeMs(String(row._time))),
          runs,
          failures: int(row.failures),
          firstSuccess: runs > 0 ? row.first_ok === true : null,
          lastSuccess: runs > 0 ? row.last_ok === true : null,
          firstTime: runs > 0 ? int(row.first_time) : null,
          lastTime: runs > 0 ? int(row.last_time) : null,
          transitions: int(row.transitions),
          tail: decodeTail(int(row.tail), Math.min(runs, TAIL_RUNS)),
          streak: int(row.streak),
          excluded: 0,
        };
        out.set(keyOf(s.configuration, s.hour), s);
      }
    }
  }
  if (plan.raw) {
    const ex = q.exclude && q.exclude.starts.length > 0 ? q.exclude : null;
    for (const [a, b] of chunks(plan.raw, RAW_CHUNK_HOURS)) {
      // The excluded buckets that overlap this chunk, by index (start / bucketUs, as the query computes it).
      const indexes = ex
        ? [
            ...new Set(
              ex.starts
                .filter((s) => s / 1000 < b && (s + ex.bucketUs) / 1000 > a)
                .map((s) => Math.floor(s / ex.bucketUs)),
            ),
          ].sort((x, y) => x - y)
        : [];
      const query = runSummariesQuery({
        bucket: src.rawBucket,
        startMs: a,
        stopMs: b,
        filters: q.filters,
        configuration: q.configuration,
        ...(ex && indexes.length > 0 ? { exclude: { bucketUs: ex.bucketUs, indexes } } : {}),
      });
      for await (const row of src.rows(query)) {
        const configuration = tagsOf(row, NO_TAGS);
        const hour = floorHour(timeMs(String(row._start)));
        const key = keyOf(configuration, hour);
        let s = out.get(key);
        if (!s) {
          s = emptyRunSummary({ configuration, hour });
          out.set(key, s);
        }
        if (row.result === 'excluded') {
          s.excluded += int(row._value);
          continue;
        }
        const runs = int(row._runs);
        if (runs === 0) continue;
        Object.assign(s, {
          runs,
          failures: int(row._failures),
          firstSuccess: row._first_ok === 1,
          lastSuccess: row._last_ok === 1,
          firstTime: int(row._first_t),
          lastTime: int(row._last_t),
          transitions: int(row._transitions),
          tail: decodeTail(int(row._tail), Math.min(runs, TAIL_RUNS)),
          streak: int(row._streak),
        });
      }
    }
  }
  return [...out.values()];
}

// ---- failure summaries (failure patterns) ----------------------------------------------------------------------

/** [a, b) cut at the cuts strictly inside it that are not hour starts (window(every: 1h) cuts at those). */
export function segmentsOf([a, b]: Range, cuts: readonly number[]): Range[] {
  const inside = [...new Set(cuts.filter((c) => c > a && c < b && c % HOUR_MS !== 0))].sort((x, y) => x - y);
  const edges = [a, ...inside, b];
  return edges.slice(0, -1).map((s, i): Range => [s, edges[i + 1]!]);
}

export async function readFailureSummaries(src: AnalysisSource, q: FailureQuery): Promise<FailureSummaries> {
  const cuts = [...(q.cuts ?? [])];
  // Hours a cut falls inside cannot come whole from a stored row: they are read raw, or lost beyond retention.
  const blocked = cuts.filter((c) => c > q.start && c < q.stop && c % HOUR_MS !== 0).map(floorHour);
  const plan = planSummaries(q.start, q.stop, src.rawFloor, true, blocked);
  if (plan.incompleteBefore !== null) {
    src.warn?.(
      `failure summaries before ${formatMillis(plan.incompleteBefore)} are older than the raw retention: only whole hours kept by the analysis task (and not cut by a day start or the trend's middle) are included`,
    );
  }
  const rows: FailureSummary[] = [];
  /** The newest message and error type seen per fingerprint (chunks are read oldest first). */
  const kinds = new Map<string, { errorType: string | null; message: string | null }>();
  const readKind = (row: Record<string, unknown>): void => {
    const fp = str(row[FINGERPRINT]);
    if (fp)
      kinds.set(fp, { errorType: str(row.error_type), message: typeof row.error === 'string' ? row.error : null });
  };
  /** Rows of one summaries query; the stored and the raw programs name their columns apart (`names`). */
  const read = async (
    query: ParameterizedQuery,
    names: { start: string; failures: string; first: string; last: string },
  ): Promise<void> => {
    for await (const row of src.rows(query)) {
      if (row.result === 'kinds') {
        readKind(row);
        continue;
      }
      const fp = str(row[FINGERPRINT]);
      if (!fp) continue;
      rows.push({
        series: tagsOf(row, FAILURE_NOT_TAGS),
        start: timeMs(String(row[names.start])),
        fingerprint: fp,
        failures: int(row[names.failures]),
        firstTime: int(row[names.first]),
        lastTime: int(row[names.last]),
        example: typeof row._example === 'string' ? row._example : '',
      });
    }
  };
  for (const range of plan.stored) {
    for (const [a, b] of chunks(range, STORED_CHUNK_HOURS)) {
      await read(storedFailureSummariesQuery({ bucket: src.hourlyBucket, startMs: a, stopMs: b, filters: q.filters }), {
        start: '_time',
        failures: 'failures',
        first: 'first_time',
        last: 'last_time',
      });
    }
  }
  if (plan.raw) {
    for (const chunk of chunks(plan.raw, RAW_CHUNK_HOURS)) {
      await read(
        failureSummariesQuery({ bucket: src.rawBucket, segments: segmentsOf(chunk, cuts), filters: q.filters }),
        {
          start: '_start',
          failures: '_failures',
          first: '_first_t',
          last: '_last_t',
        },
      );
    }
  }
  return { rows, fingerprints: fingerprintInfo(rows, kinds) };
}

/**
 * What each fingerprint of `rows` stands for, from a message and error type that have it: the category and
 * pattern are functions of those (model/fingerprint.ts), so any failure with the fingerprint gives the same
 * answer. A stored message is cut to 2000 characters, all the normaliser reads.
 */
function fingerprintInfo(
  rows: readonly FailureSummary[],
  kinds: ReadonlyMap<string, { errorType: string | null; message: string | null }>,
): Map<string, FingerprintInfo> {
  const out = new Map<string, FingerprintInfo>();
  for (const r of rows) {
    if (out.has(r.fingerprint)) continue;
    const k = kinds.get(r.fingerprint);
    // Without a kinds row (it cannot happen: both come from the same failures), the example is the best we have.
    const kind = failureKindOf(k ? k.errorType : null, k ? k.message : r.example);
    out.set(r.fingerprint, { category: kind.category, errorType: kind.errorType, pattern: kind.pattern });
  }
  return out;
}

export async function readFailureFingerprints(
  src: AnalysisSource,
  q: { start: number; stop: number; filters: TagFilters },
): Promise<Set<string>> {
  const out = new Set<string>();
  const plan = planSummaries(q.start, q.stop, src.rawFloor, true);
  const add = (row: Record<string, unknown>): void => {
    const fp = str(row._value) ?? str(row[FINGERPRINT]);
    if (fp) out.add(fp);
  };
  for (const range of plan.stored) {
    for (const [a, b] of chunks(range, STORED_CHUNK_HOURS)) {
      for await (const row of src.rows(
        storedFingerprintsQuery({ bucket: src.hourlyBucket, startMs: a, stopMs: b, filters: q.filters }),
      ))
        add(row);
    }
  }
  if (plan.raw) {
    for (const [a, b] of chunks(plan.raw, FINGERPRINT_CHUNK_HOURS)) {
      for await (const row of src.rows(
        failureFingerprintsQuery({ bucket: src.rawBucket, startMs: a, stopMs: b, filters: q.filters }),
      ))
        add(row);
    }
  }
  return out;
}

// ---- failure buckets (incidents) -------------------------------------------------------------------------------

/**
 * Buckets with at least `minFailures` failures, with their runs: the failed results are counted per bucket first
 * (a small share of the rows), then the runs of those buckets only, read in runs of consecutive buckets.
 */
export async function readFailureBuckets(src: AnalysisSource, q: FailureBucketQuery): Promise<FailureBucket[]> {
  if (!(q.stop > q.start) || !(q.bucketMs > 0)) return [];
  const w = q.bucketMs;
  const bucketOf = (row: Record<string, unknown>): number => Math.floor(timeMs(String(row._time)) / w) * w;
  const failures = new Map<number, number>();
  const query = failureBucketsQuery({
    bucket: src.rawBucket,
    startMs: q.start,
    stopMs: q.stop,
    filters: q.filters,
    bucketMs: w,
    minFailures: Math.max(1, q.minFailures),
  });
  for await (const row of src.rows(query)) {
    const b = bucketOf(row);
    failures.set(b, (failures.get(b) ?? 0) + int(row._value));
  }
  if (failures.size === 0) return [];
  const starts = [...failures.keys()].sort((x, y) => x - y);
  const ranges = rangesOf(starts, (s) => s + w).map(([a, b]): Range => [Math.max(a, q.start), Math.min(b, q.stop)]);
  const runs = new Map<number, number>();
  for (let i = 0; i < ranges.length; i += RANGES_PER_QUERY) {
    const part = ranges.slice(i, i + RANGES_PER_QUERY);
    for await (const row of src.rows(
      bucketRunsQuery({ bucket: src.rawBucket, ranges: part, filters: q.filters, bucketMs: w }),
    )) {
      const b = bucketOf(row);
      runs.set(b, (runs.get(b) ?? 0) + int(row._value));
    }
  }
  return starts
    .filter((s) => (failures.get(s) ?? 0) >= q.minFailures)
    .map((s) => ({ start: s, runs: runs.get(s) ?? 0, failures: failures.get(s)! }));
}
