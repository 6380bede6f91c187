// Precision and recall of the anomaly detectors (src/analysis/anomalies.ts), on two kinds of data:
//
// 1. NAB realAWSCloudwatch (../shared/datasets/nab, MIT, Numenta; 17 series of 5-minute AWS metrics with labelled
//    anomaly windows in labels.json). Window recall = labelled windows with at least one detection; precision =
//    detections inside a labelled window; false alarms per day = detections outside any window per day of data.
//    NAB's windows are wide (10 % of a file's length split over its anomalies), so this precision is generous
//    and the recall is a lower bound on what a person would call "found"; NAB's own weighted score is not computed.
// 2. The demo fleet's injected incidents (src/demo/generate.ts), through the real store and runner: the latency
//    regression (per endpoint, median latency) and the 40-minute outage (per endpoint and region, error rate).
//    Recall = incidents flagged on their series within 6 hours of their start; precision = anomalies that lie on
//    an incident's series inside [start, stop + 1 h) out of all anomalies reported for that statistic.
//
// Run once: npm run bench:anomalies (NAB from NAB_DIR, else ../shared/datasets/nab beside the repository).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AnomalyOptions, ANOMALY_DEFAULTS, detectAnomalies, runAnomalies } from '../src/analysis/anomalies.js';
import { runRegressions } from '../src/analysis/regressions.js';
import type { Point } from '../src/analysis/series.js';
import { DemoFleet } from '../src/demo/generate.js';
import { decodeLineProtocol } from '../src/ingest/validate.js';
import { DuckDBStore } from '../src/store/duckdb/index.js';
import { machine } from './common.js';

// shared/ sits beside the repository (../shared), or one level further up from a worktree.
const NAB = resolve(
  process.env.NAB_DIR ??
    [join(import.meta.dirname, '../../shared/datasets/nab'), join(import.meta.dirname, '../../../shared/datasets/nab')].find((p) =>
      existsSync(p),
    ) ??
    'shared/datasets/nab (set NAB_DIR)',
);
const FIVE_MIN = 300_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const parseTime = (s: string): number => Date.parse(`${s.trim().replace(' ', 'T').replace(/\.\d+$/, '')}Z`);

interface Tally {
  windows: number;
  windowsFound: number;
  detections: number;
  inside: number;
  days: number;
  ms: number;
}
const empty = (): Tally => ({ windows: 0, windowsFound: 0, detections: 0, inside: 0, days: 0, ms: 0 });

function nab(): string[] {
  const labels = JSON.parse(readFileSync(join(NAB, 'labels.json'), 'utf8')) as Record<string, [string, string][]>;
  const configs: { label: string; method: AnomalyOptions['method']; history: number }[] = [
    { label: 'robust_z (history 64)', method: 'robust_z', history: 64 },
    { label: 'robust_z (history 288 = 1 day)', method: 'robust_z', history: 288 },
    { label: 'auto (default)', method: 'auto', history: 64 },
    { label: 'mstl', method: 'mstl', history: 64 },
  ];
  const tallies = new Map(configs.map((c) => [c.label, empty()]));
  const picked = new Map<string, number>();
  const files = readdirSync(join(NAB, 'realAWSCloudwatch')).filter((f) => f.endsWith('.csv')).sort();
  for (const f of files) {
    const lines = readFileSync(join(NAB, 'realAWSCloudwatch', f), 'utf8').trim().split('\n').slice(1);
    const points: Point[] = lines.map((l) => {
      const [ts, v] = l.split(',');
      return { t: parseTime(ts!), value: Number(v), n: 1 };
    });
    const windows = (labels[`realAWSCloudwatch/${f}`] ?? []).map(([a, b]) => [parseTime(a), parseTime(b)] as const);
    for (const c of configs) {
      const started = performance.now();
      const d = detectAnomalies(points, { ...ANOMALY_DEFAULTS, stepMs: FIVE_MIN, method: c.method, history: c.history });
      const t = tallies.get(c.label)!;
      t.ms += performance.now() - started;
      if (c.method === 'auto') picked.set(d.method, (picked.get(d.method) ?? 0) + 1);
      t.windows += windows.length;
      t.windowsFound += windows.filter(([a, b]) => d.anomalies.some((x) => x.time >= a && x.time <= b)).length;
      t.detections += d.anomalies.length;
      t.inside += d.anomalies.filter((x) => windows.some(([a, b]) => x.time >= a && x.time <= b)).length;
      t.days += (points[points.length - 1]!.t - points[0]!.t) / DAY;
    }
  }
  const out = [
    `NAB realAWSCloudwatch: ${files.length} series, 5-minute points; auto chose ${[...picked].map(([m, n]) => `${m} for ${n}`).join(', ')}`,
    '',
    '| method | windows found (recall) | detections | inside a window (precision) | F1 | false alarms / day | time |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const [m, t] of tallies) {
    const recall = t.windowsFound / t.windows;
    const precision = t.detections ? t.inside / t.detections : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    out.push(
      `| ${m} | ${t.windowsFound}/${t.windows} (${(100 * recall).toFixed(0)} %) | ${t.detections} | ${t.inside} (${(100 * precision).toFixed(0)} %) | ${f1.toFixed(2)} | ${((t.detections - t.inside) / t.days).toFixed(2)} | ${(t.ms / 1000).toFixed(1)} s |`,
    );
  }
  return out;
}

/** Minutes from the incident start to the first flagged bucket's start (negative: the bucket began before it). */
const signedMinutes = (ms: number): string => `${ms >= 0 ? '+' : '−'}${Math.abs(ms / 60_000).toFixed(0)} min`;

async function demo(): Promise<string[]> {
  const DAYS = 7;
  const stop = Date.UTC(2026, 10, 20);
  const start = stop - DAYS * DAY;
  const store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
  const fleet = new DemoFleet({ start, stop, seed: 42, endpoints: 24, regions: 3, workersPerRegion: 2 });
  let buf: string[] = [];
  for (let t = start; t < stop; t += 60_000) {
    buf.push(...fleet.minute(t));
    if (buf.length > 20_000 || t + 60_000 >= stop) {
      const d = decodeLineProtocol(buf.join('\n'), { precision: 'ns', nowUs: 0 });
      if (!d.ok) throw new Error(d.message);
      await store.write(d.batch);
      buf = [];
    }
  }
  await store.rollup(stop);
  const ctx = { store, now: stop };
  const base = { start, stop, filters: { type: ['network'] }, metric: 'latency_ms', tz: 'UTC' };
  const out = [`Demo fleet: ${DAYS} days, 24 endpoints x 3 regions probed every minute (seed 42)`, ''];
  out.push('| incident | series, statistic | method | found (first flag after start) | anomalies on the statistic | on the incident (precision) |');
  out.push('|---|---|---|---|---|---|');
  const cases = [
    { kind: 'latency_regression', groupBy: ['endpoint'], statistic: 'p50' },
    { kind: 'outage', groupBy: ['endpoint', 'region'], statistic: 'error_rate' },
  ] as const;
  for (const c of cases) {
    const inc = fleet.incidents.find((i) => i.kind === c.kind)!;
    for (const method of ['robust_z', 'auto'] as const) {
      const r = await runAnomalies(ctx, { ...base, groupBy: [...c.groupBy], options: { statistic: c.statistic, method } });
      const list = r.anomalies as { series: Record<string, string>; time: string; method: string }[];
      const onSeries = (a: (typeof list)[number]) => Object.entries(inc.tags).every(([k, v]) => a.series[k] === v);
      const hits = list.filter((a) => onSeries(a) && Date.parse(a.time) >= inc.start - HOUR && Date.parse(a.time) < inc.stop + HOUR);
      const first = hits.map((a) => Date.parse(a.time)).sort((a, b) => a - b)[0];
      const found = first !== undefined && first <= inc.start + 6 * HOUR;
      const used = [...new Set(list.filter(onSeries).map((a) => a.method))].join(',') || method;
      out.push(
        `| ${c.kind} (${Object.values(inc.tags).join(', ')}) | ${c.groupBy.join('+')}, ${c.statistic} | ${method} (${used}) | ${found ? `yes (${signedMinutes(first! - inc.start)})` : 'no'} | ${list.length} | ${hits.length} (${list.length ? ((100 * hits.length) / list.length).toFixed(0) : 0} %) |`,
      );
    }
  }
  const reg = fleet.incidents.find((i) => i.kind === 'latency_regression')!;
  const regs = await runRegressions(ctx, { ...base, groupBy: ['endpoint'], options: {} });
  const items = regs.regressions as { series: Record<string, string>; change_pct: number; severity: string; change_time: string | null; direction: string }[];
  const mine = items.find((x) => x.series.endpoint === reg.tags.endpoint);
  out.push(
    '',
    `Regressions on the same data (last 24 h against the 6 days before, per endpoint): ${items.length} listed; ` +
      (mine
        ? `${reg.tags.endpoint}: ${mine.direction} ${mine.change_pct.toFixed(1)} % (${mine.severity}), change_time ${mine.change_time} against the planted ${new Date(reg.start).toISOString()}`
        : `${reg.tags.endpoint} not found`),
  );
  await store.close();
  return out;
}

const lines = [`machine: ${machine()}`, '', ...nab(), '', ...(await demo())];
process.stdout.write(`${lines.join('\n')}\n`);
