// Charts of analysis results (docs/analyses.md) and of circuit-breaker transitions.
import type { TopLevelSpec } from 'vega-lite';
import type { FailurePatternsResponse } from '../analysis/failure-patterns.js';
import type { TrendsResponse } from '../analysis/trends.js';
import type { WorkloadResponse } from '../analysis/workload.js';
import { HOUR_MS } from '../time/buckets.js';
import { distinctLabels, NO_LABEL } from './labels.js';
import { emptyChart } from './series.js';
import { ALERT, formatTime, OKABE_ITO, seriesName, specHead, timeAxis, toWall, WIDTH } from './theme.js';
import type { BreakerTransition, Chart, ChartContext } from './types.js';

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Rows of a horizontal bar chart: one row per item, labels on the y axis; the chart grows with the rows. */
const barHeight = (n: number): number => Math.max(60, Math.min(22 * n, 700));

const MAX_BARS = 20;

/** One horizontal bar per row, longest first, labelled on the y axis: the layer trends and workload both draw. */
function horizontalBars(rows: object[], label: string, value: string, valueTitle: string, color: object) {
  return {
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      y: { field: label, type: 'nominal', sort: '-x', title: label, axis: { labelLimit: 220 } },
      x: { field: value, type: 'quantitative', title: valueTitle },
      color,
    },
  };
}

/** What the trends chart reads of the trends analysis's answer. */
export interface TrendsChartInput {
  trends: readonly Pick<
    TrendsResponse['trends'][number],
    'series' | 'metric' | 'direction' | 'change_pct' | 'p_value'
  >[];
}

/** Change over the range per series, largest changes first, coloured by direction. */
export function trendsChart(r: TrendsChartInput, ctx: ChartContext): Chart {
  const items = r.trends.filter((t) => num(t.change_pct) !== null);
  const metric = items[0]?.metric ?? 'metric';
  const title = `Trends of ${metric}: change over the range per series`;
  if (!items.length) return emptyChart('trends', title, ctx);
  items.sort((a, b) => Math.abs(b.change_pct!) - Math.abs(a.change_pct!));
  const shown = items.slice(0, MAX_BARS);
  const rows = shown.map((t) => ({
    series: clip(seriesName(t.series), 48),
    change: t.change_pct!,
    direction: t.direction ?? 'stable',
    p: num(t.p_value),
  }));
  const spec = {
    ...specHead(
      ctx,
      title,
      WIDTH - 200,
      barHeight(rows.length),
      items.length > shown.length ? `the ${shown.length} largest of ${items.length} changes` : '',
    ),
    ...horizontalBars(rows, 'series', 'change', 'change over the range (%)', {
      field: 'direction',
      type: 'nominal',
      title: 'direction',
      scale: { domain: ['increasing', 'stable', 'decreasing'], range: [ALERT, '#999999', OKABE_ITO[0]] },
    }),
  } as TopLevelSpec;
  return { type: 'trends', spec, title, series: rows.length, empty: false };
}

/** What the workload chart reads of the workload analysis's answer. */
export interface WorkloadChartInput extends Pick<WorkloadResponse, 'gini' | 'cv'> {
  workers: readonly Pick<WorkloadResponse['workers'][number], 'worker' | 'tasks' | 'success_rate'>[];
}

/** Tasks per worker with the fleet's Gini coefficient and coefficient of variation in the title. */
export function workloadChart(r: WorkloadChartInput, ctx: ChartContext): Chart {
  const workers = r.workers.filter((w) => typeof w.worker === 'string' && num(w.tasks) !== null);
  const gini = num(r.gini);
  const cv = num(r.cv);
  const title = `Tasks per worker${gini === null ? '' : `: Gini ${gini.toFixed(3)}`}${cv === null ? '' : `, CV ${cv.toFixed(3)}`}`;
  if (!workers.length) return emptyChart('workload', title, ctx);
  workers.sort((a, b) => b.tasks! - a.tasks!);
  const shown = workers.slice(0, 60);
  const rows = shown.map((w) => ({
    worker: w.worker!,
    tasks: w.tasks!,
    success: num(w.success_rate) === null ? null : w.success_rate! * (w.success_rate! <= 1 ? 100 : 1),
  }));
  const meanTasks = workers.reduce((a, w) => a + w.tasks!, 0) / workers.length;
  const spec = {
    ...specHead(
      ctx,
      title,
      WIDTH - 200,
      barHeight(rows.length),
      'Gini 0 = every worker ran the same number of tasks, 1 = one worker ran them all; dashed: mean',
      workers.length > shown.length ? `the ${shown.length} busiest of ${workers.length} workers` : '',
    ),
    layer: [
      horizontalBars(rows, 'worker', 'tasks', 'tasks (count)', {
        field: 'success',
        type: 'quantitative',
        title: 'success rate (%)',
        scale: { scheme: 'blues', domainMax: 100 },
      }),
      {
        data: { values: [{ mean: meanTasks }] },
        mark: { type: 'rule', strokeDash: [6, 3], color: 'black' },
        encoding: { x: { field: 'mean', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
  return { type: 'workload', spec, title, series: rows.length, empty: false };
}

/** What the failure-patterns chart reads of the failure-patterns analysis's answer. */
export interface FailurePatternsChartInput {
  patterns: readonly Pick<
    FailurePatternsResponse['patterns'][number],
    'fingerprint' | 'category' | 'example' | 'count' | 'first_seen' | 'last_seen'
  >[];
}

/** Characters of a failure pattern's row label; the whole message is in the bar's hover text. */
export const PATTERN_LABEL_CHARS = 48;
/** Characters of a breaker's row label. */
export const BREAKER_LABEL_CHARS = 40;

/** "21 Nov 2026 02:00 – 21 Nov 2026 20:00 (UTC)": a bar's span in its hover text. */
const spanText = (from: number, to: number, tz: string): string =>
  `${formatTime(from, tz)} – ${formatTime(to, tz)} (${tz})`;
/** A bar's hover text (the SVG's aria-label and <title>), written out rather than vega's list of encoded fields. */
const HOVER = { description: { field: 'hover', type: 'nominal' } };

/**
 * The most frequent failure fingerprints as bars from first to last sighting, labelled with their counts. Row
 * labels are the example messages shortened in the middle (distinct, never empty); hovering a bar gives the whole
 * message, its fingerprint, category, count and sightings. The time axis spans the analysed range.
 */
export function failurePatternsChart(r: FailurePatternsChartInput, ctx: ChartContext): Chart {
  const items = r.patterns.filter(
    (p) =>
      num(p.count) !== null &&
      Number.isFinite(Date.parse(p.first_seen ?? '')) &&
      Number.isFinite(Date.parse(p.last_seen ?? '')),
  );
  const title = `Top failure patterns: when each was seen, and how often`;
  if (!items.length) return emptyChart('failure-patterns', title, ctx);
  items.sort((a, b) => b.count! - a.count!);
  const shown = items.slice(0, 12);
  const messages = shown.map((p) => (p.example?.trim() ? p.example : p.fingerprint?.trim() ? p.fingerprint : ''));
  const labels = distinctLabels(messages, PATTERN_LABEL_CHARS);
  const [lo, hi] = [toWall(ctx.start, ctx.tz), toWall(ctx.stop, ctx.tz)];
  const rows = shown.map((p, i) => {
    const t0 = Math.max(toWall(Date.parse(p.first_seen!), ctx.tz), lo);
    // A pattern seen once still gets a visible bar (one hour wide), within the range.
    const t1 = Math.min(Math.max(toWall(Date.parse(p.last_seen!), ctx.tz), t0 + HOUR_MS), hi);
    const category = p.category ?? 'other';
    return {
      label: labels[i]!,
      hover: `${messages[i] || NO_LABEL} · ${p.count!} failures (${category}${p.fingerprint ? `, fingerprint ${p.fingerprint}` : ''}) · seen ${spanText(Date.parse(p.first_seen!), Date.parse(p.last_seen!), ctx.tz)}`,
      category,
      count: p.count!,
      t0,
      t1,
    };
  });
  const y = {
    field: 'label',
    type: 'nominal',
    sort: { field: 'count', order: 'descending' },
    title: 'failure (example message)',
    axis: { labelLimit: 0, maxExtent: 480 },
  };
  const spec = {
    ...specHead(
      ctx,
      title,
      WIDTH - 260,
      barHeight(rows.length),
      `bar: first to last seen; label: failures (count); hover a bar for the whole message${items.length > shown.length ? ` · top ${shown.length} of ${items.length}` : ''}`,
    ),
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', cornerRadius: 2, height: 14, clip: true },
        encoding: {
          y,
          x: timeAxis(ctx.tz, 't0', ctx),
          x2: { field: 't1' },
          color: { field: 'category', type: 'nominal', title: 'category', scale: { range: OKABE_ITO } },
          ...HOVER,
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, aria: false },
        encoding: {
          y,
          x: { field: 't1', type: 'temporal', scale: { type: 'utc' } },
          text: { field: 'count', type: 'quantitative' },
        },
      },
    ],
  } as TopLevelSpec;
  return { type: 'failure-patterns', spec, title, series: rows.length, empty: false };
}

export const BREAKER_STATE_COLOURS: Record<string, string> = { closed: '#56B4E9', half_open: '#E69F00', open: ALERT };

/** One row per breaker: its state over time from its transitions (unknown before the first in range). */
export function circuitBreakersChart(events: BreakerTransition[], ctx: ChartContext): Chart {
  const title = 'Circuit breaker states over time';
  const byBreaker = new Map<string, BreakerTransition[]>();
  for (const e of events) {
    const { breaker, ...rest } = e.tags;
    const name = [breaker ?? '?', seriesName(rest) === 'all' ? '' : seriesName(rest)].filter(Boolean).join(' @ ');
    const xs = byBreaker.get(name) ?? [];
    xs.push(e);
    byBreaker.set(name, xs);
  }
  const rows: { breaker: string; state: string; t0: number; t1: number; hover: string }[] = [];
  const openMs = new Map<string, number>();
  for (const [name, xs] of byBreaker) {
    xs.sort((a, b) => a.time - b.time);
    for (let i = 0; i < xs.length; i++) {
      const from = Math.max(xs[i]!.time, ctx.start);
      const to = Math.min(xs[i + 1]?.time ?? ctx.stop, ctx.stop);
      if (to <= from) continue;
      rows.push({
        breaker: name,
        state: xs[i]!.state,
        t0: toWall(from, ctx.tz),
        t1: toWall(to, ctx.tz),
        hover: `${name} · ${xs[i]!.state} · ${spanText(from, to, ctx.tz)}`,
      });
      if (xs[i]!.state !== 'closed') openMs.set(name, (openMs.get(name) ?? 0) + to - from);
    }
  }
  if (!rows.length) return emptyChart('circuit-breakers', title, ctx);
  // The breakers that spent longest away from closed; the rest are summarised in the subtitle.
  const names = [...byBreaker.keys()].sort((a, b) => (openMs.get(b) ?? 0) - (openMs.get(a) ?? 0) || a.localeCompare(b));
  const shownNames = names.slice(0, 20);
  const shown = new Set(shownNames);
  // Row labels shortened in the middle, distinct; the whole name is in the hover text.
  const labelOf = new Map(distinctLabels(shownNames, BREAKER_LABEL_CHARS).map((l, i) => [shownNames[i]!, l]));
  const drawn = rows.filter((r) => shown.has(r.breaker)).map((r) => ({ ...r, label: labelOf.get(r.breaker)! }));
  const spec = {
    ...specHead(
      ctx,
      title,
      WIDTH - 160,
      barHeight(shown.size),
      `${byBreaker.size} breakers, ${events.length} transitions${names.length > shown.size ? ` · the ${shown.size} longest not closed` : ''}`,
    ),
    data: { values: drawn },
    mark: { type: 'bar', height: 14 },
    encoding: {
      y: {
        field: 'label',
        type: 'nominal',
        title: 'breaker',
        sort: shownNames.map((n) => labelOf.get(n)!),
        axis: { labelLimit: 0, maxExtent: 480 },
      },
      x: timeAxis(ctx.tz, 't0', ctx),
      x2: { field: 't1' },
      ...HOVER,
      color: {
        field: 'state',
        type: 'nominal',
        title: 'state',
        scale: { domain: Object.keys(BREAKER_STATE_COLOURS), range: Object.values(BREAKER_STATE_COLOURS) },
      },
    },
  } as TopLevelSpec;
  return { type: 'circuit-breakers', spec, title, series: shown.size, empty: false };
}
