// flaky-tests (docs/http-api.md; /openapi.json): per test configuration, its runs in time order, the flip rate and a status
// (docs/analysis-results.md):
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
import { identityByObject, RUN_TAGS } from '../model/configuration.js';
import type { TestResult } from '../model/result.js';
import { appendRunSummary, emptyRunSummary } from '../store/run-summaries.js';
import type { RunSummary, Store, TagFilters } from '../store/types.js';
import { formatMicros } from '../time/parse.js';
import { checkRequest, head, intOption, maxRowsOption, numberOption, tagListOption } from './inputs.js';
import type { AnalysisHead, AnalysisRunner } from './types.js';

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

/** Classifies each configuration's runs directly from raw runs. Pure: `results` in any order (ties: failures first). */
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
    const runs = c.runs.sort((a, b) => a.time - b.time || Number(a.success) - Number(b.success));
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
    const verdict = statusOf({ n, failures, streak, rate, flip, last10 }, o);
    if (!verdict) continue;
    flagged.push({
      series: c.series,
      status: verdict.status,
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
      reason: verdict.reason,
    });
  }
  return {
    tests: sortFlagged(flagged).slice(0, o.limit),
    configurations: byConfig.size,
    flagged: flagged.length,
    excluded_runs: excludedTotal,
  };
}

/** The status rules, from a configuration's figures; null when it is neither broken nor flaky. */
function statusOf(
  f: { n: number; failures: number; streak: number; rate: number; flip: number | null; last10: number },
  o: Pick<FlakyOptions, 'brokenStreak' | 'minRuns' | 'flipRate'>,
): { status: FlakyTest['status']; reason: string } | null {
  if (f.streak >= o.brokenStreak) return { status: 'broken', reason: `the latest ${f.streak} runs failed` };
  if (f.n >= 10 && f.rate >= 0.95)
    return { status: 'broken', reason: `failure rate ${(100 * f.rate).toFixed(1)} % over ${f.n} runs` };
  if (f.failures > 0 && f.failures < f.n && f.n >= o.minRuns && ((f.flip ?? 0) >= o.flipRate || f.last10 >= 3)) {
    const reason =
      (f.flip ?? 0) >= o.flipRate
        ? `flip rate ${f.flip!.toFixed(3)} ≥ ${o.flipRate}`
        : `${f.last10} transitions in the last 10 runs`;
    return { status: 'flaky', reason };
  }
  return null;
}

/** Broken first, then by flip rate, failures and configuration. */
function sortFlagged(flagged: FlakyTest[]): FlakyTest[] {
  return flagged.sort(
    (a, b) =>
      (a.status === b.status ? 0 : a.status === 'broken' ? -1 : 1) ||
      (b.flip_rate ?? 0) - (a.flip_rate ?? 0) ||
      b.failures - a.failures ||
      (JSON.stringify(a.series) < JSON.stringify(b.series) ? -1 : 1),
  );
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
 * Incident buckets of the window among results matching `filters`: only buckets with enough failures to be one
 * can be (failures > rate x runs >= rate x minRuns), so the store lists those, and aggregates count their runs.
 */
export async function incidentBuckets(
  store: Store,
  q: { start: number; stop: number; filters: TagFilters; bucketUs: number; minRuns: number; failureRate: number },
): Promise<BucketCounts[]> {
  if (q.failureRate >= 1) return [];
  // Buckets are judged whole, also where the window cuts one: its runs outside the window count too.
  const w = q.bucketUs / 1000;
  const candidates = await store.failureBuckets({
    start: Math.floor(q.start / w) * w,
    stop: Math.ceil(q.stop / w) * w,
    filters: q.filters,
    bucketMs: w,
    minFailures: Math.floor(q.failureRate * q.minRuns) + 1,
  });
  return findIncidents(
    candidates.map((c) => ({ start: c.start * 1000, runs: c.runs, failures: c.failures })),
    q.minRuns,
    q.failureRate,
  );
}

/** One configuration's runs over the whole window, merged from its pieces. */
interface Merged {
  series: Record<string, string>;
  runs: number;
  failures: number;
  transitions: number;
  /** Last outcomes, oldest first (P/F), at most 10. */
  tail: string;
  streak: number;
  lastSuccess: boolean | null;
  firstTime: number;
  lastTime: number;
  excluded: number;
}

/** Merges run summaries per configuration in time order (store/run-summaries.ts says why this is exact). */
export function mergeRunSummaries(pieces: readonly RunSummary[]): Merged[] {
  const byConfig = new Map<string, RunSummary[]>();
  const identity = identityByObject();
  for (const p of pieces) {
    const key = identity(p.configuration);
    const list = byConfig.get(key);
    if (list) list.push(p);
    else byConfig.set(key, [p]);
  }
  const out: Merged[] = [];
  for (const list of byConfig.values()) {
    list.sort((a, b) => a.hour - b.hour);
    const m = emptyRunSummary(list[0]!);
    for (const p of list) appendRunSummary(m, p);
    out.push({
      series: m.configuration,
      runs: m.runs,
      failures: m.failures,
      transitions: m.transitions,
      tail: m.tail,
      streak: m.streak,
      lastSuccess: m.lastSuccess,
      firstTime: m.firstTime ?? Infinity,
      lastTime: m.lastTime ?? -Infinity,
      excluded: m.excluded,
    });
  }
  return out;
}

/** Status and figures of merged configurations (the same rules as classifyFlaky). */
export function classifyMerged(
  merged: readonly Merged[],
  o: Pick<FlakyOptions, 'brokenStreak' | 'minRuns' | 'flipRate' | 'limit'>,
): FlakyResult {
  const flagged: FlakyTest[] = [];
  let excludedTotal = 0;
  for (const m of merged) {
    excludedTotal += m.excluded;
    const n = m.runs;
    if (n === 0 || m.lastSuccess === null) continue;
    let last10 = 0;
    for (let i = 1; i < m.tail.length; i++) if (m.tail[i] !== m.tail[i - 1]) last10++;
    const streak = m.lastSuccess ? 0 : m.streak;
    const passStreak = m.lastSuccess ? m.streak : 0;
    const failures = m.failures;
    const rate = failures / n;
    const flip = n > 1 ? m.transitions / (n - 1) : null;
    const verdict = statusOf({ n, failures, streak, rate, flip, last10 }, o);
    if (!verdict) continue;
    flagged.push({
      series: m.series,
      status: verdict.status,
      runs: n,
      failures,
      passes: n - failures,
      failure_rate: rate,
      flip_rate: flip,
      transitions: m.transitions,
      transitions_last_10: last10,
      consecutive_failures: streak,
      consecutive_passes: passStreak,
      last_success: m.lastSuccess,
      first_run: formatMicros(m.firstTime),
      last_run: formatMicros(m.lastTime),
      excluded_runs: m.excluded,
      reason: verdict.reason,
    });
  }
  return {
    tests: sortFlagged(flagged).slice(0, o.limit),
    configurations: merged.length,
    flagged: flagged.length,
    excluded_runs: excludedTotal,
  };
}

/** Tags that vary from run to run rather than describing a configuration. */
export const DEFAULT_IGNORE_TAGS: readonly string[] = RUN_TAGS;

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

export interface FlakyTestsResponse extends AnalysisHead<'flaky-tests'> {
  tests: FlakyTest[];
  summary: {
    runs_read: number;
    configurations: number;
    flagged: number;
    broken: number;
    flaky: number;
    excluded_runs: number;
    configuration: { tags: string[] } | { all_tags_except: string[] };
    thresholds: { broken_streak: number; min_runs: number; flip_rate: number };
  };
  incidents: {
    count: number;
    bucket_seconds: number;
    min_runs: number;
    failure_rate_above: number;
    buckets: { start: string; runs: number; failures: number }[];
  };
  warnings?: string[];
}

export const flakyTestsRunner: AnalysisRunner<'flaky-tests'> = async (ctx, req) => {
  checkRequest('flaky-tests', req, OPTIONS);
  const o = req.options;
  const ignoreTags = tagListOption(o, 'ignore_tags', [...DEFAULT_IGNORE_TAGS]);
  const brokenStreak = intOption(o, 'broken_streak', 2, 1000, 5);
  const minRuns = intOption(o, 'min_runs', 2, 1_000_000, 5);
  const flipRate = numberOption(o, 'flip_rate', 0, 1, 0.3);
  const incidentSeconds = intOption(o, 'incident_seconds', 1, 86_400, 60);
  const incidentMinRuns = intOption(o, 'incident_min_runs', 1, 1_000_000, 10);
  const incidentRate = numberOption(o, 'incident_failure_rate', 0, 1, 0.8);
  const limit = intOption(o, 'limit', 1, 10_000, 200);
  maxRowsOption(o); // still validated: older clients send it

  const warnings: string[] = [];
  if (o.max_rows !== undefined)
    warnings.push('max_rows no longer bounds this analysis: it reads hourly run summaries, not raw results');
  const bucketUs = incidentSeconds * 1_000_000;
  // Incidents are outages of the environment: judged over every result matching the filters except `test`.
  const { test: _test, ...envFilters } = req.filters;
  const incidents = await incidentBuckets(ctx.store, {
    start: req.start,
    stop: req.stop,
    filters: envFilters,
    bucketUs,
    minRuns: incidentMinRuns,
    failureRate: incidentRate,
  });
  const pieces = await ctx.store.runSummaries({
    start: req.start,
    stop: req.stop,
    filters: req.filters,
    configuration: req.groupBy.length ? { only: req.groupBy } : { ignore: ignoreTags },
    merged: true,
    ...(incidents.length ? { exclude: { bucketUs, starts: incidents.map((b) => b.start) } } : {}),
  });
  const merged = mergeRunSummaries(pieces);
  const res = classifyMerged(merged, { brokenStreak, minRuns, flipRate, limit });
  const MAX_LISTED = 100;
  return {
    ...head('flaky-tests', req),
    tests: res.tests,
    summary: {
      runs_read: merged.reduce((n, m) => n + m.runs + m.excluded, 0),
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
