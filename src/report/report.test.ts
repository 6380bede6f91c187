// Reports over a real DuckDB store: the numbers are checked against a direct computation from the rows written,
// the HTML validates and stands alone, the CSV round-trips through a CSV parser, every section is there.
import { parse as parseCsv } from 'csv-parse/sync';
import { HtmlValidate } from 'html-validate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as f from '../../test/support/fixtures/charts.js';
import { batchOf, expectedOf, HOUR, type Row, type7 } from '../../test/support/helpers.js';
import { parseXml } from '../../test/support/svg.js';
import { Cancelled } from '../cancellation.js';
import { invalid, unavailable } from '../errors.js';
import { DuckDBStore } from '../store/duckdb/index.js';
import {
  createReport,
  type Report,
  ReportRequest,
  renderReport,
  SECTION_TITLES,
  SECTIONS_OF,
  storeSources,
} from './index.js';
import type { ReportSources } from './sources.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const STOP = Date.UTC(2026, 10, 23, 10);
const START = STOP - 7 * 24 * HOUR;
/** A tag value with a comma and quotes, to exercise escaping in every format. */
const ODD = 'search, "v2"';
const ENDPOINTS = ['api', 'checkout', ODD];
const REGIONS = ['eu', 'us'];

function makeRows(): Row[] {
  const rows: Row[] = [];
  let k = 0;
  for (let h = 0; h < 72; h++) {
    for (const [e, endpoint] of ENDPOINTS.entries()) {
      for (const [r, region] of REGIONS.entries()) {
        for (let i = 0; i < 3; i++) {
          k++;
          // checkout in us fails every 7th result; everything else every 97th.
          const fail = endpoint === 'checkout' && region === 'us' ? k % 7 === 0 : k % 97 === 0;
          rows.push({
            t: START + 24 * HOUR + h * HOUR + i * 600_000 + e * 1000 + r,
            success: !fail,
            latency: 10 + 20 * e + ((k * 37) % 50) + (h > 60 ? 15 : 0),
            tags: { endpoint, region, worker: `w-${region}-${i}` },
          });
        }
      }
    }
  }
  // Functional tests without endpoint or region: in the overall figures, not in the per-endpoint tables.
  for (let h = 0; h < 24; h++)
    rows.push({ t: START + 30 * HOUR + h * HOUR, success: h % 4 !== 0, latency: 500, tags: { test: 'login_flow' } });
  // Outside the range: must not count.
  rows.push({
    t: START - HOUR,
    success: false,
    latency: 9999,
    tags: { endpoint: 'api', region: 'eu', worker: 'w-eu-0' },
  });
  return rows;
}

let store: DuckDBStore;
let sources: ReportSources;
const rows = makeRows();
const inRange = rows.filter((r) => r.t >= START && r.t < STOP);

beforeAll(async () => {
  store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
  await store.write(batchOf(rows));
  // Circuit breakers answer with none (their timeline is drawn from the store's transitions); the other analyses'
  // sections are reported as not built, so these tests see the store's sections alone.
  sources = storeSources(store, () => NOW, { analysis: f.canned({ 'circuit-breakers': f.noBreakers() }) });
});
afterAll(async () => {
  await store.close();
});

const request = (o: Partial<ReportRequest> = {}): ReportRequest =>
  ReportRequest.parse({ type: 'comprehensive', format: 'json', days: 7, ...o });
const sectionOf = (r: Report, id: string) => r.sections.find((s) => s.id === id)!;
const figure = (r: Report, id: string, label: string) => sectionOf(r, id).figures.find((x) => x.label === label)?.value;

describe('report content', () => {
  it('has every section of the comprehensive report, in order, over the requested days', async () => {
    const { report } = await createReport(sources, request());
    expect(report.sections.map((s) => s.id)).toEqual(SECTIONS_OF.comprehensive);
    expect(report.start).toBe(new Date(START).toISOString().replace('.000', ''));
    expect(report.stop).toBe(new Date(STOP).toISOString().replace('.000', ''));
  });

  it('overview figures equal a direct computation from the rows in range', async () => {
    const { report } = await createReport(sources, request({ type: 'summary' }));
    const e = expectedOf(inRange);
    expect(figure(report, 'overview', 'Tests run')).toBe(e.test_count);
    expect(figure(report, 'overview', 'Failures')).toBe(e.failure_count);
    expect(figure(report, 'overview', 'Availability')).toBeCloseTo(e.availability_pct!, 3);
    expect(figure(report, 'overview', 'Mean latency')).toBeCloseTo(e.stats.mean!, 2);
    expect(figure(report, 'overview', 'p95 latency')).toBeCloseTo(e.stats.p95!, 2);
    expect(figure(report, 'overview', 'Endpoints')).toBe(3);
    expect(figure(report, 'overview', 'Workers')).toBe(6);
    const daily = sectionOf(report, 'daily').tables[0]!;
    // Part days at both ends, cut at the range: the rows add up to the range's tests exactly.
    expect(daily.rows[0]![0]).toBe('2026-11-16T10:00:00Z');
    expect(daily.rows[1]![0]).toBe('2026-11-17T00:00:00Z');
    expect(daily.rows.reduce((a, r) => a + (r[1] as number), 0)).toBe(e.test_count);
    for (const row of daily.rows) {
      const from = Date.parse(row[0] as string);
      const day = inRange.filter(
        (r) => r.t >= from && r.t < Math.min(STOP, Date.UTC(2026, 10, new Date(from).getUTCDate() + 1)),
      );
      expect(row[1]).toBe(day.length);
      expect(row[2]).toBe(expectedOf(day).failure_count);
    }
  });

  it('latency per endpoint: count, mean and R-7 percentiles of each endpoint over the whole range', async () => {
    const { report } = await createReport(sources, request({ type: 'performance' }));
    const t = sectionOf(report, 'latency').tables.find((x) => x.id === 'latency-by-endpoint')!;
    expect(t.rows).toHaveLength(3);
    for (const row of t.rows) {
      const mine = inRange.filter((r) => r.tags!.endpoint === row[0]);
      const lat = mine.map((r) => r.latency!);
      const e = expectedOf(mine);
      expect(row[1]).toBe(e.stats.count);
      // Rounded to 2 decimals in the report.
      const near = (got: unknown, want: number) =>
        expect(Math.abs((got as number) - want)).toBeLessThanOrEqual(0.005 + 1e-9);
      near(row[2], e.stats.mean!);
      near(row[3], type7(lat, 0.5));
      near(row[4], type7(lat, 0.95));
      near(row[5], type7(lat, 0.99));
    }
    // Slowest p95 first.
    expect(t.rows.map((r) => r[4] as number)).toEqual([...t.rows.map((r) => r[4] as number)].sort((a, b) => b - a));
  });

  it('SLA view: availability and error budget per endpoint and region against the target', async () => {
    const { report } = await createReport(sources, request({ type: 'availability', sla_target_pct: 99 }));
    const s = sectionOf(report, 'sla');
    const t = s.tables[0]!;
    expect(t.rows).toHaveLength(6);
    for (const row of t.rows) {
      const mine = inRange.filter((r) => r.tags!.endpoint === row[0] && r.tags!.region === row[1]);
      const e = expectedOf(mine);
      const allowed = e.test_count * 0.01;
      expect(row.slice(2, 4)).toEqual([e.test_count, e.failure_count]);
      expect(row[4]).toBeCloseTo(e.availability_pct!, 3);
      expect(row[6]).toBe(e.availability_pct! >= 99);
      expect(row[8]).toBeCloseTo(100 * (1 - e.failure_count / allowed), 1);
    }
    // checkout/us fails every 7th: it misses the target and comes first (least budget left).
    expect(t.rows[0]!.slice(0, 2)).toEqual(['checkout', 'us']);
    expect(t.rows[0]![6]).toBe(false);
    const meeting = ENDPOINTS.flatMap((e) =>
      REGIONS.map((r) => expectedOf(inRange.filter((x) => x.tags!.endpoint === e && x.tags!.region === r))),
    ).filter((x) => x.availability_pct! >= 99).length;
    expect(meeting).toBeLessThan(6);
    expect(figure(report, 'sla', 'Endpoint-region pairs meeting the target')).toBe(`${meeting} of 6`);
  });

  it('says plainly which sections could not be built, and fills them once the source answers', async () => {
    const unanswered = storeSources(store, () => NOW, { analysis: f.canned({}) });
    const { report } = await createReport(unanswered, request({ type: 'anomaly' }));
    for (const id of ['anomalies', 'failure-patterns', 'flaky-tests', 'circuit-breakers']) {
      const s = sectionOf(report, id);
      expect(s.available, id).toBe(false);
      expect(s.note).toBe(`This section could not be built: no ${id} analysis among the canned answers.`);
      expect(s.tables).toEqual([]);
    }
    const wired = storeSources(store, () => NOW, {
      analysis: f.canned({ anomalies: f.anomalies(), workload: f.workload(), 'failure-patterns': f.failurePatterns() }),
      forecast: async () => f.forecast(),
    });
    const full = (await createReport(wired, request({ format: 'html' }))).report;
    expect(sectionOf(full, 'anomalies').available).toBe(true);
    expect(sectionOf(full, 'anomalies').tables[0]!.rows).toHaveLength(2);
    expect(figure(full, 'workload', 'Gini coefficient of tasks per worker')).toBe(0.0889);
    expect(sectionOf(full, 'forecast').tables[0]!.rows).toHaveLength(12);
    expect(sectionOf(full, 'trends').available).toBe(false);
    for (const id of ['anomalies', 'workload', 'failure-patterns', 'forecast']) {
      expect(sectionOf(full, id).charts[0]?.svg, id).toBeTruthy();
    }
  });

  it('keeps the report when the forecaster cannot answer, and says why in the forecast section', async () => {
    for (const e of [
      invalid('not enough history to forecast: needs at least 72 hourly buckets'),
      unavailable('too many forecasts waiting'),
    ]) {
      const busy = storeSources(store, () => NOW, {
        forecast: async () => {
          throw e;
        },
      });
      const s = sectionOf((await createReport(busy, request())).report, 'forecast');
      expect(s.available).toBe(true);
      expect(s.note).toBe(`No forecast: ${e.message}`);
      expect(s.charts).toEqual([]);
    }
  });

  it('builds the forecast before the other sections and keeps it in its place, failed or not', async () => {
    const asked: string[] = [];
    // Without its memoized view, so that the report reads through the watched methods.
    const { memoized: _view, ...base } = storeSources(store, () => NOW, { forecast: async () => f.forecast() });
    const watched = (forecast: typeof base.forecast): ReportSources => ({
      ...base,
      forecast: async (q) => {
        asked.push('forecast');
        return forecast(q);
      },
      totals: async (q) => {
        asked.push('totals');
        return base.totals(q);
      },
    });
    const ok = (await createReport(watched(base.forecast), request())).report;
    expect(asked[0]).toBe('forecast');
    expect(ok.sections.map((s) => s.id)).toEqual(SECTIONS_OF.comprehensive);
    expect(sectionOf(ok, 'forecast').tables[0]!.rows).toHaveLength(12);
    asked.length = 0;
    const failing = watched(async () => {
      throw new Error('the worker fell over');
    });
    const bad = (await createReport(failing, request())).report;
    expect(asked[0]).toBe('forecast');
    expect(bad.sections.map((s) => s.id)).toEqual(SECTIONS_OF.comprehensive);
    expect(sectionOf(bad, 'forecast').available).toBe(false);
    expect(sectionOf(bad, 'overview').available).toBe(true);
    // A client that leaves while the forecast is built: no other section is built.
    asked.length = 0;
    const left = watched(async () => {
      throw new Cancelled();
    });
    await expect(createReport(left, request())).rejects.toBeInstanceOf(Cancelled);
    expect(asked).toEqual(['forecast']);
  });

  it('filters by tag', async () => {
    const { report } = await createReport(sources, request({ type: 'summary', filter: { region: 'us' } }));
    expect(figure(report, 'overview', 'Tests run')).toBe(inRange.filter((r) => r.tags!.region === 'us').length);
  });
});

describe('report formats', () => {
  it('HTML validates, stands alone, and shows every section title and the key numbers', async () => {
    const { body, report } = await createReport(sources, request({ format: 'html' }));
    const result = await new HtmlValidate({ extends: ['html-validate:recommended'] }).validateString(body);
    const messages = result.results.flatMap((r) => r.messages.map((m) => `${m.ruleId}: ${m.message} (line ${m.line})`));
    expect(messages).toEqual([]);
    expect(result.valid).toBe(true);
    for (const s of report.sections) expect(body).toContain(`<h2>${s.title}</h2>`);
    for (const title of SECTIONS_OF.comprehensive.map((id) => SECTION_TITLES[id])) expect(body).toContain(title);
    const e = expectedOf(inRange);
    expect(body).toContain(`<dd>${e.test_count.toLocaleString('en-US')}</dd>`);
    expect(body).toContain(`<dd>${e.failure_count.toLocaleString('en-US')}</dd>`);
    expect(body).toContain(
      `${(Math.round(e.availability_pct! * 1000) / 1000).toLocaleString('en-US', { maximumFractionDigits: 3 })} %`,
    );
    expect(body).toContain('search, &quot;v2&quot;');
    // Offline: no scripts, nothing loaded from elsewhere.
    expect(body).not.toMatch(/<script|<link|<img|\bsrc=|href="(?!#)|url\(/i);
    // Charts are inline SVG that parse as XML.
    const svgs = body.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.length).toBeGreaterThanOrEqual(4);
    for (const svg of svgs) expect(parseXml(svg).tag).toBe('svg');
  });

  it('CSV round-trips through a CSV parser into the same tables', async () => {
    const { report } = await createReport(sources, request({ format: 'csv' }));
    const csv = renderReport(report, 'csv');
    expect(csv.endsWith('\r\n')).toBe(true);
    const records = parseCsv(csv, { columns: true, skip_empty_lines: false }) as Record<string, string>[];
    expect(Object.keys(records[0]!)).toEqual(['section', 'table', 'row', 'column', 'value']);
    for (const s of report.sections) {
      for (const t of s.tables) {
        const mine = records.filter((r) => r.section === s.id && r.table === t.id);
        expect(mine).toHaveLength(t.rows.length * t.columns.length);
        for (const rec of mine) {
          const v = t.rows[Number(rec.row) - 1]![t.columns.indexOf(rec.column!)];
          expect(rec.value).toBe(v === null ? '' : String(v));
        }
      }
      const avail = records.find((r) => r.section === s.id && r.table === 'section' && r.column === 'available');
      expect(avail?.value).toBe(String(s.available));
    }
    expect(records.some((r) => r.value === ODD)).toBe(true);
  });

  it('CSV quotes by RFC 4180 and keeps formula-like text as text', () => {
    const r: Report = {
      type: 'summary',
      title: 't',
      generated_at: '',
      tz: 'UTC',
      start: '',
      stop: '',
      days: 1,
      filter: {},
      sla_target_pct: 99.9,
      sections: [
        {
          id: 's',
          title: 'S',
          available: true,
          figures: [],
          charts: [],
          tables: [
            {
              id: 't',
              title: 'T',
              columns: ['a'],
              rows: [
                ['=SUM(A1)'],
                ['-x'],
                [-5],
                ['line\r\nbreak'],
                ['say "hi", then'],
                [null],
                [true],
                ['-2+3'],
                ['-1.5'],
                ['-.5e3'],
                ['-2-cmd|calc'],
              ],
            },
          ],
        },
      ],
    };
    const csv = renderReport(r, 'csv');
    expect(csv).toContain(`s,t,4,a,"line\r\nbreak"\r\n`);
    expect(csv).toContain(`s,t,5,a,"say ""hi"", then"\r\n`);
    const values = (parseCsv(csv, { columns: true }) as Record<string, string>[])
      .filter((x) => x.table === 't')
      .map((x) => x.value);
    expect(values).toEqual([
      "'=SUM(A1)",
      "'-x",
      '-5',
      'line\r\nbreak',
      'say "hi", then',
      '',
      'true',
      "'-2+3",
      '-1.5',
      '-.5e3',
      "'-2-cmd|calc",
    ]);
  });

  it('Markdown shows text from the data literally: no HTML, no links, no broken tables', () => {
    const evil = '<img src=x onerror=alert(1)> [click](javascript:alert(1)) a|b & *c*';
    const r: Report = {
      type: 'summary',
      title: `Summary ${evil}`,
      generated_at: '',
      tz: 'UTC',
      start: '',
      stop: '',
      days: 1,
      filter: { endpoint: ['<b>x</b>'] },
      sla_target_pct: 99.9,
      sections: [
        {
          id: 's',
          title: 'S',
          available: true,
          note: evil,
          figures: [],
          charts: [],
          tables: [{ id: 't', title: 'T', columns: ['a'], rows: [[evil]] }],
        },
      ],
    };
    const md = renderReport(r, 'markdown');
    expect(md).not.toMatch(/<(img|b)\b/);
    expect(md).not.toMatch(/(?<!\\)\[click(?<!\\)\]\(/);
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt; \\[click\\](javascript:alert(1)) a\\|b &amp; \\*c\\*');
    expect(md).toContain('| &lt;img src=x onerror=alert(1)&gt; \\[click\\](javascript:alert(1)) a\\|b &amp; \\*c\\* |');
  });

  it('JSON is the report as data without the chart drawings; Markdown has every section and table', async () => {
    const { report } = await createReport(sources, request({ format: 'markdown' }));
    const json = JSON.parse(renderReport(report, 'json')) as Report;
    expect(json.sections.map((s) => s.title)).toEqual(report.sections.map((s) => s.title));
    expect(JSON.stringify(json)).not.toContain('<svg');
    expect(json.sections[0]!.figures).toEqual(report.sections[0]!.figures);
    const md = renderReport(report, 'markdown');
    for (const s of report.sections) expect(md).toContain(`\n## ${s.title}\n`);
    expect(md).toContain('| endpoint | tests | mean (ms) | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | stddev (ms) |');
    expect(md).toContain('search, "v2"');
    expect(md).toMatch(/!\[[^\]]+\]\(data:image\/svg\+xml;base64,/);
    expect(md).toContain(
      '> **Not available.** This section could not be built: no trends analysis among the canned answers.',
    );
  });
});

describe('report request', () => {
  it('rejects what it does not understand, naming the field', () => {
    const bad: [unknown, string][] = [
      [{ type: 'weekly' }, 'type'],
      [{ format: 'pdf' }, 'format'],
      [{ days: 0 }, 'days'],
      [{ days: 400 }, 'days'],
      [{ filter: { _secret: 'x' } }, 'filter._secret'],
      [{ filter: { region: '' } }, 'filter.region'],
      [{ tz: 'Mars/Olympus' }, 'tz'],
      [{ colour: 'red' }, ''],
    ];
    for (const [body, path] of bad) {
      const r = ReportRequest.safeParse(body);
      expect(r.success, JSON.stringify(body)).toBe(false);
      expect(r.error!.issues[0]!.path.join('.'), JSON.stringify(body)).toBe(path);
    }
    expect(ReportRequest.parse({})).toEqual({
      type: 'comprehensive',
      format: 'html',
      days: 7,
      filter: {},
      sla_target_pct: 99.9,
    });
  });
});
