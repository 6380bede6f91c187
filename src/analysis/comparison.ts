// comparison (docs/http-api.md; /openapi.json): a metric across the values of one or more tags (`dimension`, e.g. hardware, or
// hardware,region): per group the bucket statistics (docs/design.md) over the whole window (one aggregate bucket, so
// percentiles are exact while raw rows are kept), the best group for the metric and for availability, and whether
// the differences are significant.
//   Best for the metric: lowest mean (latency, durations, memory, errors) or highest mean for metrics where more is
//   better (throughput, ops, rps, ... or `better=higher`).
//   Metric: Welch's t-test of the best group against each other group, from the groups' moments (mean, sample
//   variance, n), Holm–Bonferroni adjusted; `significant` = at least one adjusted p ≤ `alpha`.
//   Availability: one-sided Fisher exact test that each other group fails more often than the best one,
//   Holm adjusted the same way.

import { invalid } from '../errors.js';
import { type Stats, statsFrom } from '../model/stats.js';
import type { BucketAggregate, Store, TagFilters } from '../store/types.js';
import { formatMillis } from '../time/parse.js';
import { checkRequest, head, intOption, numberOption, tagListOption, unusedGroupBy } from './inputs.js';
import { HIGHER_IS_BETTER } from './regressions.js';
import { fisherExactGreater, holm } from './significance.js';
import { welchTTest } from './stats.js';
import type { AnalysisHead, AnalysisRunner } from './types.js';

export type Better = 'lower' | 'higher';

/**
 * Larger is better for the metrics regressions treat so (exact names: a pattern took packet_drops and
 * errors_per_sec for throughput); everything else (latency, durations, memory, errors) is lower-better, and
 * `better=` overrides.
 */
export function betterOf(metric: string): Better {
  return HIGHER_IS_BETTER.includes(metric) ? 'higher' : 'lower';
}

/** One group's single aggregate bucket, as the store returns it, with the group's tags and display value. */
export interface GroupInput extends Omit<BucketAggregate, 'bucket'> {
  value: string;
  group: Record<string, string>;
}

export interface GroupOut {
  value: string;
  series: Record<string, string>;
  test_count: number;
  success_count: number;
  availability_pct: number | null;
  stats: Stats & { availability_pct: number | null };
  /** Welch's t-test against the best group (null for the best group itself or with fewer than 2 values). */
  vs_best: {
    t: number | null;
    df: number | null;
    p_value: number | null;
    p_adjusted: number | null;
    significant: boolean;
  } | null;
  /** One-sided Fisher exact test that this group fails more often than the most available one. */
  availability_vs_best: { p_value: number; p_adjusted: number; significant: boolean } | null;
  percentiles_approximate: boolean;
}

export interface ComparisonResult {
  groups: GroupOut[];
  best: string | null;
  best_availability: string | null;
  significant: boolean;
  availability_significant: boolean;
  better: Better;
}

/** Pure: one aggregate per group in, statistics, best groups and tests out. */
export function compareGroups(
  inputs: readonly GroupInput[],
  o: { better: Better; alpha: number; minCount: number },
): ComparisonResult {
  const groups: GroupOut[] = inputs
    .map((g) => {
      const stats = statsFrom({ n: g.n, sum: g.sum, m2: g.m2, min: g.min, max: g.max }, g);
      const availability = g.testCount ? (100 * g.successCount) / g.testCount : null;
      return {
        value: g.value,
        series: g.group,
        test_count: g.testCount,
        success_count: g.successCount,
        availability_pct: availability,
        stats: { ...stats, availability_pct: availability },
        vs_best: null,
        availability_vs_best: null,
        percentiles_approximate: g.approximate,
      };
    })
    .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const byValue = new Map(inputs.map((g) => [g.value, g]));

  // Best for the metric, among groups with enough values.
  const eligible = groups.filter((g) => g.stats.count >= o.minCount && g.stats.mean !== null);
  const sign = o.better === 'lower' ? 1 : -1;
  const best = eligible.reduce<GroupOut | null>(
    (b, g) => (b === null || sign * (g.stats.mean! - b.stats.mean!) < 0 ? g : b),
    null,
  );
  let significant = false;
  if (best) {
    const mom = (g: GroupOut) => {
      const i = byValue.get(g.value)!;
      return { n: i.n, mean: i.sum / i.n, variance: i.n > 1 ? i.m2 / (i.n - 1) : 0 };
    };
    const others = eligible.filter((g) => g !== best);
    const tests = others.map((g) => welchTTest(mom(best), mom(g)));
    const valid = tests.map((t, i) => [t, i] as const).filter(([t]) => t.p_value !== null);
    const adj = holm(valid.map(([t]) => t.p_value!));
    for (const g of others) g.vs_best = { t: null, df: null, p_value: null, p_adjusted: null, significant: false };
    valid.forEach(([t, i], k) => {
      const s = adj[k]! <= o.alpha;
      others[i]!.vs_best = { t: t.t, df: t.df, p_value: t.p_value, p_adjusted: adj[k]!, significant: s };
      if (s) significant = true;
    });
  }

  const withRuns = groups.filter((g) => g.test_count > 0);
  const bestAvail = withRuns.reduce<GroupOut | null>(
    (b, g) =>
      b === null ||
      g.availability_pct! > b.availability_pct! ||
      (g.availability_pct === b.availability_pct && g.test_count > b.test_count)
        ? g
        : b,
    null,
  );
  let availabilitySignificant = false;
  if (bestAvail) {
    const others = withRuns.filter((g) => g !== bestAvail);
    const bf = bestAvail.test_count - bestAvail.success_count;
    const p = others.map((g) =>
      fisherExactGreater(g.test_count - g.success_count, g.success_count, bf, bestAvail.success_count),
    );
    const adj = holm(p);
    others.forEach((g, i) => {
      const s = adj[i]! <= o.alpha;
      g.availability_vs_best = { p_value: p[i]!, p_adjusted: adj[i]!, significant: s };
      if (s) availabilitySignificant = true;
    });
  }
  return {
    groups,
    best: best?.value ?? null,
    best_availability: bestAvail?.value ?? null,
    significant,
    availability_significant: availabilitySignificant,
    better: o.better,
  };
}

/**
 * One aggregate bucket over exactly [startMs, stopMs) per combination of the dimension tags. Results that lack a
 * dimension tag are only counted (untagged), so their percentiles are never computed.
 */
export async function loadGroups(
  store: Store,
  q: { startMs: number; stopMs: number; tz: string; filters: TagFilters; dims: string[]; metric: string },
): Promise<{ groups: GroupInput[]; untagged: number; incompleteBefore?: number }> {
  const common = {
    period: 'hour' as const,
    tz: q.tz,
    boundaries: [q.startMs, q.stopMs],
    filters: q.filters,
    metric: q.metric,
  };
  const [res, all] = await Promise.all([
    store.aggregate({ ...common, groupBy: q.dims, skipUntagged: true }),
    store.aggregate({ ...common, groupBy: [], stats: 'counts' }),
  ]);
  const groups: GroupInput[] = [];
  let tagged = 0;
  for (const g of res.groups) {
    const b = g.buckets[0];
    if (!b) continue;
    if (q.dims.some((k) => g.group[k] === undefined || g.group[k] === null)) continue; // a store that keeps them
    const group: Record<string, string> = {};
    for (const k of q.dims) group[k] = g.group[k]!;
    const value = q.dims.length === 1 ? group[q.dims[0]!]! : q.dims.map((k) => `${k}=${group[k]}`).join(',');
    groups.push({ value, group, ...b });
    tagged += b.testCount;
  }
  const total = all.groups.reduce((n, g) => n + g.buckets.reduce((m, b) => m + b.testCount, 0), 0);
  const incompleteBefore = res.incompleteBefore ?? all.incompleteBefore;
  return { groups, untagged: total - tagged, ...(incompleteBefore !== undefined ? { incompleteBefore } : {}) };
}

const OPTIONS = ['dimension', 'better', 'alpha', 'min_count'];

export interface ComparisonResponse extends AnalysisHead<'comparison'> {
  /** The compared tag keys, comma-separated. */
  dimension: string;
  metric: string;
  groups: GroupOut[];
  best: string | null;
  significant: boolean;
  best_availability: string | null;
  availability_significant: boolean;
  summary: {
    better: Better;
    alpha: number;
    min_count: number;
    untagged_results: number;
    tests: { metric: string; availability: string };
  };
  warnings?: string[];
}

export const comparisonRunner: AnalysisRunner<'comparison'> = async (ctx, req) => {
  checkRequest('comparison', req, OPTIONS);
  if (req.options.dimension === undefined || req.options.dimension.trim() === '') {
    throw invalid(
      'option "dimension" is required: the tag key(s) to compare by, e.g. dimension=hardware or dimension=hardware,region',
      {
        parameter: 'dimension',
      },
    );
  }
  const dims = tagListOption(req.options, 'dimension', []);
  if (dims.length > 4) throw invalid('option "dimension" may list at most 4 tag keys', { parameter: 'dimension' });
  const betterOpt = req.options.better;
  if (betterOpt !== undefined && betterOpt !== 'lower' && betterOpt !== 'higher') {
    throw invalid('option "better" must be lower or higher', { parameter: 'better' });
  }
  const better: Better = betterOpt ?? betterOf(req.metric);
  const alpha = numberOption(req.options, 'alpha', 0, 1, 0.05);
  const minCount = intOption(req.options, 'min_count', 1, 1_000_000, 2);
  const loaded = await loadGroups(ctx.store, {
    startMs: req.start,
    stopMs: req.stop,
    tz: req.tz,
    filters: req.filters,
    dims,
    metric: req.metric,
  });
  const out = compareGroups(loaded.groups, { better, alpha, minCount });
  const warnings: string[] = unusedGroupBy('comparison', req);
  if (loaded.incompleteBefore !== undefined) {
    warnings.push(
      `raw data before ${formatMillis(loaded.incompleteBefore)} is past retention; statistics there may be incomplete`,
    );
  }
  if (out.groups.some((g) => g.percentiles_approximate))
    warnings.push('some percentiles come from merged sketches (within 1 %)');
  return {
    ...head('comparison', req),
    dimension: dims.join(','),
    metric: req.metric,
    groups: out.groups,
    best: out.best,
    significant: out.significant,
    best_availability: out.best_availability,
    availability_significant: out.availability_significant,
    summary: {
      better: out.better,
      alpha,
      min_count: minCount,
      untagged_results: loaded.untagged,
      tests: {
        metric: "Welch's t-test of the best group against each other group from moments, Holm-Bonferroni adjusted",
        availability:
          'one-sided Fisher exact test (other group fails more often than the best), Holm-Bonferroni adjusted',
      },
    },
    ...(warnings.length ? { warnings } : {}),
  };
};
