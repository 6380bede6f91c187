// `resultant analyze`: the same analyses as POST /api/v1/analyze, on the database file or on a running server
// (--url), printed as a short summary or as the JSON the API returns.
import { analyze, parseAnalyzeBody } from '../analysis/analyze.js';
import { isAppError } from '../errors.js';
import { openAnomalyLog } from '../store/index.js';
import { cliConfig, openCliStore, parseDays, usage } from './common.js';
import { asCli, request } from './read.js';

export interface AnalyzeArgs {
  days: string;
  filter?: string;
  types?: string;
  metric?: string;
  groupBy?: string;
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
  if (a.types !== undefined) raw.analysis_types = a.types.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (a.metric !== undefined) raw.metric = a.metric;
  if (a.groupBy !== undefined) raw.group_by = a.groupBy.split(',').map((t) => t.trim()).filter((t) => t !== '');
  try {
    return parseAnalyzeBody(raw);
  } catch (e) {
    if (isAppError(e)) {
      const flag: Record<string, string> = { filter: '--filter', days: '--days', analysis_types: '--types', metric: '--metric', group_by: '--group-by' };
      const path = (e.details.errors as { path: string }[] | undefined)?.[0]?.path ?? '';
      const top = path.split('.')[0] ?? '';
      throw usage(`${flag[top] ?? 'arguments'}: ${e.message.replace(/^body field "[^"]*": /, '')}${path.includes('.') ? ` (at ${path})` : ''}`);
    }
    throw e;
  }
}

export async function runAnalyzeCommand(a: AnalyzeArgs): Promise<Record<string, unknown>> {
  const body = bodyFromArgs(a);
  if (a.url) {
    const res = await request({ kind: 'http', base: a.url.replace(/\/+$/, ''), token: a.token }, '/api/v1/analyze', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return ((await res.json().catch(() => null)) as Record<string, unknown> | null) ?? {};
  }
  const config = cliConfig({ RESULTANT_DB_PATH: a.db });
  const store = await openCliStore(config);
  try {
    return await asCli(async () => {
      const log = await openAnomalyLog(store);
      return analyze({ store, now: Date.now(), ...(log ? { anomalyLog: log } : {}) }, body, { tz: config.timezone });
    });
  } finally {
    await store.close();
  }
}

const pct = (x: unknown): string => (typeof x === 'number' ? `${x >= 0 ? '+' : ''}${x.toFixed(1)} %` : 'n/a');
const num = (x: unknown): string => (typeof x === 'number' ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3)) : 'n/a');
const p = (x: unknown): string => (typeof x === 'number' ? (x < 1e-4 ? x.toExponential(1) : x.toFixed(4)) : 'n/a');
const label = (s: unknown): string => {
  const tags = (s ?? {}) as Record<string, string>;
  const parts = Object.entries(tags).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(',') : '(all)';
};

type Item = Record<string, unknown>;
const MAX_LINES = 10;

/** A readable summary of an analyze result: what each analysis found, most important first. */
export function summarize(result: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [kind, value] of Object.entries(result)) {
    const r = (value ?? {}) as Record<string, unknown>;
    lines.push(`== ${kind} (${String(r.start ?? '?')} .. ${String(r.stop ?? '?')})`);
    const list = (name: string): Item[] => (Array.isArray(r[name]) ? (r[name] as Item[]) : []);
    const more = (n: number): void => {
      if (n > MAX_LINES) lines.push(`  ... and ${n - MAX_LINES} more (use --json for all)`);
    };
    if (kind === 'trends') {
      const all = list('trends');
      const moving = all.filter((t) => t.direction !== 'stable');
      lines.push(`  ${all.length} series: ${moving.length} trending, ${all.length - moving.length} stable`);
      for (const t of moving.slice(0, MAX_LINES)) {
        lines.push(`  ${String(t.direction).padEnd(10)} ${label(t.series)} ${String(t.metric)}: ${pct(t.change_pct)}, ${num(t.slope_per_day)}/day, p=${p(t.p_value)}`);
      }
      more(moving.length);
    } else if (kind === 'regressions') {
      const all = list('regressions');
      lines.push(`  ${all.length} significant change(s) in ${String(r.series_checked ?? '?')} series`);
      for (const g of all.slice(0, MAX_LINES)) {
        lines.push(
          `  ${String(g.severity).padEnd(8)} ${String(g.direction).padEnd(6)} ${label(g.series)} ${String(g.metric)}: ${pct(g.change_pct)}, p=${p(g.p_value)}, since ${String(g.change_time ?? 'unknown')}`,
        );
      }
      more(all.length);
    } else if (kind === 'anomalies') {
      const all = list('anomalies');
      lines.push(`  ${all.length} anomal${all.length === 1 ? 'y' : 'ies'}`);
      for (const x of all.slice(0, MAX_LINES)) {
        lines.push(
          `  ${String(x.time)} ${label(x.series)} ${String(x.metric)}: ${num(x.value)} (expected ${num(x.expected)}), score ${num(x.score)} ${String(x.method)}${x.acknowledged ? ' [acknowledged]' : ''}`,
        );
      }
      more(all.length);
    } else {
      // Kinds this summary has no special form for: how many items each list holds.
      const counts = Object.entries(r)
        .filter(([, v]) => Array.isArray(v))
        .map(([k, v]) => `${(v as unknown[]).length} ${k}`);
      lines.push(`  ${counts.join(', ') || 'no lists'} (use --json for details)`);
    }
  }
  return lines.join('\n');
}
