// Precision and recall of the anomaly detectors (src/analysis/anomalies.ts), on two kinds of data:
//
// 1. NAB realAWSCloudwatch (MIT, Numenta; see nabDir in common.ts; 17 series of 5-minute AWS metrics with 30 labelled
//    anomaly windows in labels.json), in three shapes: the service's default hourly buckets (the median of each
//    hour's values, as `statistic=p50` reads them), hourly means (`statistic=mean`), and the raw 5-minute points.
//    An alert is one item of the answer: before this round one per breaching point, now one per episode
//    [start, end]. Window recall = labelled windows that some alert overlaps; precision = alerts that overlap a
//    labelled window; false alarms per day = alerts that overlap none, per day of data. As a long episode overlaps
//    windows more easily, recall and precision are also given with each alert placed at its strongest bucket
//    alone. The "before" rows run today's code with confirmation, novelty bar, episodes and warm-up switched off
//    (confirm 1, novelty 0, gap 0, warm-up 0, counts in points), which is the point-by-point detector this round
//    replaced (its 5-minute row repeats the figures of the last run of that code). history, confirm, gap and
//    warm-up count hours: 64 buckets of history are 768 five-minute points.
//    NAB's windows are wide (10 % of a file's length split over its anomalies); NAB's weighted score is not computed.
// 2. The demo fleet's injected incidents (src/demo/generate.ts), through the real store and runner: the latency
//    regression (per endpoint, median latency) and the 40-minute outage (per endpoint and region, error rate).
//    Recall = incidents flagged on their series within 6 hours of their start; precision = alerts that lie on
//    an incident's series and overlap [start − 1 h, stop + 1 h) out of all alerts reported for that statistic.
//
// Run once: npm run bench:anomalies (NAB from NAB_DIR, else data/nab).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ss from 'simple-statistics';
import {
  ANOMALY_DEFAULTS,
  type Anomaly,
  type AnomalyOptions,
  detectAnomalies,
  runAnomalies,
} from '../src/analysis/anomalies.js';
import { runRegressions } from '../src/analysis/regressions.js';
import type { Point } from '../src/analysis/series.js';
import { DemoFleet } from '../src/demo/generate.js';
import { decodeLineProtocol } from '../src/ingest/validate.js';
import { DuckDBStore } from '../src/store/duckdb/index.js';
import { machine, nabDir } from './common.js';

const NAB = nabDir();
const FIVE_MIN = 300_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const parseTime = (s: string): number =>
  Date.parse(
    `${s
      .trim()
      .replace(' ', 'T')
      .replace(/\.\d+$/, '')}Z`,
  );

interface Tally {
  windows: number;
  windowsFound: number;
  alerts: number;
  inside: number;
  /** The same two counts with an alert placed at its strongest bucket alone (its episode's span left out). */
  windowsPeaked: number;
  peaksInside: number;
  days: number;
  ms: number;
}
const empty = (): Tally => ({
  windows: 0,
  windowsFound: 0,
  alerts: 0,
  inside: 0,
  windowsPeaked: 0,
  peaksInside: 0,
  days: 0,
  ms: 0,
});

interface NabSeries {
  name: string;
  points: Point[];
  windows: (readonly [number, number])[];
}

function readNab(): NabSeries[] {
  const labels = JSON.parse(readFileSync(join(NAB, 'labels.json'), 'utf8')) as Record<string, [string, string][]>;
  const files = readdirSync(join(NAB, 'realAWSCloudwatch'))
    .filter((f) => f.endsWith('.csv'))
    .sort();
  return files.map((f) => {
    const lines = readFileSync(join(NAB, 'realAWSCloudwatch', f), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    const points: Point[] = lines.map((l) => {
      const [ts, v] = l.split(',');
      return { t: parseTime(ts!), value: Number(v), n: 1 };
    });
    const windows = (labels[`realAWSCloudwatch/${f}`] ?? []).map(([a, b]) => [parseTime(a), parseTime(b)] as const);
    return { name: f, points, windows };
  });
}

/** Hourly buckets of 5-minute points: the median or the mean of each hour, n = the points in it. */
function hourly(points: readonly Point[], statistic: 'p50' | 'mean'): Point[] {
  const by = new Map<number, number[]>();
  for (const p of points) {
    const h = Math.floor(p.t / HOUR) * HOUR;
    const list = by.get(h) ?? [];
    list.push(p.value);
    by.set(h, list);
  }
  return [...by.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([t, v]) => ({ t, value: statistic === 'mean' ? ss.mean(v) : ss.median(v), n: v.length }));
}

/** An alert overlaps [a, b]: its first bucket starts before b and its last bucket ends after a. */
const overlaps = (x: Anomaly, stepMs: number, a: number, b: number): boolean => x.time <= b && x.end + stepMs > a;
/** The alert's strongest bucket overlaps [a, b] (a long episode gets no credit for its span). */
const peakIn = (x: Anomaly, stepMs: number, a: number, b: number): boolean =>
  x.peakTime <= b && x.peakTime + stepMs > a;

const POINT_BY_POINT: Partial<AnomalyOptions> = { confirm: 1, novelty: 0, gap: 0, warmup: 0, perPoint: true };

interface Run {
  label: string;
  shape: 'hourly p50' | 'hourly mean' | '5-minute points';
  settings: Partial<AnomalyOptions>;
}

const pct = (k: number, n: number): string => `${n ? ((100 * k) / n).toFixed(0) : 0} %`;

function nab(): string[] {
  const data = readNab();
  const shapes = {
    'hourly p50': { stepMs: HOUR, series: data.map((d) => ({ ...d, points: hourly(d.points, 'p50') })) },
    'hourly mean': { stepMs: HOUR, series: data.map((d) => ({ ...d, points: hourly(d.points, 'mean') })) },
    '5-minute points': { stepMs: FIVE_MIN, series: data },
  } as const;
  const runs: Run[] = [];
  for (const shape of Object.keys(shapes) as Run['shape'][]) {
    runs.push({ label: 'before: point by point, auto', shape, settings: POINT_BY_POINT });
    runs.push({ label: 'after: episodes, auto (default)', shape, settings: {} });
  }
  runs.push(
    { label: 'before: point by point, mstl', shape: 'hourly p50', settings: { ...POINT_BY_POINT, method: 'mstl' } },
    { label: 'after: episodes, mstl', shape: 'hourly p50', settings: { method: 'mstl' } },
    { label: 'after: episodes, robust_z', shape: 'hourly p50', settings: { method: 'robust_z' } },
  );
  // Trading recall for precision: each setting moved alone from the default.
  for (const [label, settings] of [
    ['threshold 2.5', { threshold: 2.5 }],
    ['threshold 3.5 (the default until 2026-12-07)', { threshold: 3.5 }],
    ['threshold 5', { threshold: 5 }],
    ['novelty 1.0', { novelty: 1 }],
    ['novelty 1.5', { novelty: 1.5 }],
    ['confirm 3', { confirm: 3 }],
    ['confirm 1000 (novelty only)', { confirm: 1000 }],
    ['history 24', { history: 24 }],
    ['gap 1 (no merging)', { gap: 1 }],
  ] as const) {
    runs.push({ label: `trade-off: ${label}`, shape: 'hourly p50', settings });
    runs.push({ label: `trade-off: ${label}`, shape: 'hourly mean', settings });
  }
  const out = [
    `NAB realAWSCloudwatch: ${data.length} series, ${data.reduce((n, d) => n + d.windows.length, 0)} labelled windows`,
    '',
    '| shape | detector | windows found (recall) | alerts | overlapping a window (precision) | F1 | false alarms / day | by the strongest bucket: recall, precision | time |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of runs) {
    const { stepMs, series } = shapes[r.shape];
    const t = empty();
    for (const s of series) {
      const started = performance.now();
      const d = detectAnomalies(s.points, { ...ANOMALY_DEFAULTS, stepMs, ...r.settings });
      t.ms += performance.now() - started;
      t.windows += s.windows.length;
      t.windowsFound += s.windows.filter(([a, b]) => d.anomalies.some((x) => overlaps(x, stepMs, a, b))).length;
      t.alerts += d.anomalies.length;
      t.inside += d.anomalies.filter((x) => s.windows.some(([a, b]) => overlaps(x, stepMs, a, b))).length;
      t.windowsPeaked += s.windows.filter(([a, b]) => d.anomalies.some((x) => peakIn(x, stepMs, a, b))).length;
      t.peaksInside += d.anomalies.filter((x) => s.windows.some(([a, b]) => peakIn(x, stepMs, a, b))).length;
      t.days += (s.points[s.points.length - 1]!.t - s.points[0]!.t) / DAY;
    }
    const recall = t.windowsFound / t.windows;
    const precision = t.alerts ? t.inside / t.alerts : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    out.push(
      `| ${r.shape} | ${r.label} | ${t.windowsFound}/${t.windows} (${pct(t.windowsFound, t.windows)}) | ${t.alerts} | ${t.inside} (${pct(t.inside, t.alerts)}) | ${f1.toFixed(2)} | ${((t.alerts - t.inside) / t.days).toFixed(2)} | ${pct(t.windowsPeaked, t.windows)}, ${pct(t.peaksInside, t.alerts)} | ${(t.ms / 1000).toFixed(1)} s |`,
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
  out.push(
    '| incident | series, statistic | method | found (first alert after start) | alerts on the statistic | on the incident (precision) |',
  );
  out.push('|---|---|---|---|---|---|');
  const cases = [
    { kind: 'latency_regression', groupBy: ['endpoint'], statistic: 'p50' },
    { kind: 'outage', groupBy: ['endpoint', 'region'], statistic: 'error_rate' },
  ] as const;
  for (const c of cases) {
    const inc = fleet.incidents.find((i) => i.kind === c.kind)!;
    for (const [label, options] of [
      ['auto, point by point (before)', { method: 'auto', confirm: '1', novelty: '0', gap: '0' }],
      ['robust_z', { method: 'robust_z' }],
      ['auto (default)', {}],
    ] as const) {
      const method = label;
      const r = await runAnomalies(ctx, {
        ...base,
        groupBy: [...c.groupBy],
        options: { statistic: c.statistic, ...options },
      });
      const list = r.anomalies as { series: Record<string, string>; time: string; end: string; method: string }[];
      const onSeries = (a: (typeof list)[number]) => Object.entries(inc.tags).every(([k, v]) => a.series[k] === v);
      const hits = list.filter(
        (a) => onSeries(a) && Date.parse(a.end) > inc.start - HOUR && Date.parse(a.time) < inc.stop + HOUR,
      );
      const first = hits.map((a) => Date.parse(a.time)).sort((a, b) => a - b)[0];
      const found = first !== undefined && first <= inc.start + 6 * HOUR;
      const used = [...new Set(list.filter(onSeries).map((a) => a.method))].join(',') || '-';
      out.push(
        `| ${c.kind} (${Object.values(inc.tags).join(', ')}) | ${c.groupBy.join('+')}, ${c.statistic} | ${method} (${used}) | ${found ? `yes (${signedMinutes(first! - inc.start)})` : 'no'} | ${list.length} | ${hits.length} (${list.length ? ((100 * hits.length) / list.length).toFixed(0) : 0} %) |`,
      );
    }
  }
  const reg = fleet.incidents.find((i) => i.kind === 'latency_regression')!;
  const regs = await runRegressions(ctx, { ...base, groupBy: ['endpoint'], options: {} });
  const items = regs.regressions as {
    series: Record<string, string>;
    change_pct: number;
    severity: string;
    change_time: string | null;
    direction: string;
  }[];
  const mine = items.find((x) => x.series.endpoint === reg.tags.endpoint);
  out.push(
    '',
    `Regressions on the same data (per endpoint; around the change point found, else the last 24 h against the rest): ${items.length} listed; ` +
      (mine
        ? `${reg.tags.endpoint}: ${mine.direction} ${mine.change_pct.toFixed(1)} % (${mine.severity}), change_time ${mine.change_time} against the planted ${new Date(reg.start).toISOString()}`
        : `${reg.tags.endpoint} not found`),
  );
  await store.close();
  return out;
}

const lines = [`machine: ${machine()}`, '', ...nab(), '', ...(await demo())];
process.stdout.write(`${lines.join('\n')}\n`);
