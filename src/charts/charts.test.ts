// Charts drawn from contract-shaped data: the SVG parses as XML and shows the series, marks, axis titles (with
// units and the time zone) and legend the data calls for; the PNG decodes at twice the SVG's size.

import * as vega from 'vega';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import * as f from '../../test/support/fixtures/charts.js';
import {
  decodePng,
  findAll,
  hasClass,
  linePaths,
  parseXml,
  textOf,
  textsIn,
  type XmlNode,
} from '../../test/support/svg.js';
import type { FailurePatternsResponse } from '../analysis/failure-patterns.js';
import { PATTERN_LABEL_CHARS } from './findings.js';
import {
  anomaliesChart,
  availabilityChart,
  circuitBreakersChart,
  failurePatternsChart,
  forecastChart,
  latencyChart,
  renderSvg,
  svgToPng,
  trendsChart,
  workloadChart,
} from './index.js';
import { NO_LABEL } from './labels.js';
import type { AnomaliesChartInput } from './series.js';
import { textWidth } from './text.js';
import { toWall } from './theme.js';
import type { Chart } from './types.js';

const ctx = { tz: 'UTC', start: f.T0, stop: f.T0 + 24 * f.HOUR };

async function draw(chart: Chart): Promise<{ svg: string; root: XmlNode }> {
  const svg = await renderSvg(chart);
  return { svg, root: parseXml(svg) };
}

/** Marks of one vega mark type that the chart's data drew (axes and legends excluded). */
const marksOf = (root: XmlNode, type: string): XmlNode[] =>
  findAll(root, (n) => hasClass(`mark-${type}`)(n) && hasClass('role-mark')(n)).flatMap((g) =>
    g.children.filter((c) => c.tag === 'path'),
  );

describe('latency chart', () => {
  it('draws mean and p95 lines per group with axis titles in ms and the time zone', async () => {
    const { root } = await draw(latencyChart(f.aggregates(), ctx));
    expect(root.tag).toBe('svg');
    expect(linePaths(root)).toHaveLength(6);
    expect(textsIn(root, 'role-axis-title')).toEqual(expect.arrayContaining(['time (UTC)', 'latency_ms (ms)']));
    expect(textsIn(root, 'role-legend-label')).toEqual(
      expect.arrayContaining(['api', 'checkout', 'search', 'mean', 'p95']),
    );
    const title = textsIn(root, 'role-title-text').join(' ');
    expect(title).toContain('mean and p95 per hour, by endpoint');
    expect(textsIn(root, 'role-title-subtitle').join(' ')).toContain('21 Nov 2026 00:00 – 22 Nov 2026 00:00 (UTC)');
  });

  it('keeps the eight slowest groups when there are more, and says so', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `ep${String(i).padStart(2, '0')}`);
    const chart = latencyChart(f.aggregates(names), ctx);
    const { root } = await draw(chart);
    expect(linePaths(root)).toHaveLength(16);
    const labels = textsIn(root, 'role-legend-label');
    // p95 grows with the index: the three fastest (ep00..ep02) are left out.
    expect(labels).not.toContain('ep00');
    expect(labels).toContain('ep10');
    expect(textsIn(root, 'role-title-subtitle').join(' ')).toContain('the 8 slowest of 11 groups');
  });

  it("shows the zone's wall-clock time on the axis (Asia/Kolkata is UTC+5:30)", async () => {
    const chart = latencyChart(f.aggregates(['api'], 3), { tz: 'Asia/Kolkata', start: f.T0, stop: f.T0 + 3 * f.HOUR });
    const { root } = await draw(chart);
    expect(textsIn(root, 'role-axis-title')).toContain('time (Asia/Kolkata)');
    expect(textsIn(root, 'role-title-subtitle').join(' ')).toContain(
      '21 Nov 2026 05:30 – 21 Nov 2026 08:30 (Asia/Kolkata)',
    );
    const labels = textsIn(root, 'role-axis-label').join(' ');
    expect(labels).toMatch(/21 Nov 0[5-8]:\d\d/);
    expect(labels).not.toMatch(/21 Nov 0[0-2]:\d\d/);
  });

  it('says "No data for" the range instead of drawing an empty frame', async () => {
    const chart = latencyChart(f.emptyAggregates(), ctx);
    expect(chart.empty).toBe(true);
    const { root } = await draw(chart);
    expect(linePaths(root)).toHaveLength(0);
    expect(findAll(root, (n) => n.tag === 'text').map((n) => n.text)).toContain(
      'No data for 21 Nov 2026 00:00 – 22 Nov 2026 00:00 (UTC)',
    );
  });
});

describe('availability chart', () => {
  it('draws one line per group and shades each bucket below the outage threshold', async () => {
    const { root } = await draw(availabilityChart(f.aggregates(), ctx));
    expect(linePaths(root)).toHaveLength(3);
    expect(marksOf(root, 'rect')).toHaveLength(2);
    expect(textsIn(root, 'role-axis-title')).toEqual(expect.arrayContaining(['time (UTC)', 'availability (%)']));
    expect(textsIn(root, 'role-title-subtitle').join(' ')).toContain('shaded: 2 hours with a shown group below 90 %');
  });

  it('shades an hour once however many groups are down in it, and leaves out results without the group tags', async () => {
    const agg = f.aggregates(['api', 'checkout']);
    // api is down in hour 10 too, as checkout is; a series without an endpoint is down all day.
    agg.series[0]!.buckets[10] = f.bucket(10, 100, 10, 20, 40);
    agg.series.push({
      group: { endpoint: null },
      buckets: Array.from({ length: 24 }, (_, i) => f.bucket(i, 10, 1, 900, 5000)),
    });
    const { root } = await draw(availabilityChart(agg, ctx));
    expect(marksOf(root, 'rect')).toHaveLength(2);
    expect(linePaths(root)).toHaveLength(2);
    expect(textsIn(root, 'role-title-subtitle').join(' ')).toContain('results without endpoint not drawn');
  });

  it('leaves out a group that lacks one of two group-by tags', async () => {
    const agg = f.aggregates(['api', 'checkout']);
    agg.group_by = ['endpoint', 'region'];
    for (const s of agg.series) s.group = { ...s.group, region: 'eu' };
    agg.series.push({
      group: { endpoint: null, region: 'eu' },
      buckets: Array.from({ length: 24 }, (_, i) => f.bucket(i, 10, 1, 900, 5000)),
    });
    const { root } = await draw(availabilityChart(agg, ctx));
    expect(linePaths(root)).toHaveLength(2);
    expect(textsIn(root, 'role-title-subtitle').join(' ')).toContain('results without endpoint or region not drawn');
  });

  it('shades nothing when the threshold is below every bucket', async () => {
    const { root } = await draw(availabilityChart(f.aggregates(), ctx, { outageBelowPct: 40 }));
    expect(marksOf(root, 'rect')).toHaveLength(0);
  });
});

describe('forecast chart', () => {
  it('draws history, the forecast line and the interval band with a legend for each', async () => {
    const { root } = await draw(forecastChart(f.forecast(), { ...ctx, stop: f.T0 + 60 * f.HOUR }));
    expect(linePaths(root)).toHaveLength(2);
    expect(marksOf(root, 'area')).toHaveLength(1);
    expect(textsIn(root, 'role-legend-label')).toEqual(['history', 'forecast', '80 % prediction interval']);
    expect(textsIn(root, 'role-axis-title')).toContain('mean latency_ms (ms)');
    expect(textsIn(root, 'role-title-subtitle').join(' ')).toContain(
      'backtest MASE 0.71 (seasonal_naive 1.00), sMAPE 8.2 %, interval coverage 83 %',
    );
  });
});

describe('anomalies chart', () => {
  /** The rows of the chart's layer that draws `mark`. */
  const layerRows = (chart: Chart, mark: string): Record<string, unknown>[] => {
    const layers = (chart.spec as { layer: { mark: { type: string }; data: { values: Record<string, unknown>[] } }[] })
      .layer;
    return layers.find((l) => l.mark.type === mark)?.data.values ?? [];
  };

  it('draws each anomalous series as its own line of the judged statistic, with its anomalies on it', async () => {
    const chart = anomaliesChart(f.aggregates(), { ...f.anomalies(), statistic: 'p95' }, ctx);
    const { root } = await draw(chart);
    // api and checkout have anomalies; search has none and is not drawn.
    expect(linePaths(root)).toHaveLength(2);
    expect(marksOf(root, 'symbol')).toHaveLength(2);
    expect(textsIn(root, 'role-title-text').join(' ')).toContain('2 found');
    expect(textsIn(root, 'role-axis-title')).toContain('p95 latency_ms (ms)');
    // The line is the p95 of each bucket, not the mean.
    const api = f.aggregates().series[0]!.buckets;
    const rows = layerRows(chart, 'line').filter((r) => r.series === 'api');
    expect(rows.map((r) => r.v)).toEqual(api.map((b) => b.stats!.p95));
  });

  it('leaves out an anomaly whose series is not a drawn group, and shades an episode from start to end', async () => {
    // Episodes without their span are marked, not shaded: only the first one here has a span.
    const [first, second] = f.anomalies().anomalies.map(({ start: _s, end: _e, peak_time: _p, ...a }) => a);
    const items: AnomaliesChartInput['anomalies'] = [
      { ...first!, start: '2026-11-21T10:00:00Z', end: '2026-11-21T13:00:00Z', peak_time: '2026-11-21T11:00:00Z' },
      second!,
      // A functional test's anomaly: its series is {test}, which no endpoint line is.
      { series: { test: 'login' }, time: first!.time, value: 3500 },
    ];
    const chart = anomaliesChart(f.aggregates(), { anomalies: items }, ctx);
    const { root } = await draw(chart);
    expect(marksOf(root, 'symbol')).toHaveLength(2);
    expect(
      layerRows(chart, 'point')
        .map((r) => r.v)
        .sort(),
    ).toEqual([120, 190]);
    expect(marksOf(root, 'rect')).toHaveLength(1);
    expect(textsIn(root, 'role-title-subtitle').join(' ')).toContain('2 of 3 on the series shown');
  });
});

describe('partial buckets', () => {
  it('leaves the bucket still filling out of the availability and latency lines, and says so', async () => {
    const agg = f.aggregates(['api']);
    // The current hour: three probes so far, all fine (100 %), after a bad hour.
    agg.series[0]!.buckets[22] = f.bucket(22, 100, 60, 30, 50);
    agg.series[0]!.buckets[23] = { ...f.bucket(23, 3, 3, 500, 900), partial: true };
    for (const chart of [availabilityChart(agg, ctx), latencyChart(agg, ctx)]) {
      const rows = chart.spec as {
        layer?: { data: { values: { t: number }[] } }[];
        data?: { values: { t: number }[] };
      };
      const values = rows.data?.values ?? rows.layer!.at(-1)!.data.values;
      const last = Math.max(...values.map((r) => r.t));
      expect(last).toBe(f.T0 + 22 * f.HOUR);
      const { root } = await draw(chart);
      expect(textsIn(root, 'role-title-subtitle').join(' ')).toContain('the current hour, still filling, is not drawn');
    }
  });
});

describe('analysis charts', () => {
  it('trends: one bar per series, coloured by direction', async () => {
    const { root } = await draw(trendsChart(f.trends(), ctx));
    expect(marksOf(root, 'rect')).toHaveLength(3);
    expect(textsIn(root, 'role-axis-title')).toContain('change over the range (%)');
    expect(textsIn(root, 'role-legend-label')).toEqual(['increasing', 'stable', 'decreasing']);
  });

  it('workload: one bar per worker and the Gini coefficient in the title', async () => {
    const { root } = await draw(workloadChart(f.workload(), ctx));
    expect(marksOf(root, 'rect')).toHaveLength(3);
    expect(textsIn(root, 'role-title-text').join(' ')).toContain('Gini 0.089');
    expect(textsIn(root, 'role-axis-title')).toContain('tasks (count)');
  });

  it('failure patterns: one bar per fingerprint with its count', async () => {
    const { root } = await draw(failurePatternsChart(f.failurePatterns(), ctx));
    expect(marksOf(root, 'rect')).toHaveLength(2);
    const texts = findAll(root, (n) => hasClass('mark-text')(n) && hasClass('role-mark')(n)).flatMap((g) =>
      findAll(g, (n) => n.tag === 'text').map((t) => t.text),
    );
    expect(texts.sort()).toEqual(['17', '42']);
  });

  it('circuit breakers: one band per state interval, clipped to the range', async () => {
    const { root } = await draw(circuitBreakersChart(f.breakerEvents(), ctx));
    // payments: closed, open, half_open, closed; search: closed.
    expect(marksOf(root, 'rect')).toHaveLength(5);
    expect(textsIn(root, 'role-legend-label')).toEqual(['closed', 'half_open', 'open']);
  });

  it('every analysis chart says "No data" for an empty list', async () => {
    const charts = [
      trendsChart({ trends: [] }, ctx),
      workloadChart({ workers: [], gini: null, cv: null }, ctx),
      failurePatternsChart({ patterns: [] }, ctx),
      circuitBreakersChart([], ctx),
    ];
    for (const chart of charts) {
      expect(chart.empty).toBe(true);
      const { svg } = await draw(chart);
      expect(svg).toContain('No data for 21 Nov 2026 00:00');
    }
  });
});

// ---- labels and axes that say what the chart shows (issue 16, point 6) ----

const iso = (ms: number): string => new Date(ms).toISOString();
/** The x scale's domain as vega computes it (epoch ms of the zone's wall-clock time). */
async function xDomain(chart: Chart): Promise<number[]> {
  const view = new vega.View(vega.parse(compile(chart.spec).spec), { renderer: 'none' });
  try {
    await view.runAsync();
    return (view.scale('x').domain() as (Date | number)[]).map(Number);
  } finally {
    view.finalize();
  }
}

/** Failure patterns as the demo fleet's planted failures produce them: long messages alike up to their tails. */
function lookAlikePatterns(): FailurePatternsResponse {
  const tests = ['checkout-flow', 'checkout-refund', 'login-sso', 'login-password', 'search-suggest', 'search-filters'];
  const patterns = tests.flatMap((test, i) =>
    [1, 2].map((step) =>
      f.pattern({
        fingerprint: `fp-${test}-${step}`,
        category: 'validation',
        example: `expected status 200 but got 500 at step ${step} of ${test}`,
        count: 100 - 7 * i - step,
        first_seen: iso(f.T0 + (3 + i) * f.HOUR),
        last_seen: iso(f.T0 + (10 + i) * f.HOUR),
      }),
    ),
  );
  // One with no message at all: its row still needs a name.
  patterns.push(
    f.pattern({
      fingerprint: '',
      category: 'other',
      example: '',
      count: 3,
      first_seen: iso(f.T0 + 5 * f.HOUR),
      last_seen: iso(f.T0 + 5 * f.HOUR),
    }),
  );
  return f.failurePatterns(patterns.slice(0, 11).concat(patterns.slice(-1)));
}

describe('labels and axes', () => {
  it('shortens look-alike failure messages in the middle: every row label distinct, non-empty and whole on the axis', async () => {
    const res = lookAlikePatterns();
    const chart = failurePatternsChart(res, ctx);
    const { root } = await draw(chart);
    const labels = findAll(root, (n) => hasClass('role-axis-label')(n)).flatMap((g) =>
      findAll(g, (n) => n.tag === 'text').map(textOf),
    );
    const rows = labels.filter((l) => !/^\d\d \w{3} \d\d:\d\d$/.test(l));
    expect(rows).toHaveLength(12);
    expect(new Set(rows).size).toBe(12);
    for (const l of rows) {
      expect(l.trim()).not.toBe('');
      expect(l.length).toBeLessThanOrEqual(PATTERN_LABEL_CHARS);
    }
    // The distinguishing tail ("step 2 of login-sso") survives the shortening.
    expect(rows.some((l) => l.includes('2 of login-sso'))).toBe(true);
    expect(rows).toContain(NO_LABEL);
    // Hovering a bar gives the whole message.
    const titles = findAll(root, (n) => n.tag === 'title').map(textOf);
    expect(titles.some((t) => t.startsWith('expected status 200 but got 500 at step 2 of login-sso · '))).toBe(true);
  });

  it('the failure-pattern and circuit-breaker time axes span exactly the requested range', async () => {
    const week = { tz: 'Europe/Berlin', start: f.T0 - 7 * 24 * f.HOUR, stop: f.T0 };
    const late = (h: number) => f.T0 - h * f.HOUR;
    const events = [
      { time: late(30), state: 'open', tags: { breaker: 'export-client', worker: 'export-eu-west-1' } },
      { time: late(29), state: 'closed', tags: { breaker: 'export-client', worker: 'export-eu-west-1' } },
      { time: late(20), state: 'open', tags: { breaker: 'export-client', worker: 'export-eu-west-2' } },
      { time: late(12), state: 'half_open', tags: { breaker: 'export-client', worker: 'export-eu-west-2' } },
    ];
    const patterns = f.failurePatterns([
      f.pattern({
        fingerprint: 'a',
        category: 'timeout',
        example: 'timeout',
        count: 4,
        first_seen: iso(late(5)),
        last_seen: iso(late(2)),
      }),
    ]);
    const wall = [toWall(week.start, week.tz), toWall(week.stop, week.tz)];
    for (const chart of [circuitBreakersChart(events, week), failurePatternsChart(patterns, week)]) {
      expect(await xDomain(chart), chart.type).toEqual(wall);
      const { root } = await draw(chart);
      expect(textsIn(root, 'role-title-subtitle').join(' ')).toContain(
        '14 Nov 2026 01:00 – 21 Nov 2026 01:00 (Europe/Berlin)',
      );
    }
    // Breakers whose names differ only at the end keep their ends apart.
    const { root } = await draw(circuitBreakersChart(events, week));
    const rows = findAll(root, (n) => hasClass('role-axis-label')(n))
      .flatMap((g) => findAll(g, (n) => n.tag === 'text').map(textOf))
      .filter((l) => l.startsWith('export-client'));
    expect(rows.sort()).toEqual(['export-client @ export-eu-west-1', 'export-client @ export-eu-west-2']);
  });

  it('latency and availability axes span the range even when the data covers only part of it', async () => {
    const wide = { ...ctx, stop: f.T0 + 48 * f.HOUR };
    for (const chart of [latencyChart(f.aggregates(), wide), availabilityChart(f.aggregates(), wide)]) {
      expect(await xDomain(chart), chart.type).toEqual([wide.start, wide.stop]);
    }
  });

  it('draws the whole chart at the width asked for, and gives each point its value on hover', async () => {
    const { root } = await draw(latencyChart(f.aggregates(), { ...ctx, width: 600 }));
    expect(Number(root.attrs.width)).toBe(600);
    const titles = findAll(root, (n) => n.tag === 'title').map(textOf);
    // 3 endpoints x 24 hours x (mean, p95).
    expect(titles).toHaveLength(144);
    expect(titles).toContain('time (UTC): 21 Nov 00:00; latency_ms (ms): 40; endpoint: search; statistic: mean');
  });

  it('gives hover values up to 1,000 points a chart, and leaves them out of a dense one (a week of hours by 8 endpoints)', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `endpoint-${i}`);
    const week = { ...ctx, stop: f.T0 + 168 * f.HOUR };
    const dense = await draw(latencyChart(f.aggregates(names, 168), week));
    expect(findAll(dense.root, (n) => n.tag === 'title')).toHaveLength(0);
    expect(linePaths(dense.root).length).toBeGreaterThan(0);
    // The titles replace vega's aria-labels: the text is written once per point.
    const sparse = await draw(latencyChart(f.aggregates(names, 62), { ...ctx, stop: f.T0 + 62 * f.HOUR }));
    expect(findAll(sparse.root, (n) => n.tag === 'title')).toHaveLength(8 * 62 * 2);
    expect(sparse.svg).not.toContain('aria-label="time');
  });

  it("wraps a long title and notes to a narrow width instead of giving the plot's room to them", async () => {
    const names = Array.from({ length: 11 }, (_, i) => `endpoint-${String(i).padStart(2, '0')}`);
    const width = 420;
    const { root } = await draw(availabilityChart(f.aggregates(names), { ...ctx, width }));
    expect(Number(root.attrs.width)).toBe(width);
    // One <tspan> per line.
    const subtitle = findAll(root, hasClass('role-title-subtitle')).flatMap((g) =>
      findAll(g, (n) => n.tag === 'tspan').map(textOf),
    );
    expect(subtitle.length).toBeGreaterThan(2);
    for (const line of subtitle) expect(textWidth(line, 12), line).toBeLessThanOrEqual(width);
    // Every note is still there, only on more lines.
    expect(subtitle.join(' ')).toContain('the 8 of 11 groups with the worst hour');
    const plot = findAll(root, (n) => n.tag === 'path' && n.attrs.class === 'background').map(
      (n) => /h(\d+)/.exec(n.attrs.d ?? '')?.[1],
    );
    expect(Number(plot[0])).toBeGreaterThan(0.6 * width);
  });
});

describe('PNG', () => {
  it('decodes, at twice the SVG size', async () => {
    const svg = await renderSvg(latencyChart(f.aggregates(), ctx));
    const root = parseXml(svg);
    const png = decodePng(svgToPng(svg));
    expect(png.width).toBe(2 * Number(root.attrs.width));
    expect(png.height).toBe(2 * Number(root.attrs.height));
  });
});
