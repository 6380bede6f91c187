// failure-patterns (docs/http-api.md; /openapi.json): failed results grouped by the fingerprint of their normalised error message
// and by category, each with first/last seen, a trend and its breadth; and the tag values (worker, hardware,
// region, endpoint) and local hours of day whose failure rate is at least `min_lift` times the overall rate, with
// at least `min_runs` runs, significant by a one-sided Fisher exact test after Benjamini–Hochberg correction
// across every value tested (docs/analysis-results.md). A pattern is `new` when its
// fingerprint did not occur in the `lookback_days` (7) before the window (for "new failure" notifications).
import { DateTime } from 'luxon';
import { tagsIdentity } from '../model/configuration.js';
import { type Category, EXAMPLE_CHARS, type FailureKind, failureKindOf, NO_MESSAGE } from '../model/fingerprint.js';
import type { TestResult } from '../model/result.js';
import type { AggregateGroup, FailureSummaries, Store, TagFilters } from '../store/types.js';
import { bucketIndex, DAY_MS, dayBoundaries, MAX_BUCKETS, nextBucketStart } from '../time/buckets.js';
import { formatMicros, formatMillis } from '../time/parse.js';
import {
  checkRequest,
  head,
  intOption,
  lookbackDaysOption,
  maxRowsOption,
  numberOption,
  tagListOption,
} from './inputs.js';
import { benjaminiHochberg, binomialTestHalf, fisherExactGreater } from './significance.js';
import type { AnalysisHead, AnalysisRunner } from './types.js';

export const HOUR_OF_DAY = 'hour_of_day';
export const DEFAULT_DIMENSIONS = ['worker', 'hardware', 'region', 'endpoint', HOUR_OF_DAY];
/** Daily counts are given for windows up to this many days; longer windows report halves only. */
const MAX_TREND_DAYS = 400;

export interface PatternTrend {
  /** From an exact binomial test of the counts in the two halves of the window (equal lengths) at p = 1/2. */
  direction: 'increasing' | 'decreasing' | 'stable';
  first_half: number;
  second_half: number;
  p_value: number;
  /** Failures per local day, aligned with the response's `days`; absent for windows over 400 days. */
  daily?: number[];
}

export interface FailurePattern {
  fingerprint: string;
  category: Category;
  error_type: string | null;
  /** The normalised message the fingerprint is computed from. */
  pattern: string;
  /** The newest raw message of the group (cut to 500 characters). */
  example: string;
  count: number;
  first_seen: string;
  last_seen: string;
  /** Tags every failure of the group shares (with group_by, at least the group's tags). */
  series: Record<string, string>;
  /** Distinct tag values among the group's failures: wide = product/test problem, narrow = one machine. */
  breadth: { series: number; tests: number; workers: number; endpoints: number; hardware: number; regions: number };
  trend: PatternTrend;
  /** True when the fingerprint did not occur in the lookback before the window; null without a lookback. */
  new: boolean | null;
}

export interface CategorySummary {
  category: Category;
  count: number;
  patterns: number;
  share: number;
}

export interface PatternOptions {
  groupBy: string[];
  tz: string;
  /** Window the trend is measured over, ms: [start, end) with end ≤ now. */
  startMs: number;
  endMs: number;
  limit: number;
  /** Fingerprints seen before the window, to mark new ones; absent: unknown. */
  seenBefore?: ReadonlySet<string>;
}

export interface PatternResult {
  patterns: FailurePattern[];
  categories: CategorySummary[];
  /** Number of distinct patterns before `limit` (the answer lists the `limit` largest plus up to `limit` most recent). */
  patterns_total: number;
  failures: number;
  days?: string[];
}

interface Acc {
  fingerprint: string;
  category: Category;
  errorType: string | null;
  pattern: string;
  example: string;
  exampleTime: number;
  count: number;
  first: number;
  last: number;
  common: Record<string, string> | null;
  tagValues: Map<string, Set<string>>;
  seriesKeys: Set<string>;
  /**
   * When the failures happened: failures per slice start (ms; a raw failure is a slice of one). The rows of every
   * series in one piece add up to one entry, so a month of hourly summaries holds at most one per piece.
   */
  slices: Map<number, number>;
  /** The group's values and the fingerprint: what identifies the pattern, and orders those equal in all else. */
  key: string;
}

const BREADTH_TAGS: [keyof FailurePattern['breadth'], string][] = [
  ['tests', 'test'],
  ['workers', 'worker'],
  ['endpoints', 'endpoint'],
  ['hardware', 'hardware'],
  ['regions', 'region'],
];

/** The fingerprint of a failed result (error type and normalised message). */
export function fingerprintOfResult(r: TestResult): string {
  return failureKindOf(r.error_type, r.error).fingerprint;
}

/**
 * Accumulates failures into pattern groups: raw failed results one at a time (add, the direct computation), or
 * the store's failure summaries (addSummaries, what the runner uses). Both give the same groups.
 */
export class PatternGrouper {
  private readonly groups = new Map<string, Acc>();
  /**
   * Per tag set: its identity and its group_by values as text. The store hands every row of a series the same
   * tags object, so a month of hourly rows computes these once per series, not once per row.
   */
  private readonly keysOf = new WeakMap<Readonly<Record<string, string>>, { series: string; group: string }>();

  constructor(private readonly groupBy: readonly string[]) {}

  private keys(tags: Readonly<Record<string, string>>): { series: string; group: string } {
    let k = this.keysOf.get(tags);
    if (!k) {
      k = { series: tagsIdentity(tags), group: JSON.stringify(this.groupBy.map((t) => tags[t] ?? null)) };
      this.keysOf.set(tags, k);
    }
    return k;
  }

  /** One failed result (successes are skipped). */
  add(r: TestResult): void {
    if (r.success) return;
    const kind = failureKindOf(r.error_type, r.error);
    this.addPiece(r.tags, kind, {
      failures: 1,
      firstTime: r.time,
      lastTime: r.time,
      example: (r.error ?? '').slice(0, EXAMPLE_CHARS),
      sliceStart: r.time / 1000,
    });
  }

  /** The store's failure counts per series, fingerprint and piece. */
  addSummaries(s: FailureSummaries): void {
    for (const row of s.rows) {
      const info = s.fingerprints.get(row.fingerprint);
      const kind: FailureKind = info
        ? { fingerprint: row.fingerprint, ...info }
        : { fingerprint: row.fingerprint, category: 'other', errorType: null, pattern: NO_MESSAGE };
      this.addPiece(row.series, kind, { ...row, sliceStart: row.start });
    }
  }

  private addPiece(
    tags: Record<string, string>,
    kind: FailureKind,
    x: { failures: number; firstTime: number; lastTime: number; example: string; sliceStart: number },
  ): void {
    const keys = this.keys(tags);
    const groupKey = `${keys.group}\u0000${kind.fingerprint}`;
    let g = this.groups.get(groupKey);
    if (!g) {
      g = {
        fingerprint: kind.fingerprint,
        category: kind.category,
        errorType: kind.errorType,
        pattern: kind.pattern,
        example: x.example,
        exampleTime: x.lastTime,
        count: 0,
        first: x.firstTime,
        last: x.lastTime,
        common: { ...tags },
        tagValues: new Map(),
        seriesKeys: new Set(),
        slices: new Map(),
        key: groupKey,
      };
      this.groups.set(groupKey, g);
    }
    g.count += x.failures;
    g.first = Math.min(g.first, x.firstTime);
    g.last = Math.max(g.last, x.lastTime);
    // The newest failure's message; at equal times the greatest text, so the choice never depends on read order.
    if (x.lastTime > g.exampleTime || (x.lastTime === g.exampleTime && x.example > g.example)) {
      g.exampleTime = x.lastTime;
      g.example = x.example;
    }
    if (g.common) for (const k of Object.keys(g.common)) if (tags[k] !== g.common[k]) delete g.common[k];
    for (const [, tag] of BREADTH_TAGS) {
      const v = tags[tag];
      if (v === undefined) continue;
      let s = g.tagValues.get(tag);
      if (!s) g.tagValues.set(tag, (s = new Set()));
      s.add(v);
    }
    g.seriesKeys.add(keys.series);
    g.slices.set(x.sliceStart, (g.slices.get(x.sliceStart) ?? 0) + x.failures);
  }

  result(o: Omit<PatternOptions, 'groupBy'>): PatternResult {
    const dayStarts = o.endMs > o.startMs ? dayBoundaries(o.tz, o.startMs, o.endMs) : [];
    const withDaily = dayStarts.length > 1 && dayStarts.length - 1 <= MAX_TREND_DAYS;
    const mid = trendMiddle(o.startMs, o.endMs);

    // A total order (the group's key last): patterns of one fingerprint in two groups may tie on everything else,
    // and their order must not depend on the order the rows were read in.
    const all = [...this.groups.values()].sort(
      (a, b) => b.count - a.count || b.last - a.last || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    // The `limit` largest patterns, then up to `limit` of the rest that appeared most recently, so that a new
    // failure still rare is not cut off behind the big ones (new-failure notifications look for it).
    const recent = all
      .slice(o.limit)
      .sort((a, b) => b.first - a.first || b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, o.limit);
    const patterns: FailurePattern[] = [...all.slice(0, o.limit), ...recent].map((g) => {
      let firstHalf = 0;
      let secondHalf = 0;
      const daily = withDaily ? new Array<number>(dayStarts.length - 1).fill(0) : null;
      for (const [ms, n] of g.slices) {
        if (ms < o.startMs || ms >= o.endMs) continue;
        if (ms < mid) firstHalf += n;
        else secondHalf += n;
        if (daily) daily[bucketIndex(dayStarts, ms)]! += n;
      }
      const p = binomialTestHalf(secondHalf, firstHalf + secondHalf);
      const trend: PatternTrend = {
        direction: p <= 0.05 ? (secondHalf > firstHalf ? 'increasing' : 'decreasing') : 'stable',
        first_half: firstHalf,
        second_half: secondHalf,
        p_value: p,
        ...(daily ? { daily } : {}),
      };
      const breadth = { series: g.seriesKeys.size, tests: 0, workers: 0, endpoints: 0, hardware: 0, regions: 0 };
      for (const [field, tag] of BREADTH_TAGS) breadth[field] = g.tagValues.get(tag)?.size ?? 0;
      return {
        fingerprint: g.fingerprint,
        category: g.category,
        error_type: g.errorType,
        pattern: g.pattern,
        example: g.example,
        count: g.count,
        first_seen: formatMicros(g.first),
        last_seen: formatMicros(g.last),
        series: sortTags(g.common ?? {}),
        breadth,
        trend,
        new: o.seenBefore ? !o.seenBefore.has(g.fingerprint) : null,
      };
    });

    const total = all.reduce((s, g) => s + g.count, 0);
    const byCat = new Map<Category, { count: number; patterns: number }>();
    for (const g of all) {
      const c = byCat.get(g.category) ?? { count: 0, patterns: 0 };
      c.count += g.count;
      c.patterns++;
      byCat.set(g.category, c);
    }
    const categories = [...byCat.entries()]
      .map(([category, c]) => ({ category, count: c.count, patterns: c.patterns, share: c.count / total }))
      .sort((a, b) => b.count - a.count || (a.category < b.category ? -1 : 1));

    const out: PatternResult = { patterns, categories, patterns_total: all.length, failures: total };
    if (withDaily) out.days = dayStarts.slice(0, -1).map((d) => DateTime.fromMillis(d, { zone: o.tz }).toISODate()!);
    return out;
  }
}

/**
 * Where the trend's halves meet (ms). A whole millisecond, so a failure at t µs is in the first half when
 * t / 1000 < mid, and summaries cut there split the same way.
 */
export function trendMiddle(startMs: number, endMs: number): number {
  return Math.floor((startMs + endMs) / 2);
}

/** Groups failed results by (group_by values, fingerprint). Pure: `failures` in any order. */
export function groupFailures(failures: readonly TestResult[], o: PatternOptions): PatternResult {
  const g = new PatternGrouper(o.groupBy);
  for (const r of failures) g.add(r);
  return g.result(o);
}

function sortTags(t: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(t).sort()) out[k] = t[k]!;
  return out;
}

export interface ValueCounts {
  value: string;
  runs: number;
  failures: number;
}

export interface DimensionCounts {
  dimension: string;
  values: ValueCounts[];
}

export interface CorrelationOptions {
  /** Fewest runs a value needs to be tested. */
  minRuns: number;
  /** Smallest failure-rate ratio (value rate / overall rate) that is flagged. */
  minLift: number;
  /** False discovery rate: flag when the BH-adjusted p-value is ≤ this. */
  alpha: number;
}

export interface Correlation {
  dimension: string;
  value: string;
  series: Record<string, string>;
  runs: number;
  failures: number;
  failure_rate: number;
  /** Failure rate of every run in the window (all values of the dimension together). */
  overall_rate: number;
  lift: number;
  /** One-sided Fisher exact test of this value against all other runs. */
  p_value: number;
  /** Benjamini–Hochberg adjusted p-value across every value of every dimension tested. */
  q_value: number;
}

export interface CorrelationResult {
  correlations: Correlation[];
  runs: number;
  failures: number;
  overall_rate: number | null;
  /** How many (dimension, value) pairs had enough runs to be tested: the family the correction covers. */
  tested: number;
}

/**
 * Flags values whose failure rate is ≥ minLift × the overall rate, with ≥ minRuns runs and q ≤ alpha. `total`
 * is every run in the window, so the "other runs" of a value include runs that lack the tag.
 */
export function correlateFailures(
  dims: readonly DimensionCounts[],
  total: { runs: number; failures: number },
  o: CorrelationOptions,
): CorrelationResult {
  const overall = total.runs > 0 ? total.failures / total.runs : null;
  const tested: { dimension: string; v: ValueCounts; p: number }[] = [];
  for (const d of dims) {
    for (const v of d.values) {
      if (v.runs < o.minRuns) continue;
      const restFail = total.failures - v.failures;
      const restPass = total.runs - v.runs - restFail;
      tested.push({
        dimension: d.dimension,
        v,
        p: fisherExactGreater(v.failures, v.runs - v.failures, restFail, restPass),
      });
    }
  }
  const q = benjaminiHochberg(tested.map((t) => t.p));
  const correlations: Correlation[] = [];
  tested.forEach((t, i) => {
    if (overall === null || overall === 0) return;
    const rate = t.v.failures / t.v.runs;
    const lift = rate / overall;
    if (lift < o.minLift || q[i]! > o.alpha) return;
    correlations.push({
      dimension: t.dimension,
      value: t.v.value,
      series: t.dimension === HOUR_OF_DAY ? {} : { [t.dimension]: t.v.value },
      runs: t.v.runs,
      failures: t.v.failures,
      failure_rate: rate,
      overall_rate: overall,
      lift,
      p_value: t.p,
      q_value: q[i]!,
    });
  });
  correlations.sort((a, b) => a.q_value - b.q_value || b.lift - a.lift);
  return { correlations, runs: total.runs, failures: total.failures, overall_rate: overall, tested: tested.length };
}

/**
 * Run and failure counts of the window from store aggregates (the rollups' counts for its whole hours): the total,
 * and per value of each tag dimension, from one query grouped by all of them (each dimension's values are sums
 * over the others), plus hour_of_day in `tz` when asked for (null for it over more than MAX_BUCKETS hours).
 */
export async function countRuns(
  store: Store,
  q: { startMs: number; stopMs: number; filters: TagFilters; tz: string; dimensions: readonly string[] },
): Promise<{
  total: { runs: number; failures: number };
  dims: (DimensionCounts | { dimension: string; values: null })[];
  incompleteBefore?: number;
}> {
  const tagDims = q.dimensions.filter((d) => d !== HOUR_OF_DAY);
  const res = await store.aggregate({
    period: 'hour',
    tz: q.tz,
    boundaries: [q.startMs, q.stopMs],
    filters: q.filters,
    groupBy: tagDims,
    metric: 'latency_ms',
    stats: 'counts',
  });
  const total = { runs: 0, failures: 0 };
  const perDim = new Map(tagDims.map((d) => [d, new Map<string, ValueCounts>()]));
  const add = (counts: Map<string, ValueCounts>, value: string, runs: number, failures: number) => {
    const c = counts.get(value) ?? { value, runs: 0, failures: 0 };
    c.runs += runs;
    c.failures += failures;
    counts.set(value, c);
  };
  for (const g of res.groups as AggregateGroup[]) {
    for (const b of g.buckets) {
      const failures = b.testCount - b.successCount;
      total.runs += b.testCount;
      total.failures += failures;
      for (const d of tagDims) {
        const v = g.group[d];
        if (v !== undefined && v !== null) add(perDim.get(d)!, v, b.testCount, failures); // runs without the tag: no value
      }
    }
  }
  const sorted = (m: Map<string, ValueCounts>) =>
    [...m.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const dims: (DimensionCounts | { dimension: string; values: null })[] = [];
  for (const d of q.dimensions) {
    if (d !== HOUR_OF_DAY) {
      dims.push({ dimension: d, values: sorted(perDim.get(d)!) });
      continue;
    }
    // The window cut at local hour starts: each bucket's count goes to its hour of day.
    const boundaries = [q.startMs];
    for (
      let b = nextBucketStart('hour', q.tz, q.startMs);
      b < q.stopMs && boundaries.length <= MAX_BUCKETS;
      b = nextBucketStart('hour', q.tz, b)
    )
      boundaries.push(b);
    if (boundaries.length > MAX_BUCKETS) {
      dims.push({ dimension: d, values: null });
      continue;
    }
    boundaries.push(q.stopMs);
    const hourly = await store.aggregate({
      period: 'hour',
      tz: q.tz,
      boundaries,
      filters: q.filters,
      groupBy: [],
      metric: 'latency_ms',
      stats: 'counts',
    });
    const counts = new Map<string, ValueCounts>();
    for (const g of hourly.groups) {
      for (const b of g.buckets) {
        add(
          counts,
          String(DateTime.fromMillis(boundaries[b.bucket]!, { zone: q.tz }).hour).padStart(2, '0'),
          b.testCount,
          b.testCount - b.successCount,
        );
      }
    }
    dims.push({ dimension: d, values: sorted(counts) });
  }
  return { total, dims, ...(res.incompleteBefore !== undefined ? { incompleteBefore: res.incompleteBefore } : {}) };
}

const OPTIONS = ['limit', 'min_runs', 'min_lift', 'alpha', 'dimensions', 'max_rows', 'lookback_days'];

export interface FailurePatternsResponse extends AnalysisHead<'failure-patterns'> {
  patterns: FailurePattern[];
  correlations: Correlation[];
  categories: CategorySummary[];
  /** Local days the patterns' `trend.daily` counts are aligned with; absent for windows over 400 days. */
  days?: string[];
  summary: {
    runs: number;
    failures: number;
    overall_rate: number | null;
    failures_read: number;
    patterns_total: number;
    values_tested: number;
    new_patterns: number;
    lookback_days: number;
    dimensions: string[];
    test: string;
    thresholds: { min_runs: number; min_lift: number; alpha: number };
  };
  warnings?: string[];
}

/**
 * About how much of the window one read of failure summaries covers. A day: on a month of the demo fleet
 * (2026-12-07, the service started on the file, two runs each) the analysis peaked 35 MB lower than with a week
 * (334-340 MB against 360-380 MB) and answered sooner (1.7-1.8 s against 2.0-2.2 s); at a week it took 0.58-0.61 s
 * against 0.53-0.55 s, in the same memory.
 */
const SUMMARY_PART_MS = DAY_MS;

/**
 * [start, stop) cut into consecutive parts of at least `size` (the last may be shorter), each ending at one of
 * `cuts` or at stop.
 */
export function windowParts(start: number, stop: number, cuts: readonly number[], size: number): [number, number][] {
  const out: [number, number][] = [];
  let from = start;
  for (const x of [...cuts].sort((a, b) => a - b)) {
    if (x <= from) continue;
    if (x >= stop) break;
    if (x - from >= size) {
      out.push([from, x]);
      from = x;
    }
  }
  if (stop > from || out.length === 0) out.push([from, stop]);
  return out;
}

export const failurePatternsRunner: AnalysisRunner<'failure-patterns'> = (ctx, req) =>
  failurePatternsIn(ctx, req, SUMMARY_PART_MS);

/** The analysis, reading the failure summaries in parts of about `partMs` of the window (tests make them small). */
export async function failurePatternsIn(
  ctx: Parameters<AnalysisRunner<'failure-patterns'>>[0],
  req: Parameters<AnalysisRunner<'failure-patterns'>>[1],
  partMs: number,
): ReturnType<AnalysisRunner<'failure-patterns'>> {
  checkRequest('failure-patterns', req, OPTIONS);
  const limit = intOption(req.options, 'limit', 1, 1000, 50);
  const minRuns = intOption(req.options, 'min_runs', 1, 1_000_000, 20);
  const minLift = numberOption(req.options, 'min_lift', 1, 1000, 2);
  const alpha = numberOption(req.options, 'alpha', 0, 1, 0.05);
  const dimensions = tagListOption(req.options, 'dimensions', DEFAULT_DIMENSIONS, [HOUR_OF_DAY]);
  maxRowsOption(req.options); // still validated: older clients send it
  const lookbackDays = lookbackDaysOption(req.options);

  const warnings: string[] = [];
  if (req.options.max_rows !== undefined)
    warnings.push('max_rows no longer bounds this analysis: it reads hourly failure summaries, not raw results');
  // The trend is measured over [start, end), end at most now; the store cuts its pieces at the local day starts and
  // the middle, so daily counts and halves are exact.
  const end = Math.max(req.start, Math.min(req.stop, ctx.now));
  const cuts = [...(end > req.start ? dayBoundaries(req.tz, req.start, end) : []), trendMiddle(req.start, end), end];
  const grouper = new PatternGrouper(req.groupBy);
  // A part of the window at a time (a month of a fleet is 165,000 summary rows, 50 MB and more as objects), each
  // folded in before the next is read: the parts end at cuts, which no piece crosses, so the pieces are the ones
  // the whole window would give.
  for (const [a, b] of windowParts(req.start, req.stop, cuts, partMs)) {
    const inside = cuts.filter((x) => x > a && x < b);
    grouper.addSummaries(await ctx.store.failureSummaries({ start: a, stop: b, filters: req.filters, cuts: inside }));
  }
  const seenBefore =
    lookbackDays > 0
      ? await ctx.store.failureFingerprints({
          start: req.start - lookbackDays * DAY_MS,
          stop: req.start,
          filters: req.filters,
        })
      : undefined;
  const grouped = grouper.result({
    tz: req.tz,
    startMs: req.start,
    endMs: end,
    limit,
    ...(seenBefore ? { seenBefore } : {}),
  });

  // Totals and per-value counts come from aggregates (exact over the whole window, from the rollups' counts).
  const counted = await countRuns(ctx.store, {
    startMs: req.start,
    stopMs: req.stop,
    filters: req.filters,
    tz: req.tz,
    dimensions,
  });
  const dims: DimensionCounts[] = [];
  for (const d of counted.dims) {
    if (d.values) dims.push({ dimension: d.dimension, values: d.values });
    else warnings.push(`${HOUR_OF_DAY} was left out: the window spans more than ${MAX_BUCKETS} hours`);
  }
  const corr = correlateFailures(dims, counted.total, { minRuns, minLift, alpha });
  if (counted.incompleteBefore !== undefined) {
    warnings.push(
      `raw data before ${formatMillis(counted.incompleteBefore)} is past retention; counts there may be incomplete`,
    );
  }

  return {
    ...head('failure-patterns', req),
    patterns: grouped.patterns,
    correlations: corr.correlations,
    categories: grouped.categories,
    ...(grouped.days ? { days: grouped.days } : {}),
    summary: {
      runs: corr.runs,
      failures: corr.failures,
      overall_rate: corr.overall_rate,
      failures_read: grouped.failures,
      patterns_total: grouped.patterns_total,
      values_tested: corr.tested,
      new_patterns: grouped.patterns.filter((p) => p.new === true).length,
      lookback_days: lookbackDays,
      dimensions,
      test: 'one-sided Fisher exact test per value against all other runs, Benjamini–Hochberg across all values',
      thresholds: { min_runs: minRuns, min_lift: minLift, alpha },
    },
    ...(warnings.length ? { warnings } : {}),
  };
}
