// What each kind of rule finds now: availability and latency rules read the aggregates of the last window; the
// others read an analysis (regressions, failure patterns, anomalies) and pick what is new or bad enough.
import type { AnalysisKind, AnalysisRequest, AnalysisResponses } from '../analysis/types.js';
import { tagFiltersOf } from '../model/filters.js';
import { seriesIdentity } from '../store/state.js';
import type { Store } from '../store/types.js';
import { DAY_MS, QUARTER_MS } from '../time/buckets.js';
import { formatMillis } from '../time/parse.js';
import type { Rule } from './rules.js';

export interface Alert {
  series: Record<string, string | null>;
  seriesKey: string;
  /** Set when the alert is about one event (a regression, a fingerprint, an anomaly) that must be sent once. */
  event: string | null;
  message: string;
  value: number | null;
  threshold: number | null;
  details: Record<string, unknown>;
}

export type Analyze = <K extends AnalysisKind>(kind: K, req: AnalysisRequest) => Promise<AnalysisResponses[K]>;

export interface EvalContext {
  store: Store;
  now: number;
  /** Runs an analysis; rules that need one fail with a clear error without it. */
  analyze?: Analyze;
}

/** Alerts of one rule per evaluation, at most (the worst first): a flood says less than a summary. */
export const MAX_ALERTS_PER_RULE = 20;
const SEVERITY_RANK = { minor: 1, major: 2, critical: 3 } as const;

function label(series: Record<string, string | null>): string {
  const parts = Object.entries(series).map(([k, v]) => `${k}=${v ?? '(none)'}`);
  return parts.length ? parts.join(', ') : 'all series';
}

export async function evaluateRule(rule: Rule, ctx: EvalContext): Promise<Alert[]> {
  switch (rule.kind) {
    case 'availability_below':
    case 'latency_above':
      return windowAlerts(rule, ctx);
    case 'regression':
      return regressionAlerts(rule, ctx);
    case 'new_failure_fingerprint':
      return fingerprintAlerts(rule, ctx);
    case 'anomaly_score_above':
      return anomalyAlerts(rule, ctx);
  }
}

/**
 * The window covers at least the last `window_minutes`: from that many minutes before the current quarter hour
 * to the end of it. Whole quarter hours are what the store aggregates exactly from raw results, and taking the
 * quarter in progress as well means a window never holds only a few minutes of data.
 */
export function windowOf(rule: Rule, now: number): [number, number] {
  const floor = Math.floor(now / QUARTER_MS) * QUARTER_MS;
  return [floor - rule.window_minutes * 60_000, floor === now ? now : floor + QUARTER_MS];
}

async function windowAlerts(rule: Rule, ctx: EvalContext): Promise<Alert[]> {
  const [start, end] = windowOf(rule, ctx.now);
  const res = await ctx.store.aggregate({
    period: 'hour',
    tz: 'UTC',
    boundaries: [start, end],
    filters: tagFiltersOf(rule.filter),
    groupBy: rule.group_by,
    metric: rule.metric,
  });
  const alerts: Alert[] = [];
  for (const g of res.groups) {
    const b = g.buckets[0];
    if (!b || b.testCount < rule.min_tests) continue;
    // Results without a group_by tag (a rule per endpoint, a benchmark without one) are not a group to alert on.
    if (rule.group_by.some((k) => g.group[k] === undefined || g.group[k] === null)) continue;
    const series = Object.fromEntries(rule.group_by.map((k) => [k, g.group[k] ?? null]));
    const window = {
      start: formatMillis(start),
      stop: formatMillis(end),
      tests: b.testCount,
      successes: b.successCount,
    };
    if (rule.kind === 'availability_below') {
      const pct = (100 * b.successCount) / b.testCount;
      if (pct < rule.threshold!) {
        alerts.push({
          series,
          seriesKey: seriesIdentity(series),
          event: null,
          message: `availability ${pct.toFixed(2)} % is below ${rule.threshold} % for ${label(series)} (${b.successCount} of ${b.testCount} succeeded since ${window.start})`,
          value: round(pct),
          threshold: rule.threshold!,
          details: window,
        });
      }
    } else {
      const v = rule.statistic === 'mean' ? (b.n > 0 ? b.sum / b.n : null) : rule.statistic === 'p95' ? b.p95 : b.p99;
      if (v !== null && b.n >= rule.min_tests && v > rule.threshold!) {
        alerts.push({
          series,
          seriesKey: seriesIdentity(series),
          event: null,
          message: `${rule.statistic} ${rule.metric} ${round(v)} is above ${rule.threshold} for ${label(series)} (${b.n} results since ${window.start})`,
          value: round(v),
          threshold: rule.threshold!,
          details: { ...window, count: b.n },
        });
      }
    }
  }
  return worst(alerts, (a) => Math.abs((a.value ?? 0) - (a.threshold ?? 0)));
}

async function analysis<K extends AnalysisKind>(rule: Rule, ctx: EvalContext, kind: K): Promise<AnalysisResponses[K]> {
  if (!ctx.analyze)
    throw new Error(`rule kind ${rule.kind} needs the ${kind} analysis, which this service does not have`);
  return ctx.analyze(kind, {
    start: ctx.now - rule.lookback_days * DAY_MS,
    stop: ctx.now,
    filters: tagFiltersOf(rule.filter),
    groupBy: rule.group_by,
    metric: rule.metric,
    tz: 'UTC',
    options: {},
  });
}

async function regressionAlerts(rule: Rule, ctx: EvalContext): Promise<Alert[]> {
  const res = await analysis(rule, ctx, 'regressions');
  const alerts = res.regressions
    .filter((r) => r.direction === 'worse' && SEVERITY_RANK[r.severity] >= SEVERITY_RANK[rule.min_severity])
    .map((r): Alert => {
      const key = seriesIdentity(r.series);
      return {
        series: r.series,
        seriesKey: key,
        event: `${key}|${r.metric}|${r.change_time ?? ''}`,
        message: `${r.severity} regression of ${r.metric} on ${label(r.series)}: ${r.change_pct > 0 ? '+' : ''}${round(r.change_pct)} %${r.change_time ? ` since ${r.change_time}` : ''} (p = ${r.p_value.toPrecision(2)})`,
        value: r.change_pct,
        threshold: null,
        details: { ...r },
      };
    });
  return worst(alerts, (a) => Math.abs(a.value ?? 0));
}

async function fingerprintAlerts(rule: Rule, ctx: EvalContext): Promise<Alert[]> {
  const res = await analysis(rule, ctx, 'failure-patterns');
  // New = not seen in the week before the analysis window; each fingerprint is sent once (de-duplication), so
  // one missed evaluation (downtime, a slow run) does not lose it.
  const alerts = res.patterns
    .filter((p) => p.new === true)
    .map((p): Alert => {
      const series = { fingerprint: p.fingerprint };
      return {
        series,
        seriesKey: seriesIdentity(series),
        event: p.fingerprint,
        message: `new failure (${p.category}) seen ${p.count} time${p.count === 1 ? '' : 's'} since ${p.first_seen}: ${p.example.slice(0, 300)}`,
        value: p.count,
        threshold: null,
        details: { ...p },
      };
    });
  return worst(alerts, (a) => a.value ?? 0);
}

async function anomalyAlerts(rule: Rule, ctx: EvalContext): Promise<Alert[]> {
  const res = await analysis(rule, ctx, 'anomalies');
  const alerts = res.anomalies
    .filter((a) => Math.abs(a.score) > rule.threshold! && a.acknowledged !== true)
    .map((a): Alert => {
      const key = seriesIdentity(a.series);
      return {
        series: a.series,
        seriesKey: key,
        event: `${key}|${a.metric}|${a.method}|${a.time}`,
        message: `anomaly in ${a.metric} on ${label(a.series)} at ${a.time}: ${round(a.value)} where ${round(a.expected)} was expected (score ${round(a.score)}, ${a.method})`,
        value: a.score,
        threshold: rule.threshold!,
        details: { ...a },
      };
    });
  return worst(alerts, (a) => Math.abs(a.value ?? 0));
}

function worst(alerts: Alert[], badness: (a: Alert) => number): Alert[] {
  return alerts.sort((a, b) => badness(b) - badness(a)).slice(0, MAX_ALERTS_PER_RULE);
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
