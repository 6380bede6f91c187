// `resultant analyze`: the same analyses as POST /api/v1/analyze, on the database file or on a running server
// (--url, or found by itself when the server holds the file), one analysis at a time with progress on a terminal,
// printed as a summary that names what each analysis found, or as the JSON the API returns.
import { type AnalyzeResult, analyze, parseAnalyzeBody, putResult, requestedKinds } from '../analysis/analyze.js';
import { isAnalysisKind } from '../analysis/index.js';
import type { AnalysisResponse } from '../analysis/types.js';
import type { Config } from '../config.js';
import { isAppError } from '../errors.js';
import { openAnomalyLog } from '../store/index.js';
import { cliConfig, openStoreOrServer, parseDays, progress, usage } from './common.js';
import { asCli, request } from './read.js';

export interface AnalyzeArgs {
  days: string;
  filter?: string;
  types?: string;
  metric?: string;
  groupBy?: string;
  dimension?: string;
  json?: boolean;
  url?: string;
  token?: string;
  db?: string;
}

/** The request body from the command's flags; bad flags are usage errors (exit 2). */
export function bodyFromArgs(a: AnalyzeArgs): ReturnType<typeof parseAnalyzeBody> {
  const days = parseDays(a.days, '--days');
  let filter: unknown = {};
  if (a.filter !== undefined) {
    try {
      filter = JSON.parse(a.filter);
    } catch {
      throw usage(`--filter must be a JSON object such as '{"endpoint":"api"}' (got ${a.filter.slice(0, 60)})`);
    }
  }
  const raw: Record<string, unknown> = { filter, days };
  if (a.types !== undefined)
    raw.analysis_types = a.types
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
  if (a.metric !== undefined) raw.metric = a.metric;
  if (a.groupBy !== undefined)
    raw.group_by = a.groupBy
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
  if (a.dimension !== undefined) raw.options = { comparison: { dimension: a.dimension } };
  let body: ReturnType<typeof parseAnalyzeBody>;
  try {
    body = parseAnalyzeBody(raw);
  } catch (e) {
    if (isAppError(e)) {
      const flag: Record<string, string> = {
        filter: '--filter',
        days: '--days',
        analysis_types: '--types',
        metric: '--metric',
        group_by: '--group-by',
        options: '--dimension',
      };
      const path = (e.details.errors as { path: string }[] | undefined)?.[0]?.path ?? '';
      const top = path.split('.')[0] ?? '';
      throw usage(
        `${flag[top] ?? 'arguments'}: ${e.message.replace(/^body field "[^"]*": /, '')}${path.includes('.') ? ` (at ${path})` : ''}`,
      );
    }
    throw e;
  }
  if (body.analysis_types?.includes('comparison') && a.dimension === undefined) {
    throw usage('--types comparison needs --dimension: the tag key(s) to compare by, e.g. --dimension hardware');
  }
  return body;
}

export async function runAnalyzeCommand(
  a: AnalyzeArgs,
  config: Config = cliConfig({ RESULTANT_DB_PATH: a.db }),
): Promise<AnalyzeResult> {
  const body = bodyFromArgs(a);
  const kinds = requestedKinds(body);
  const bar = progress(kinds.length, 'analyze');
  try {
    // A server: --url, or the one that holds the database file (as demo and report find it).
    let base = a.url?.replace(/\/+$/, '');
    if (!base) {
      const opened = await openStoreOrServer(config, 'asking it');
      if ('server' in opened) base = opened.server;
      else {
        const store = opened.store;
        try {
          return await asCli(async () => {
            const log = await openAnomalyLog(store);
            return analyze(
              { store, now: Date.now(), ...(log ? { anomalyLog: log } : {}) },
              body,
              { tz: config.timezone },
              (_k, done) => bar.update(done),
            );
          });
        } finally {
          await store.close();
        }
      }
    }
    // One request per analysis, so a long run shows its progress and a slow one is named.
    const out: AnalyzeResult = {};
    for (const [i, kind] of kinds.entries()) {
      bar.update(i);
      const res = await request({ kind: 'http', base, token: a.token }, '/api/v1/analyze', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...body, analysis_types: [kind] }),
      });
      // The server's POST /api/v1/analyze answer: this CLI's own types.
      const one = ((await res.json().catch(() => null)) as AnalyzeResult | null) ?? {};
      putResult(out, kind, one[kind]);
    }
    return out;
  } finally {
    bar.stop();
  }
}

const pct = (x: number | null | undefined): string =>
  typeof x === 'number' ? `${x >= 0 ? '+' : ''}${x.toFixed(1)} %` : 'n/a';
const share = (x: number | null | undefined): string =>
  typeof x === 'number' ? `${(100 * x).toFixed(x < 0.001 ? 3 : 1)} %` : 'n/a';
const num = (x: number | null | undefined): string =>
  typeof x === 'number' ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3)) : 'n/a';
const int = (x: number | null | undefined): string =>
  typeof x === 'number' ? Math.round(x).toLocaleString('en-US') : 'n/a';
const p = (x: number | null | undefined): string =>
  typeof x === 'number' ? (x < 1e-4 ? x.toExponential(1) : x.toFixed(4)) : 'n/a';
const label = (tags: Record<string, string>): string => {
  const parts = Object.entries(tags).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(',') : '(all)';
};
const cut = (t: string, n = 70): string => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

const MAX_LINES = 10;

/**
 * A readable summary of an analyze result: what each analysis found, worst first, with its figures. Keys that are
 * not analysis kinds (an answer from a newer server) are summarised by the sizes of their lists.
 */
export function summarize(result: AnalyzeResult & Readonly<Record<string, unknown>>): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(result)) {
    if (!isAnalysisKind(key)) {
      const r = (value ?? {}) as Record<string, unknown>;
      lines.push(`== ${key} (${String(r.start ?? '?')} .. ${String(r.stop ?? '?')})`);
      // Kinds this summary has no special form for: how many items each list holds.
      const counts = Object.entries(r)
        .filter(([, v]) => Array.isArray(v))
        .map(([k, v]) => `${(v as unknown[]).length} ${k}`);
      lines.push(`  ${counts.join(', ') || 'no lists'} (use --json for details)`);
      continue;
    }
    const r = result[key];
    lines.push(`== ${key} (${r?.start ?? '?'} .. ${r?.stop ?? '?'})`);
    if (r) lines.push(...findings(r));
  }
  return lines.join('\n');
}

/** The lines under one analysis's heading. */
function findings(r: AnalysisResponse): string[] {
  const lines: string[] = [];
  const more = (n: number): void => {
    if (n > MAX_LINES) lines.push(`  ... and ${n - MAX_LINES} more (use --json for all)`);
  };
  switch (r.kind) {
    case 'trends': {
      const all = r.trends;
      const moving = all.filter((t) => t.direction !== 'stable');
      lines.push(`  ${all.length} series: ${moving.length} trending, ${all.length - moving.length} stable`);
      for (const t of moving.slice(0, MAX_LINES)) {
        lines.push(
          `  ${t.direction.padEnd(10)} ${label(t.series)} ${t.metric}: ${pct(t.change_pct)}, ${num(t.slope_per_day)}/day, p=${p(t.p_value)}`,
        );
      }
      more(moving.length);
      break;
    }
    case 'regressions': {
      const all = r.regressions;
      lines.push(`  ${all.length} significant change(s) in ${r.series_checked} series`);
      for (const g of all.slice(0, MAX_LINES)) {
        lines.push(
          `  ${g.severity.padEnd(8)} ${g.direction.padEnd(6)} ${label(g.series)} ${g.metric}: ${pct(g.change_pct)}, p=${p(g.p_value)}, since ${g.change_time ?? 'unknown'}`,
        );
      }
      more(all.length);
      break;
    }
    case 'anomalies': {
      const all = r.anomalies;
      lines.push(`  ${all.length} anomal${all.length === 1 ? 'y' : 'ies'}`);
      for (const x of all.slice(0, MAX_LINES)) {
        lines.push(
          `  ${x.time} ${label(x.series)} ${x.metric}: ${num(x.value)} (expected ${num(x.expected)}), score ${num(x.score)} ${x.method}${x.acknowledged ? ' [acknowledged]' : ''}`,
        );
      }
      more(all.length);
      break;
    }
    case 'failure-patterns': {
      const { patterns, correlations: corr, summary } = r;
      lines.push(
        `  ${int(summary.failures)} failures of ${int(summary.runs)} runs (${share(summary.overall_rate)}), ${int(summary.patterns_total)} patterns`,
      );
      for (const x of patterns.slice(0, MAX_LINES)) {
        const b = x.breadth;
        lines.push(
          `  ${int(x.count).padStart(8)} ${x.category.padEnd(10)} ${cut(x.pattern)}  (${int(b.series)} series, ${int(b.workers)} workers${x.new === true ? ', new' : ''}; ${x.trend.direction})`,
        );
      }
      more(patterns.length);
      lines.push(`  ${corr.length} value(s) where failures concentrate:`);
      for (const c of corr.slice(0, MAX_LINES)) {
        lines.push(
          `  ${c.dimension}=${c.value}: ${share(c.failure_rate)} of ${int(c.runs)} runs failed (overall ${share(c.overall_rate)}, ${num(c.lift)}x), q=${p(c.q_value)}`,
        );
      }
      more(corr.length);
      break;
    }
    case 'flaky-tests': {
      const { tests, summary } = r;
      lines.push(
        `  ${int(summary.configurations)} configurations: ${int(summary.broken)} broken, ${int(summary.flaky)} flaky; ${int(summary.excluded_runs)} runs left out as infrastructure incidents`,
      );
      for (const t of tests.slice(0, MAX_LINES)) {
        lines.push(
          `  ${t.status.padEnd(7)} ${label(t.series)}: ${int(t.failures)} of ${int(t.runs)} runs failed, flip rate ${num(t.flip_rate)} (${t.reason})`,
        );
      }
      more(tests.length);
      break;
    }
    case 'workload': {
      const workers = r.workers;
      lines.push(`  ${workers.length} workers, Gini ${num(r.gini)}, CV ${num(r.cv)}`);
      const notable = workers.filter((w) => w.status !== 'normal');
      // The busiest and the least successful name the imbalance and the bad machine.
      const worstSuccess = [...workers].sort((x, y) => (x.success_rate ?? 1) - (y.success_rate ?? 1))[0];
      for (const w of notable.slice(0, MAX_LINES)) {
        lines.push(
          `  ${w.status.padEnd(10)} ${w.worker}: ${int(w.tasks)} tasks (${share(w.share)}), success ${share(w.success_rate)}`,
        );
      }
      more(notable.length);
      if (worstSuccess) {
        lines.push(
          `  lowest success rate: ${worstSuccess.worker} at ${share(worstSuccess.success_rate)} of ${int(worstSuccess.tasks)} tasks, mean ${num(worstSuccess.mean_duration_ms)} ms`,
        );
      }
      break;
    }
    case 'circuit-breakers': {
      const breakers = [...r.breakers].sort((x, y) => y.open_seconds - x.open_seconds);
      const flapping = breakers.filter((b) => b.flapping > 0);
      const tripped = breakers.filter((b) => b.trips > 0);
      lines.push(`  ${breakers.length} breaker(s), ${tripped.length} tripped, ${flapping.length} flapping`);
      for (const b of tripped.slice(0, MAX_LINES)) {
        lines.push(
          `  ${label(b.series)}: ${int(b.trips)} trips, open ${int(b.open_seconds)} s, mean recovery ${int(b.mean_recovery_seconds)} s${b.flapping > 0 ? `, flapping (${int(b.flapping)} quick re-trips)` : ''}`,
        );
      }
      break;
    }
    case 'comparison': {
      const groups = r.groups;
      lines.push(
        `  by ${r.dimension} (${r.metric}): best ${r.best ?? 'n/a'}, ${r.significant ? 'significant' : 'not significant'}`,
      );
      for (const g of groups.slice(0, MAX_LINES)) {
        lines.push(
          `  ${g.value.padEnd(16)} mean ${num(g.stats.mean)}, p95 ${num(g.stats.p95)}, n=${int(g.stats.count)}`,
        );
      }
      more(groups.length);
      break;
    }
  }
  return lines;
}
