// What the analyses share: validation of their kind-specific options (AnalysisRequest.options, strings from a
// query string, a JSON body or the command line; each failure a 400 naming the option), as free functions or
// through Options, and counts of results in time intervals through the Store port.
import { invalid } from '../errors.js';
import { checkMetricName, checkTagKey } from '../model/result.js';
import type { Store, TagFilters } from '../store/types.js';
import { formatMillis } from '../time/parse.js';
import type { AnalysisHead, AnalysisKind, AnalysisRequest } from './types.js';

/** `max_rows` bounded how many raw rows an analysis read before the analyses read summaries; still validated. */
const DEFAULT_MAX_ROWS = 500_000;
const MAX_ROWS_LIMIT = 1_000_000;

const bad = (option: string, message: string) => invalid(`option "${option}" ${message}`, { parameter: option });

/** A non-empty window: stop after start (the framework checks too; runners are also called directly). */
export function checkWindow(req: AnalysisRequest): void {
  if (!(req.stop > req.start)) throw invalid('stop must be after start', { parameter: 'stop' });
}

/** The two checks every runner starts with, in one call so each runner makes them the same way. */
export function checkRequest(kind: AnalysisKind, req: AnalysisRequest, known: readonly string[]): void {
  checkWindow(req);
  checkOptions(kind, req.options, known);
}

/** A note for the response when the request groups by tags this analysis has no use for. */
export function unusedGroupBy(kind: AnalysisKind, req: AnalysisRequest): string[] {
  return req.groupBy.length ? [`group_by is not used by ${kind} and was ignored`] : [];
}

/** Refuses options this analysis does not know, so a typo is a 400 rather than a silently ignored setting. */
export function checkOptions(kind: AnalysisKind, options: Record<string, string>, known: readonly string[]): void {
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      throw bad(k, `is not known to ${kind}; known options: ${known.length ? known.join(', ') : '(none)'}`);
    }
  }
}

export function numberOption(
  options: Record<string, string>,
  name: string,
  min: number,
  max: number,
  dflt: number,
): number {
  const v = options[name];
  if (v === undefined || v === '') return dflt;
  const x = Number(v);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()) || !Number.isFinite(x)) {
    throw bad(name, `must be a number (got "${v.slice(0, 40)}")`);
  }
  if (x < min || x > max) throw bad(name, `must be between ${min} and ${max} (got ${x})`);
  return x;
}

export function intOption(
  options: Record<string, string>,
  name: string,
  min: number,
  max: number,
  dflt: number,
): number {
  const x = numberOption(options, name, min, max, dflt);
  if (!Number.isInteger(x)) throw bad(name, `must be a whole number (got ${x})`);
  return x;
}

/** One request's options, refused on construction when one is not known to the kind, read through typed getters. */
export class Options {
  constructor(
    private readonly raw: Record<string, string>,
    known: readonly string[],
    kind: AnalysisKind,
  ) {
    checkOptions(kind, raw, known);
  }

  /** A 400 about one of these options. */
  invalid(name: string, message: string) {
    return bad(name, message);
  }

  enum<T extends string>(name: string, values: readonly T[], dflt: T): T {
    const v = this.raw[name];
    if (v === undefined || v === '') return dflt;
    if (!(values as readonly string[]).includes(v))
      throw bad(name, `must be one of ${values.join(', ')} (got "${v.slice(0, 60)}")`);
    return v as T;
  }

  number(name: string, min: number, max: number, dflt: number): number {
    const v = this.raw[name];
    // Trends, regressions and anomalies have always taken plain decimals only (not '+1', '.5', '5.' or '1e+3').
    if (v !== undefined && v !== '' && !/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v.trim())) {
      throw bad(name, `must be a number (got "${v.slice(0, 40)}")`);
    }
    return numberOption(this.raw, name, min, max, dflt);
  }

  /** Comma-separated metric names. */
  names(name: string): string[] {
    const v = this.raw[name];
    if (v === undefined || v.trim() === '') return [];
    const out = [
      ...new Set(
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      ),
    ];
    if (out.length > 64) throw bad(name, 'lists more than 64 names');
    for (const n of out) {
      const problem = checkMetricName(n);
      if (problem) throw bad(name, problem);
    }
    return out;
  }

  bool(name: string, dflt: boolean): boolean {
    const v = this.raw[name];
    if (v === undefined || v === '') return dflt;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw bad(name, `must be true or false (got "${v.slice(0, 60)}")`);
  }
}

/** `max_rows`: once the bound on raw rows an analysis read; older clients send it, so it is still checked. */
export function maxRowsOption(options: Record<string, string>): number {
  return intOption(options, 'max_rows', 1, MAX_ROWS_LIMIT, DEFAULT_MAX_ROWS);
}

/** `lookback_days` (0 to 365, default 7): how far before the window to look for what was seen before it. */
export function lookbackDaysOption(options: Record<string, string>): number {
  return numberOption(options, 'lookback_days', 0, 365, 7);
}

/** A comma-separated list of tag keys (each checked as a tag key), or `dflt` when absent. */
export function tagListOption(
  options: Record<string, string>,
  name: string,
  dflt: string[],
  extra: readonly string[] = [],
): string[] {
  const v = options[name];
  if (v === undefined) return dflt;
  const keys = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const k of keys) {
    if (extra.includes(k)) continue;
    const why = checkTagKey(k);
    if (why) throw bad(name, `lists an invalid tag key: ${why}`);
  }
  if (new Set(keys).size !== keys.length) throw bad(name, 'lists a key more than once');
  return keys;
}

export function requireTagOption(options: Record<string, string>, name: string): string {
  const v = options[name];
  if (v === undefined || v.trim() === '')
    throw bad(name, 'is required: the tag key to compare by (e.g. hardware, region, worker)');
  const why = checkTagKey(v.trim());
  if (why) throw bad(name, `is not a valid tag key: ${why}`);
  return v.trim();
}

export function head<K extends AnalysisKind>(kind: K, req: AnalysisRequest): AnalysisHead<K> {
  return { kind, start: formatMillis(req.start), stop: formatMillis(req.stop) };
}

/** Intervals per aggregate query, so the boundary list stays modest. */
const INTERVALS_PER_QUERY = 5000;

/**
 * Run and failure counts of results matching `filters` inside each of the given disjoint, ascending [start, stop)
 * intervals (ms), in their order, from store aggregates. The gaps between intervals become extra buckets of the
 * query, which are skipped.
 */
export async function countInIntervals(
  store: Store,
  intervals: readonly [number, number][],
  tz: string,
  filters: TagFilters,
): Promise<{ runs: number; failures: number }[]> {
  const out = intervals.map(() => ({ runs: 0, failures: 0 }));
  for (let i = 0; i < intervals.length; i += INTERVALS_PER_QUERY) {
    const boundaries: number[] = [];
    const intervalOf = new Map<number, number>(); // bucket index -> interval index (the other buckets are gaps)
    for (let j = i; j < Math.min(i + INTERVALS_PER_QUERY, intervals.length); j++) {
      const [s, t] = intervals[j]!;
      if (boundaries[boundaries.length - 1] !== s) boundaries.push(s);
      intervalOf.set(boundaries.length - 1, j);
      boundaries.push(t);
    }
    const res = await store.aggregate({
      period: 'hour',
      tz,
      boundaries,
      filters,
      groupBy: [],
      metric: 'latency_ms',
      stats: 'counts',
    });
    for (const g of res.groups) {
      for (const b of g.buckets) {
        const j = intervalOf.get(b.bucket);
        if (j === undefined) continue;
        out[j]!.runs += b.testCount;
        out[j]!.failures += b.testCount - b.successCount;
      }
    }
  }
  return out;
}
