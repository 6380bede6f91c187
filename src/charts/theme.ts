// The look every chart shares: a colour-blind-safe palette, fonts that exist on a headless server, and time shown
// in the reader's zone. Vega draws a "utc" scale without reading the process's zone, so each time is shifted by its
// zone's offset at that instant: the axis then prints the wall-clock time of `tz`, DST changes included.
import { DateTime } from 'luxon';
import type { Config } from 'vega-lite';
import { wrapLines } from './text.js';
import type { ChartContext } from './types.js';

/** Okabe & Ito (2008), "Color Universal Design": distinguishable with the common colour-vision deficiencies. */
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
/** At most this many series per chart: one per palette colour, so no two series share a colour. */
export const MAX_SERIES = OKABE_ITO.length;
/** Marks problems (outages, anomalies, open breakers): vermillion, kept apart from the series colours where it can. */
export const ALERT = '#D55E00';

export const WIDTH = 760;
export const HEIGHT = 320;

/** Fonts installed on Debian servers (fonts-liberation, fonts-dejavu) first, so SVG and PNG measure alike. */
export const FONT = 'Liberation Sans, DejaVu Sans, Arial, Helvetica, sans-serif';

const TITLE_FONT_SIZE = 15;
const SUBTITLE_FONT_SIZE = 12;

export const CONFIG: Config = {
  font: FONT,
  background: 'white',
  padding: 12,
  title: {
    fontSize: TITLE_FONT_SIZE,
    subtitleFontSize: SUBTITLE_FONT_SIZE,
    subtitleColor: '#444',
    anchor: 'start',
    offset: 10,
  },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6', labelColor: '#333', titleColor: '#222' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260, titleLimit: 400, orient: 'bottom', columns: 2 },
  range: { category: OKABE_ITO },
  view: { stroke: '#ccc' },
};

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Range and filters first, then the chart's own notes: every chart's subtitle reads the same way. */
export function subtitle(ctx: ChartContext, ...more: string[]): string[] {
  const first = [rangeLabel(ctx), filterLabel(ctx.filters)].filter(Boolean).join(' · ');
  return [first, ...more.filter(Boolean)];
}

/** Widths a caller may ask for (the dashboard asks for its panel's width, so text is drawn at its own size). */
export const MIN_WIDTH = 320;
export const MAX_WIDTH = 2400;

/**
 * The opening every chart spec shares: schema, theme, size, and the title with its subtitle. With `ctx.width` the
 * whole chart (axes, labels, legend and padding included) is fitted to that width; otherwise the plot is `width`.
 */
export function specHead(ctx: ChartContext, title: string, width: number, height: number, ...notes: string[]) {
  const lines = subtitle(ctx, ...notes);
  if (ctx.width === undefined)
    return { $schema: SCHEMA, config: CONFIG, width, height, title: { text: title, subtitle: lines } };
  // Fitted: the title and its notes wrap to the width, or they would push the chart narrower (and be cut off).
  const total = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, ctx.width));
  const room = total - 2 * (CONFIG.padding as number) - 4;
  return {
    $schema: SCHEMA,
    config: CONFIG,
    width: total,
    height,
    autosize: { type: 'fit-x', contains: 'padding' },
    title: {
      text: wrapLines([title], room, TITLE_FONT_SIZE, true),
      subtitle: wrapLines(lines, room, SUBTITLE_FONT_SIZE),
    },
  };
}

/** ms -> ms of the wall-clock time in `tz` read as UTC (for vega's utc scales). */
export function toWall(ms: number, tz: string): number {
  const dt = DateTime.fromMillis(ms, { zone: tz });
  return ms + dt.offset * 60_000;
}

/** "21 Nov 2026 00:00" in `tz`. */
export function formatTime(ms: number, tz: string): string {
  return DateTime.fromMillis(ms, { zone: tz }).toFormat('d LLL yyyy HH:mm');
}

/** "21 Nov 2026 00:00 – 28 Nov 2026 00:00 (UTC)". */
export function rangeLabel(ctx: Pick<ChartContext, 'start' | 'stop' | 'tz'>): string {
  return `${formatTime(ctx.start, ctx.tz)} – ${formatTime(ctx.stop, ctx.tz)} (${ctx.tz})`;
}

export function filterLabel(filters: Record<string, string[]> | undefined): string {
  const parts = Object.entries(filters ?? {}).map(([k, v]) => `${k}=${v.join('|')}`);
  return parts.length ? `filter ${parts.join(', ')}` : '';
}

/** A series' name from its tag set: the values in key order ("checkout / eu-west"), or "all" for the merged group. */
export function seriesName(tags: Record<string, string | null> | undefined): string {
  const entries = Object.entries(tags ?? {});
  if (!entries.length) return 'all';
  return entries.map(([, v]) => v ?? '(none)').join(' / ');
}

/**
 * The time axis: wall-clock times of `tz`, its name in the title. Given `range` ([start, stop) of the chart), the
 * axis spans exactly that range, so what the subtitle says is what the axis shows, wherever the data starts.
 */
export function timeAxis(
  tz: string,
  field = 't',
  range?: Pick<ChartContext, 'start' | 'stop'>,
): Record<string, unknown> {
  return {
    field,
    type: 'temporal',
    // domainMin/domainMax rather than domain: vega-lite merges an explicit domain badly with an x2 channel.
    scale: range
      ? { type: 'utc', domainMin: toWall(range.start, tz), domainMax: toWall(range.stop, tz), nice: false }
      : { type: 'utc' },
    title: `time (${tz})`,
    axis: { format: '%d %b %H:%M', labelAngle: 0, labelOverlap: true, tickCount: 8 },
  };
}

/** Units for axis titles: latency is in ms, other metrics carry the unit in their name when they have one. */
export function metricUnit(metric: string): string {
  if (metric.endsWith('_ms')) return 'ms';
  if (metric.endsWith('_mb')) return 'MB';
  if (metric.endsWith('_s') || metric.endsWith('_seconds')) return 's';
  if (metric.endsWith('_pct')) return '%';
  return '';
}

export function metricTitle(metric: string, what = ''): string {
  const unit = metricUnit(metric);
  return `${what ? `${what} ` : ''}${metric}${unit ? ` (${unit})` : ''}`;
}
