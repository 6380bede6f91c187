// flaky-tests (CONTRACT.md §3.2): per test configuration, its runs in time order, the flip rate and a status
// (notes/analytics-and-forecasting.md §4.3, §8.7):
//   broken: the latest `broken_streak` (5) runs all failed, or the failure rate is ≥ 95 % over ≥ 10 runs;
//   flaky:  not broken, both passed and failed, ≥ `min_runs` (5) runs, and flip rate ≥ 0.3 or ≥ 3 transitions in
//           the last 10 runs (Allure TestOps' rule).
// flip rate = transitions / (runs − 1), a transition being a pass followed by a fail or the reverse.
//
// A configuration is the result's full tag set minus `ignore_tags` (default: worker and tags that name one run:
// commit, build, run, run_id, job, job_id), so the same test on the same hardware/model/branch/region counts as
// one configuration whichever worker or build ran it; with group_by it is exactly the group_by tags. Runs inside infrastructure incidents are left out: time buckets (`incident_seconds`,
// default 60 s, aligned to the epoch) in which, among all results matching the request's filters except the
// `test` filter, at least `incident_min_runs` (10) ran and more than `incident_failure_rate` (80 %, Trunk's
// guard) failed. Those are outages of the environment, not tests that flip.
import type { TestResult } from '../model/result.js';
import type { Store, TagFilters } from '../store/types.js';
import { formatMicros } from '../time/parse.js';
import { checkRequest, countInIntervals, forEachResultPage, head, intOption, maxRowsOption, numberOption, tagListOption, truncationWarning } from './inputs.js';
import type { AnalysisRunner } from './types.js';

export interface FlakyOptions {
  /** Tags that make up the configuration; when empty, every tag except `ignoreTags`. */
  groupBy: string[];
  ignoreTags: string[];
  brokenStreak: number;
  minRuns: number;
  flipRate: number;
  /** Start times (µs) of incident buckets, and their width (µs). */
  incidentBuckets: ReadonlySet<number>;
  bucketUs: number;
  limit: number;
}

export interface FlakyTest {
  series: Record<string, string>;
  status: 'flaky' | 'broken';
  runs: number;
  failures: number;
  passes: number;
  failure_rate: number;
  flip_rate: number | null;
  transitions: number;
  transitions_last_10: number;
  /** Failed runs at the end of the window, newest back. */
  consecutive_failures: number;
  /** Passed runs at the end of the window (5 or more in a row after flaky runs suggests it recovered). */
  consecutive_passes: number;
  last_success: boolean;
  first_run: string;
  last_run: string;
  /** Runs of this configuration left out because they fell in an infrastructure incident. */
  excluded_runs: number;
  /** Which rule gave the status. */
  reason: string;
}

export interface FlakyResult {
  tests: FlakyTest[];
  configurations: number;
  /** flaky + broken before `limit`. */
  flagged: number;
  excluded_runs: number;
}

/** What classification needs of a result (the runner keeps only this, not error texts and metrics). */
export type Run = Pick<TestResult, 'time' | 'success' | 'tags'>;

/** Start (µs) of the incident bucket of width `bucketUs` holding time `t` (µs). */
export const bucketOf = (t: number, bucketUs: number): number => Math.floor(t / bucketUs) * bucketUs;

function configOf(tags: Record<string, string>, o: FlakyOptions): Record<string, string> {
  const out: Record<string, string> = {};
  const keys = o.groupBy.length ? o.groupBy : Object.keys(tags).filter((k) => !o.ignoreTags.includes(k));
  for (const k of [...keys].sort()) if (tags[k] !== undefined) out[k] = tags[k]!;
  return out;
}

/** Classifies each configuration's runs. Pure: `results` in any order. */
export function classifyFlaky(results: readonly Run[], o: FlakyOptions): FlakyResult {
  const byConfig = new Map<string, { series: Record<string, string>; runs: Run[]; excluded: number }>();
  let excludedTotal = 0;
  for (const r of results) {
    const series = configOf(r.tags, o);
    const key = JSON.stringify(series);
    let c = byConfig.get(key);
    if (!c) byConfig.set(key, (c = { series, runs: [], excluded: 0 }));
    if (o.incidentBuckets.has(bucketOf(r.time, o.bucketUs))) {
      c.excluded++;
      excludedTotal++;
    } else {
      c.runs.push(r);
    }
  }
  const flagged: FlakyTest[] = [];
  for (const c of byConfig.values()) {
    const runs = c.runs.sort((a, b) => a.time - b.time);
    const n = runs.length;
    if (n === 0) continue;
    let failures = 0;
    let transitions = 0;
    let last10 = 0;
    for (let i = 0; i < n; i++) {
      if (!runs[i]!.success) failures++;
      if (i > 0 && runs[i]!.success !== runs[i - 1]!.success) {
        transitions++;
        if (i >= n - 9) last10++; // transitions between the last 10 runs (indexes n-10..n-1)
      }
    }
    let streak = 0;
    while (streak < n && !runs[n - 1 - streak]!.success) streak++;
    let passStreak = 0;
    while (passStreak < n && runs[n - 1 - passStreak]!.success) passStreak++;
    const rate = failures / n;
    const flip = n > 1 ? transitions / (n - 1) : null;
    let status: FlakyTest['status'] | null = null;
    let reason = '';
    if (streak >= o.brokenStreak) {
      status = 'broken';
      reason = `the latest ${streak} runs failed`;
    } else if (n >= 10 && rate >= 0.95) {
      status = 'broken';
      reason = `failure rate ${(100 * rate).toFixed(1)} % over ${n} runs`;
    } else if (failures > 0 && failures < n && n >= o.minRuns && ((flip ?? 0) >= o.flipRate || last10 >= 3)) {
      status = 'flaky';
      reason = (flip ?? 0) >= o.flipRate ? `flip rate ${flip!.toFixed(3)} ≥ ${o.flipRate}` : `${last10} transitions in the last 10 runs`;
    }
    if (!status) continue;
    flagged.push({
      series: c.series,
      status,
      runs: n,
      failures,
      passes: n - failures,
      failure_rate: rate,
      flip_rate: flip,
      transitions,
      transitions_last_10: last10,
      consecutive_failures: streak,
      consecutive_passes: passStreak,
      last_success: runs[n - 1]!.success,
      first_run: formatMicros(runs[0]!.time),
      last_run: formatMicros(runs[n - 1]!.time),
      excluded_runs: c.excluded,
      reason,
    });
  }
  flagged.sort(
    (a, b) =>
      (a.status === b.status ? 0 : a.status === 'broken' ? -1 : 1) ||
      (b.flip_rate ?? 0) - (a.flip_rate ?? 0) ||
      b.failures - a.failures ||
      (JSON.stringify(a.series) < JSON.stringify(b.series) ? -1 : 1),
  );
  return { tests: flagged.slice(0, o.limit), configurations: byConfig.size, flagged: flagged.length, excluded_runs: excludedTotal };
}

export interface BucketCounts {
  /** µs */
  start: number;
  runs: number;
  failures: number;
}

/** Incident buckets: at least `minRuns` runs and a failure share above `failureRate`. */
export function findIncidents(buckets: readonly BucketCounts[], minRuns: number, failureRate: number): BucketCounts[] {
  return buckets.filter((b) => b.runs >= minRuns && b.failures / b.runs > failureRate);
}

/**
 * Run and failure counts of the given buckets (start µs, width µs) from store aggregates, among results matching
 * `filters`. Only buckets that hold a failure can be incidents, so only those are asked for.
 */
export async function countBuckets(store: Store, starts: readonly number[], bucketUs: number, tz: string, filters: TagFilters): Promise<BucketCounts[]> {
  const sorted = [...new Set(starts)].sort((a, b) => a - b);
  const counts = await countInIntervals(store, sorted.map((s): [number, number] => [s / 1000, (s + bucketUs) / 1000]), tz, filters);
  // Buckets the store had no results in are left out, as an incident needs runs.
  return sorted.map((start, i) => ({ start, ...counts[i]! })).filter((b) => b.runs > 0);
}

/** Tags that vary from run to run rather than describing a configuration. */
export const DEFAULT_IGNORE_TAGS = ['worker', 'commit', 'build', 'run', 'run_id', 'job', 'job_id'];

const OPTIONS = [
  'ignore_tags',
  'broken_streak',
  'min_runs',
  'flip_rate',
  'incident_seconds',
  'incident_min_runs',
  'incident_failure_rate',
  'limit',
  'max_rows',
];

export const flakyTestsRunner: AnalysisRunner = async (ctx, req) => {
  checkRequest('flaky-tests', req, OPTIONS);
  const o = req.options;
  const ignoreTags = tagListOption(o, 'ignore_tags', DEFAULT_IGNORE_TAGS);
  const brokenStreak = intOption(o, 'broken_streak', 2, 1000, 5);
  const minRuns = intOption(o, 'min_runs', 2, 1_000_000, 5);
  const flipRate = numberOption(o, 'flip_rate', 0, 1, 0.3);
  const incidentSeconds = intOption(o, 'incident_seconds', 1, 86_400, 60);
  const incidentMinRuns = intOption(o, 'incident_min_runs', 1, 1_000_000, 10);
  const incidentRate = numberOption(o, 'incident_failure_rate', 0, 1, 0.8);
  const limit = intOption(o, 'limit', 1, 10_000, 200);
  const maxRows = maxRowsOption(o);

  const warnings: string[] = [];
  const bucketUs = incidentSeconds * 1_000_000;
  const runs: Run[] = [];
  const failing: number[] = [];
  const read = await forEachResultPage(ctx.store, { startMs: req.start, stopMs: req.stop, filters: req.filters, maxRows }, (rows) => {
    for (const r of rows) {
      runs.push({ time: r.time, success: r.success, tags: r.tags }); // tags are shared per series
      if (!r.success) failing.push(bucketOf(r.time, bucketUs));
    }
  });
  if (read.truncated) warnings.push(truncationWarning(maxRows, 'results'));
  const { test: _test, ...envFilters } = req.filters;
  const counts = await countBuckets(ctx.store, failing, bucketUs, req.tz, envFilters);
  const incidents = findIncidents(counts, incidentMinRuns, incidentRate);
  const res = classifyFlaky(runs, {
    groupBy: req.groupBy,
    ignoreTags,
    brokenStreak,
    minRuns,
    flipRate,
    incidentBuckets: new Set(incidents.map((b) => b.start)),
    bucketUs,
    limit,
  });
  const MAX_LISTED = 100;
  return {
    ...head('flaky-tests', req),
    tests: res.tests,
    summary: {
      runs_read: read.read,
      configurations: res.configurations,
      flagged: res.flagged,
      broken: res.tests.filter((t) => t.status === 'broken').length,
      flaky: res.tests.filter((t) => t.status === 'flaky').length,
      excluded_runs: res.excluded_runs,
      configuration: req.groupBy.length ? { tags: req.groupBy } : { all_tags_except: ignoreTags },
      thresholds: { broken_streak: brokenStreak, min_runs: minRuns, flip_rate: flipRate },
    },
    incidents: {
      count: incidents.length,
      bucket_seconds: incidentSeconds,
      min_runs: incidentMinRuns,
      failure_rate_above: incidentRate,
      buckets: incidents.slice(0, MAX_LISTED).map((b) => ({
        start: formatMicros(b.start),
        runs: b.runs,
        failures: b.failures,
      })),
    },
    ...(warnings.length ? { warnings } : {}),
  };
};
