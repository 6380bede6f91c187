// Time-series charts over the aggregates and forecast responses: latency, availability, anomalies, forecast.
import type { TopLevelSpec } from 'vega-lite';
import type { AggregatesJson, BucketJson } from '../aggregates/index.js';
import type { AnomaliesResponse } from '../analysis/anomalies.js';
import { bucketValue, type Statistic } from '../analysis/series.js';
import { seriesIdentity } from '../store/state.js';
import {
  ALERT,
  HEIGHT,
  MAX_SERIES,
  metricTitle,
  OKABE_ITO,
  rangeLabel,
  seriesName,
  specHead,
  timeAxis,
  toWall,
  WIDTH,
} from './theme.js';
import type { Chart, ChartContext, ChartType, ForecastJson } from './types.js';

/** The chart that says there is nothing to draw, rather than an empty frame that looks like a broken chart. */
export function emptyChart(type: ChartType, title: string, ctx: ChartContext, reason?: string): Chart {
  const message = reason ?? `No data for ${rangeLabel(ctx)}`;
  const spec = {
    ...specHead(ctx, title, WIDTH, 120),
    data: { values: [{ message }] },
    mark: { type: 'text', fontSize: 16, color: '#444' },
    encoding: { text: { field: 'message', type: 'nominal' } },
  } as TopLevelSpec;
  return { type, spec, title, series: 0, empty: true };
}

const groupWord = (groupBy: string[]): string => (groupBy.length ? groupBy.join(' and ') : 'all results merged');
/** One palette colour per group, the legend titled by what the groups are. */
const groupColor = (groupBy: string[]) => ({
  field: 'series',
  type: 'nominal',
  title: groupWord(groupBy),
  scale: { range: OKABE_ITO },
});
/** Time, the metric (not forced to zero, so changes stay visible) and a colour per group: latency and anomaly lines. */
const metricLineEncoding = (agg: AggregatesJson, ctx: ChartContext) => ({
  x: timeAxis(ctx.tz, 't', ctx),
  y: { field: 'v', type: 'quantitative', title: metricTitle(agg.metric), scale: { zero: false } },
  color: groupColor(agg.group_by),
});

/** Each group's name and buckets, keeping at most `limit`, ranked by `score` (highest first). */
function pick(
  agg: AggregatesJson,
  score: (buckets: BucketJson[]) => number,
  limit: number,
): { shown: { name: string; buckets: BucketJson[] }[]; total: number; untagged: number } {
  // Results without one of the group-by tags (e.g. benchmarks in a chart by endpoint and region) are not a group
  // to compare: "(none) / us-west" next to real endpoints said nothing.
  const tagged = agg.series.filter((s) => agg.group_by.every((k) => s.group[k] != null));
  const all = tagged
    .map((s) => ({ name: seriesName(s.group), buckets: s.buckets, score: score(s.buckets) }))
    .filter((s) => Number.isFinite(s.score));
  all.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
  return { shown: all.slice(0, limit), total: all.length, untagged: agg.series.length - tagged.length };
}

const untaggedNote = (n: number, groupBy: string[]): string =>
  n ? `results without ${groupBy.join(' or ')} not drawn` : '';

/**
 * The buckets a line draws: the one still filling (`partial`, the current hour or day) is left out, since a
 * handful of results in it read as a jump (availability at 100 % after three probes) — and the note says so.
 */
const closed = (buckets: BucketJson[]): BucketJson[] => buckets.filter((b) => !b.partial);
const partialNote = (series: { buckets: BucketJson[] }[], period: string): string =>
  series.some((s) => s.buckets.some((b) => b.partial)) ? `the current ${period}, still filling, is not drawn` : '';

/** Points over a line that are not drawn but give each value on hover (vega's description as an SVG <title>). */
const HOVER_POINT = { filled: true, size: 50, opacity: 0, aria: true };

/**
 * Values on hover for a line chart of `rows` points, up to MAX_HOVER_POINTS: each costs about 150 bytes of SVG, and
 * a week of hourly latency by endpoint (2,700 points) made a chart of 700 kB and an HTML report of 2.4 MB.
 */
const MAX_HOVER_POINTS = 1000;
const hoverPoints = (rows: number) => (rows <= MAX_HOVER_POINTS ? HOVER_POINT : false);

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

export interface SeriesChartOptions {
  /** Groups drawn at most (default and maximum: one per palette colour). */
  limit?: number;
}

/** The caller's limit, never more groups than the palette has colours. */
const seriesLimit = (o: SeriesChartOptions): number => Math.min(o.limit ?? MAX_SERIES, MAX_SERIES);

/** Mean (solid) and p95 (dashed) of the metric per group over time; with many groups, the slowest by mean p95. */
export function latencyChart(agg: AggregatesJson, ctx: ChartContext, o: SeriesChartOptions = {}): Chart {
  const title = `${agg.metric}: mean and p95 per ${agg.period}, by ${groupWord(agg.group_by)}`;
  const limit = seriesLimit(o);
  const { shown, total, untagged } = pick(
    agg,
    (bs) => mean(bs.flatMap((b) => (b.stats?.p95 == null ? [] : [b.stats.p95]))),
    limit,
  );
  const rows: { t: number; series: string; statistic: string; v: number }[] = [];
  for (const s of shown) {
    for (const b of closed(s.buckets)) {
      if (!b.stats || b.stats.mean === null) continue;
      const t = toWall(Date.parse(b.start), ctx.tz);
      rows.push({ t, series: s.name, statistic: 'mean', v: b.stats.mean });
      if (b.stats.p95 !== null) rows.push({ t, series: s.name, statistic: 'p95', v: b.stats.p95 });
    }
  }
  if (!rows.length) return emptyChart('latency', title, ctx);
  const note = [
    total > shown.length ? `the ${shown.length} slowest of ${total} groups by mean p95` : '',
    untaggedNote(untagged, agg.group_by),
    partialNote(shown, agg.period),
  ]
    .filter(Boolean)
    .join(' · ');
  const spec = {
    ...specHead(ctx, title, WIDTH, HEIGHT, note),
    data: { values: rows },
    // The line itself has no hover text (it would be its first point's); invisible points carry each value.
    mark: { type: 'line', strokeWidth: 2, interpolate: 'linear', aria: false, point: hoverPoints(rows.length) },
    encoding: {
      ...metricLineEncoding(agg, ctx),
      strokeDash: {
        field: 'statistic',
        type: 'nominal',
        title: 'statistic',
        scale: {
          domain: ['mean', 'p95'],
          range: [
            [1, 0],
            [6, 3],
          ],
        },
        legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolStrokeColor: '#333' },
      },
    },
  } as TopLevelSpec;
  return { type: 'latency', spec, title, series: shown.length * 2, empty: false };
}

export interface AvailabilityOptions extends SeriesChartOptions {
  /** Buckets below this availability (%) are shaded as outages (default 90). */
  outageBelowPct?: number;
}

/** Availability per group over time with outage buckets shaded; with many groups, the least available ones. */
export function availabilityChart(agg: AggregatesJson, ctx: ChartContext, o: AvailabilityOptions = {}): Chart {
  const title = `Availability per ${agg.period}, by ${groupWord(agg.group_by)}`;
  const limit = seriesLimit(o);
  const below = o.outageBelowPct ?? 90;
  const { shown, total, untagged } = pick(
    agg,
    (bs) => {
      // Worst bucket first, so a short outage outranks a steady small loss; the failure share breaks ties.
      let n = 0;
      let ok = 0;
      let worst = 100;
      for (const b of closed(bs)) {
        n += b.test_count;
        ok += b.success_count;
        if (b.availability_pct !== null) worst = Math.min(worst, b.availability_pct);
      }
      return n ? 100 - worst + (1 - ok / n) / 2 : Number.NaN;
    },
    limit,
  );
  const rows: { t: number; series: string; v: number }[] = [];
  // One shaded window per bucket in which any shown group is below the threshold (not one per group: overlapping
  // translucent windows would darken with the number of groups rather than mark the time).
  const outageAt = new Map<number, { t0: number; t1: number; groups: number }>();
  for (const s of shown) {
    for (const b of closed(s.buckets)) {
      if (b.availability_pct === null) continue;
      const t = toWall(Date.parse(b.start), ctx.tz);
      rows.push({ t, series: s.name, v: b.availability_pct });
      if (b.availability_pct < below) {
        const w = outageAt.get(t) ?? { t0: t, t1: toWall(Date.parse(b.end), ctx.tz), groups: 0 };
        w.groups++;
        outageAt.set(t, w);
      }
    }
  }
  if (!rows.length) return emptyChart('availability', title, ctx);
  const outages = [...outageAt.values()];
  const low = Math.min(...rows.map((r) => r.v));
  const note = [
    total > shown.length ? `the ${shown.length} of ${total} groups with the worst ${agg.period}` : '',
    `shaded: ${outages.length} ${agg.period}${outages.length === 1 ? '' : 's'} with a shown group below ${below} %`,
    untaggedNote(untagged, agg.group_by),
    partialNote(shown, agg.period),
  ]
    .filter(Boolean)
    .join(' · ');
  const layers: Record<string, unknown>[] = [];
  if (outages.length) {
    layers.push({
      data: { values: outages },
      mark: { type: 'rect', color: ALERT, opacity: 0.16, aria: false },
      encoding: { x: timeAxis(ctx.tz, 't0', ctx), x2: { field: 't1' } },
    });
  }
  layers.push({
    data: { values: rows },
    mark: {
      type: 'line',
      strokeWidth: 2,
      interpolate: 'step-after',
      aria: false,
      point: rows.length <= 48 * shown.length ? { filled: true, aria: true } : hoverPoints(rows.length),
    },
    encoding: {
      x: timeAxis(ctx.tz, 't', ctx),
      y: {
        field: 'v',
        type: 'quantitative',
        title: 'availability (%)',
        scale: { domain: [Math.max(0, Math.floor(Math.min(low, 99) - 1)), 100], clamp: true },
      },
      color: groupColor(agg.group_by),
    },
  });
  const spec = {
    ...specHead(ctx, title, WIDTH, HEIGHT, note),
    layer: layers,
  } as unknown as TopLevelSpec;
  return { type: 'availability', spec, title, series: shown.length, empty: false };
}

const statisticTitle = (statistic: string, metric: string): string => {
  if (statistic === 'availability_pct') return 'availability (%)';
  if (statistic === 'test_count') return 'tests per period';
  return metricTitle(metric, statistic);
};

/** The forecast chart's range: from its first history point to its last forecast point (`fallback` when it has none). */
export function forecastContext(fc: ForecastJson, fallback: ChartContext): ChartContext {
  const times = [...fc.history, ...fc.forecast].map((x) => Date.parse(x.time)).filter(Number.isFinite);
  return times.length ? { ...fallback, start: Math.min(...times), stop: Math.max(...times) } : fallback;
}

/** History, the forecast line and its prediction interval as a band. */
export function forecastChart(fc: ForecastJson, ctx: ChartContext): Chart {
  const what =
    fc.statistic === 'availability_pct' || fc.statistic === 'test_count'
      ? fc.statistic
      : `${fc.statistic} ${fc.metric}`;
  const title = `Forecast of ${what} per ${fc.period}${fc.tags && Object.keys(fc.tags).length ? ` for ${seriesName(fc.tags)}` : ''}`;
  const history = fc.history
    .filter((h) => h.value !== null)
    .map((h) => ({ t: toWall(Date.parse(h.time), ctx.tz), v: h.value, part: 'history' }));
  const forecast = fc.forecast.map((f) => ({
    t: toWall(Date.parse(f.time), ctx.tz),
    v: f.value,
    lo: f.lower,
    hi: f.upper,
    part: 'forecast',
  }));
  if (!history.length && !forecast.length) return emptyChart('forecast', title, ctx);
  const band = `${fc.level} % prediction interval`;
  const bt = fc.backtest;
  const note = `model ${fc.model.name} · backtest MASE ${bt.mase.toFixed(2)} (${bt.baseline} ${bt.baseline_mase.toFixed(2)}), sMAPE ${bt.smape.toFixed(1)} %, interval coverage ${(bt.coverage * (bt.coverage <= 1 ? 100 : 1)).toFixed(0)} %`;
  // The forecast line starts at the last observed point so the two lines join.
  const last = history[history.length - 1];
  const line = last ? [{ ...last, part: 'forecast', lo: last.v, hi: last.v }, ...forecast] : forecast;
  const color = {
    field: 'part',
    type: 'nominal',
    title: null,
    scale: { domain: ['history', 'forecast', band], range: [OKABE_ITO[0], OKABE_ITO[1], '#E69F0055'] },
  };
  const spec = {
    ...specHead(ctx, title, WIDTH, HEIGHT, note),
    layer: [
      {
        data: { values: line.map((r) => ({ ...r, part: band })) },
        mark: { type: 'area', opacity: 0.3, aria: false },
        encoding: {
          x: timeAxis(ctx.tz, 't', ctx),
          y: { field: 'lo', type: 'quantitative' },
          y2: { field: 'hi' },
          color,
        },
      },
      {
        data: { values: history },
        mark: { type: 'line', strokeWidth: 2, aria: false, point: HOVER_POINT },
        encoding: {
          x: timeAxis(ctx.tz, 't', ctx),
          y: {
            field: 'v',
            type: 'quantitative',
            title: statisticTitle(fc.statistic, fc.metric),
            scale: { zero: false },
          },
          color,
        },
      },
      {
        data: { values: line },
        mark: { type: 'line', strokeWidth: 2, strokeDash: [6, 3], aria: false, point: HOVER_POINT },
        encoding: { x: timeAxis(ctx.tz, 't', ctx), y: { field: 'v', type: 'quantitative' }, color },
      },
    ],
  } as TopLevelSpec;
  return { type: 'forecast', spec, title, series: 3, empty: false };
}

type AnomalyItem = AnomaliesResponse['anomalies'][number];

/**
 * What the anomalies chart reads of the anomalies analysis's answer. An episode without its span (start, end,
 * peak_time) is marked at its time and not shaded.
 */
export interface AnomaliesChartInput extends Partial<Pick<AnomaliesResponse, 'statistic'>> {
  anomalies: readonly (Pick<AnomalyItem, 'series' | 'time' | 'value'> &
    Partial<Pick<AnomalyItem, 'statistic' | 'start' | 'end' | 'peak_time'>>)[];
}

/** The tags of a group that it has (the analyses leave absent keys out of an item's `series`). */
const present = (group: Record<string, string | null>): Record<string, string> =>
  Object.fromEntries(Object.entries(group).filter((e): e is [string, string] => e[1] !== null));

/**
 * Each anomalous series drawn as its own line of the statistic the detector judged (p50 by default), with its
 * episodes shaded and each episode's strongest bucket marked at its value: the aggregates must be grouped as the
 * analysis was (its `group_by`). A mark on a line of another statistic or a merged group (1,000-3,500 ms
 * functional-test anomalies on a 150 ms merged latency line) said nothing. Series with the most anomalies first.
 */
export function anomaliesChart(
  agg: AggregatesJson,
  anomalies: AnomaliesChartInput,
  ctx: ChartContext,
  o: SeriesChartOptions = {},
): Chart {
  const items = anomalies.anomalies;
  const title = `Anomalies in ${agg.metric}: ${items.length} found, by ${groupWord(agg.group_by)}`;
  const statistic: Statistic = anomalies.statistic ?? items[0]?.statistic ?? 'p50';
  const keyOf = (tags: Record<string, string>): string => seriesIdentity(tags);
  const counts = new Map<string, number>();
  for (const a of items) counts.set(keyOf(a.series), (counts.get(keyOf(a.series)) ?? 0) + 1);
  const lines = agg.series
    .map((s) => {
      const tags = present(s.group);
      return { key: seriesIdentity(tags), name: seriesName(tags), buckets: s.buckets };
    })
    .filter((s) => counts.has(s.key))
    .sort((a, b) => (counts.get(b.key) ?? 0) - (counts.get(a.key) ?? 0) || a.name.localeCompare(b.name))
    .slice(0, seriesLimit(o));
  const byKey = new Map(lines.map((l) => [l.key, l.name]));
  const rows = lines.flatMap((s) =>
    closed(s.buckets).flatMap((b) => {
      const v = bucketValue(b, statistic);
      return v && Number.isFinite(v.value)
        ? [{ t: toWall(Date.parse(b.start), ctx.tz), series: s.name, v: v.value }]
        : [];
    }),
  );
  const drawn = items.filter((a) => byKey.has(keyOf(a.series)) && Number.isFinite(Date.parse(a.peak_time ?? a.time)));
  const marks = drawn.map((a) => ({
    t: toWall(Date.parse(a.peak_time ?? a.time), ctx.tz),
    v: a.value,
    series: byKey.get(keyOf(a.series))!,
    kind: 'anomaly',
  }));
  const spans = drawn
    .filter((a) => a.start !== undefined && a.end !== undefined)
    .map((a) => ({
      t0: toWall(Date.parse(a.start!), ctx.tz),
      t1: toWall(Date.parse(a.end!), ctx.tz),
      series: byKey.get(keyOf(a.series))!,
    }));
  if (!rows.length && !marks.length)
    return emptyChart('anomalies', title, ctx, items.length ? undefined : `No anomalies for ${rangeLabel(ctx)}`);
  const note = [
    `line: ${statistic} per ${agg.period} of each series with anomalies; shaded: episodes; diamonds: their strongest bucket`,
    items.length > drawn.length ? `${drawn.length} of ${items.length} on the series shown` : '',
    partialNote(lines, agg.period),
  ]
    .filter(Boolean)
    .join(' · ');
  const layers: Record<string, unknown>[] = [];
  if (spans.length) {
    layers.push({
      data: { values: spans },
      mark: { type: 'rect', color: ALERT, opacity: 0.12, aria: false },
      encoding: { x: timeAxis(ctx.tz, 't0', ctx), x2: { field: 't1' } },
    });
  }
  layers.push(
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 1.5, interpolate: 'linear', aria: false },
      encoding: {
        x: timeAxis(ctx.tz, 't', ctx),
        y: { field: 'v', type: 'quantitative', title: statisticTitle(statistic, agg.metric), scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: 'series', scale: { range: OKABE_ITO } },
      },
    },
    {
      data: { values: marks },
      mark: { type: 'point', filled: true, size: 90, stroke: 'black', strokeWidth: 0.8, color: ALERT },
      encoding: {
        x: timeAxis(ctx.tz, 't', ctx),
        y: { field: 'v', type: 'quantitative' },
        shape: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['anomaly'], range: ['diamond'] } },
      },
    },
  );
  const spec = { ...specHead(ctx, title, WIDTH, HEIGHT, note), layer: layers } as unknown as TopLevelSpec;
  return { type: 'anomalies', spec, title, series: lines.length, empty: false };
}
