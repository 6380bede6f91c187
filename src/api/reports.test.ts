// POST /api/v1/reports on a real server over a real DuckDB store.
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, DAY, HOUR, type Row } from '../../test/support/helpers.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { makeSeries, WriteBatch } from '../model/result.js';

let srv: TestServer | null = null;
afterEach(async () => {
  await srv?.close();
  srv = null;
});

const NOW = Date.UTC(2026, 10, 23, 12);

async function server(o: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  srv = await startTestServer({ now: NOW, ...o });
  const rows: Row[] = [];
  for (let h = 1; h <= 48; h++) {
    rows.push({
      t: NOW - h * HOUR,
      latency: 20 + (h % 5),
      success: h % 10 !== 0,
      tags: { endpoint: 'api', region: 'eu' },
    });
  }
  await srv.store.write(batchOf(rows));
  return srv;
}

const post = (s: TestServer, body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  fetch(`${s.url}/api/v1/reports`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /api/v1/reports', () => {
  it("fills every section of the comprehensive report from the service's own analyses and forecaster", async () => {
    srv = await startTestServer({ now: NOW });
    const rows: Row[] = [];
    // Four days, three workers (one doing twice the work), a daily latency cycle, a recurring timeout.
    for (let h = 1; h <= 4 * 24; h++) {
      const t = NOW - h * HOUR;
      for (const [w, n] of [
        ['w1', 2],
        ['w2', 2],
        ['w3', 4],
      ] as const) {
        for (let k = 0; k < n; k++) {
          const fail = (h + k) % 17 === 0;
          rows.push({
            t: t + k * 60_000,
            latency: 100 + 20 * Math.sin((2 * Math.PI * (t / HOUR)) / 24) + k,
            success: !fail,
            ...(fail ? { error: `timeout after ${5000 + k} ms` } : {}),
            tags: { endpoint: 'api', region: 'eu', worker: w },
          });
        }
      }
    }
    await srv.store.write(batchOf(rows));
    const res = await post(srv, { type: 'comprehensive', format: 'json', days: 4 });
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      start: string;
      stop: string;
      sections: { id: string; available: boolean; figures?: { label: string; value: unknown }[] }[];
    };
    for (const s of report.sections) expect(s.available, s.id).toBe(true);
    expect(report.sections.map((s) => s.id)).toEqual(
      expect.arrayContaining([
        'trends',
        'regressions',
        'anomalies',
        'failure-patterns',
        'flaky-tests',
        'circuit-breakers',
        'workload',
        'forecast',
      ]),
    );
    // The same numbers as the analysis endpoint over the same window.
    const workload = (await (
      await fetch(`${srv.url}/api/v1/analysis/workload?start=${report.start}&stop=${report.stop}`)
    ).json()) as { gini: number };
    const gini = report.sections.find((s) => s.id === 'workload')!.figures!.find((f) => /Gini/.test(f.label))!
      .value as number;
    expect(gini).toBeCloseTo(workload.gini, 5);
    expect(workload.gini).toBeGreaterThan(0.1);
    const patterns = (await (
      await fetch(`${srv.url}/api/v1/analysis/failure-patterns?start=${report.start}&stop=${report.stop}`)
    ).json()) as { patterns: unknown[] };
    const count = report.sections
      .find((s) => s.id === 'failure-patterns')!
      .figures!.find((f) => f.label === 'Failure patterns')!.value;
    expect(count).toBe(patterns.patterns.length);
  }, 60_000);

  it("gives the aggregates' and analyses' own figures for a range that starts inside a day, partial days included", async () => {
    // "Now" inside a day: the report covers 10:00 two days back to 10:00 today, so its first and last days are parts.
    const now = Date.UTC(2026, 10, 23, 9, 30);
    // Daily rollups in the report's zone, so whole days come from them and the cut ones must not.
    srv = await startTestServer({ now, timezone: 'Europe/Berlin' });
    const rows: Row[] = [];
    const b = new WriteBatch();
    for (let m = 0; m < 4 * 1440; m += 7) {
      const t = now - 4 * DAY + m * 60_000;
      for (const [i, endpoint] of ['api', 'cart'].entries()) {
        for (const region of ['eu', 'us']) {
          const fail = (m + i) % 11 === 0 || (endpoint === 'cart' && region === 'us' && m % 5 === 0);
          rows.push({
            t: t + i * 1000,
            latency: 20 + ((m * 13 + i * 7) % 90),
            success: !fail,
            tags: { endpoint, region, worker: `w-${region}-${m % 3}` },
            ...(fail ? { error: `HTTP 503 after ${m % 40} ms` } : {}),
          });
        }
      }
      // A flaky functional test and a flapping breaker.
      rows.push({
        t: t + 3000,
        success: m % 2 === 0,
        tags: { test: 'checkout_flow', type: 'functional' },
        ...(m % 2 ? { error: 'expected 200 but got 500' } : {}),
      });
      if (m % 21 === 0 && m > 3500 && m < 3800) {
        const br = makeSeries('circuit_breaker', { breaker: 'cart-client', endpoint: 'cart' });
        b.addBreaker(br, (t + 5000) * 1000, 'open', 5);
        b.addBreaker(br, (t + 65_000) * 1000, 'half_open', null);
        b.addBreaker(br, (t + 70_000) * 1000, 'closed', null);
      }
    }
    await srv.store.write(batchOf(rows));
    await srv.store.write(b);
    await srv.store.rollup(now); // closed hours from the rollups, the open hour from raw rows
    const res = await post(srv, { type: 'comprehensive', format: 'json', days: 2, tz: 'Europe/Berlin' });
    expect(res.status).toBe(200);
    type Sec = {
      id: string;
      available: boolean;
      figures: { label: string; value: unknown }[];
      tables: { id: string; columns: string[]; rows: unknown[][] }[];
    };
    const report = (await res.json()) as { start: string; stop: string; sections: Sec[] };
    expect([report.start, report.stop]).toEqual(['2026-11-21T10:00:00Z', '2026-11-23T10:00:00Z']);
    const section = (id: string) => report.sections.find((x) => x.id === id)!;
    const figure = (id: string, label: RegExp) => section(id).figures.find((f) => label.test(f.label))!.value;
    const table = (sec: string, id: string) => {
      const t = section(sec).tables.find((x) => x.id === id)!;
      return t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])));
    };
    const get = async (path: string) => (await (await fetch(`${srv!.url}${path}`)).json()) as any; // any: JSON answers
    const q = `start=${report.start}&stop=${report.stop}`;
    // Hourly buckets of the range, summed: the totals of every part of it.
    const hourly = async (groupBy = '', from = report.start, to = report.stop) =>
      (await get(`/api/v1/aggregates?period=hour&start=${from}&stop=${to}&group_by=${groupBy}&tz=Europe/Berlin`))
        .series as { group: Record<string, string>; buckets: { test_count: number; failure_count: number }[] }[];
    const sum = (series: Awaited<ReturnType<typeof hourly>>) =>
      series.flatMap((x) => x.buckets).reduce((a, x) => [a[0]! + x.test_count, a[1]! + x.failure_count], [0, 0]);
    const [tests, failures] = sum(await hourly());
    expect(figure('overview', /Tests run/)).toBe(tests);
    expect(figure('overview', /Failures/)).toBe(failures);
    expect(figure('overview', /^Availability/)).toBeCloseTo((100 * (tests! - failures!)) / tests!, 3);
    expect(figure('sla', /Overall availability/)).toBe(figure('overview', /^Availability/)); // one value, two places

    // Each day of Europe/Berlin, cut at the range's ends: the first row starts at 11:00 local, not at midnight.
    const days = table('daily', 'daily');
    expect(days.map((d) => d.from)).toEqual(['2026-11-21T10:00:00Z', '2026-11-21T23:00:00Z', '2026-11-22T23:00:00Z']);
    const edges = [report.start, '2026-11-21T23:00:00Z', '2026-11-22T23:00:00Z', report.stop];
    for (let i = 0; i < 3; i++) {
      const [n, f] = sum(await hourly('', edges[i], edges[i + 1]));
      expect([days[i]!.tests, days[i]!.failures], `day ${i}`).toEqual([n, f]);
      expect(n).toBeGreaterThan(0);
    }
    expect(days.reduce((a, d) => a + (d.tests as number), 0)).toBe(tests);
    // The whole middle day equals the daily aggregate, p95 included.
    const day = (
      await get(`/api/v1/aggregates?period=day&start=2026-11-21T23:00:00Z&stop=2026-11-22T23:00:00Z&tz=Europe/Berlin`)
    ).series[0].buckets[0];
    expect([days[1]!.tests, days[1]!.failures, days[1]!.p95_ms]).toEqual([
      day.test_count,
      day.failure_count,
      Math.round(day.stats.p95 * 100) / 100,
    ]);

    // Every endpoint-region pair of the SLA table, as the aggregates count it.
    const pairs = await hourly('endpoint,region');
    for (const r of table('sla', 'sla')) {
      const x = pairs.find((p) => p.group.endpoint === r.endpoint && p.group.region === r.region)!;
      expect([r.tests, r.failures]).toEqual(sum([x]));
    }

    // The analyses' sections say what the analysis endpoints say for the same window.
    const flaky = await get(`/api/v1/analysis/flaky-tests?${q}&tz=Europe/Berlin`);
    expect(table('flaky-tests', 'flaky-tests').map((r) => [r.runs, r.failures, r.status])).toEqual(
      flaky.tests.map((t: any) => [t.runs, t.failures, t.status]),
    );
    expect(flaky.tests.map((t: any) => t.series.test)).toContain('checkout_flow');
    const patterns = await get(`/api/v1/analysis/failure-patterns?${q}&tz=Europe/Berlin`);
    expect(table('failure-patterns', 'failure-patterns').map((r) => [r.fingerprint, r.count])).toEqual(
      [...patterns.patterns]
        .sort((a: any, c: any) => c.count - a.count)
        .map((p: any) => [p.fingerprint, p.count])
        .slice(0, 50),
    );
    const breakers = await get(`/api/v1/analysis/circuit-breakers?${q}`);
    const flapping = breakers.breakers.filter((x: any) => x.flapping > 0).length;
    expect(flapping).toBe(1);
    expect(figure('circuit-breakers', /Flapping breakers/)).toBe(flapping);
    expect(table('circuit-breakers', 'circuit-breakers')[0]!.flapping).toBe(breakers.breakers[0].flapping);
  });

  it('returns each format with its content type', async () => {
    const s = await server();
    const expected: Record<string, RegExp> = {
      html: /^text\/html; charset=utf-8/,
      markdown: /^text\/markdown; charset=utf-8/,
      json: /^application\/json/,
      csv: /^text\/csv; charset=utf-8/,
    };
    for (const [format, type] of Object.entries(expected)) {
      const res = await post(s, { type: 'summary', format, days: 3 });
      expect(res.status, format).toBe(200);
      expect(res.headers.get('content-type'), format).toMatch(type);
      expect(res.headers.get('content-disposition')).toMatch(/filename="resultant-summary-2026-11-23\./);
      const text = await res.text();
      if (format === 'json') {
        const r = JSON.parse(text) as { sections: { id: string; figures: { label: string; value: unknown }[] }[] };
        expect(r.sections.map((x) => x.id)).toEqual(['overview', 'daily']);
        expect(r.sections[0]!.figures.find((x) => x.label === 'Tests run')!.value).toBe(48);
        expect(r.sections[0]!.figures.find((x) => x.label === 'Failures')!.value).toBe(4);
      }
    }
  });

  it('filters by tag and honours the time zone', async () => {
    const s = await server();
    const res = await post(s, {
      type: 'summary',
      format: 'json',
      days: 3,
      filter: { region: 'us' },
      tz: 'Asia/Kolkata',
    });
    const r = (await res.json()) as { tz: string; sections: { figures: { label: string; value: unknown }[] }[] };
    expect(r.tz).toBe('Asia/Kolkata');
    expect(r.sections[0]!.figures.find((x) => x.label === 'Tests run')!.value).toBe(0);
  });

  it('rejects bad bodies with 400 naming the field, other media types with 415, huge bodies with 413', async () => {
    const s = await server();
    for (const [body, path] of [
      [{ type: 'weekly' }, 'type'],
      [{ days: -1 }, 'days'],
      [{ filter: { 'bad key': 'x', _r: 'y' } }, 'filter._r'],
      [{ unknown: 1 }, 'unknown'],
    ] as const) {
      const res = await post(s, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const e = (await res.json()) as { code: string; errors: { path: string }[] };
      expect(e.code).toBe('invalid');
      expect(e.errors.map((x) => x.path)).toContain(path);
    }
    expect((await post(s, '{not json')).status).toBe(400);
    expect((await post(s, '{}', { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await post(s, JSON.stringify({ filter: { a: 'x'.repeat(20_000) } }))).status).toBe(413);
  });

  it('needs a read token when tokens are configured', async () => {
    const s = await server({ authTokens: ['t0k'] });
    expect((await post(s, {})).status).toBe(401);
    expect(
      (await post(s, { format: 'json' }, { 'Content-Type': 'application/json', Authorization: 'Bearer t0k' })).status,
    ).toBe(200);
  });

  it("stops a report's work when its client goes away, and counts it in /metrics", async () => {
    const s = await server();
    const cancelled = async (): Promise<number> => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      return Number(/^resultant_http_requests_cancelled_total (\d+)/m.exec(text)?.[1] ?? 0);
    };
    expect(await cancelled()).toBe(0);
    const gone = new AbortController();
    const res = await fetch(`${s.url}/api/v1/reports`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'comprehensive', format: 'html', days: 2 }),
      signal: gone.signal,
    });
    expect(res.status).toBe(200);
    // The head of the streamed report arrives; the client leaves before the sections (charts, a forecast) are done.
    await res.body!.getReader().read();
    gone.abort();
    // Up to 20 s: it is counted at once on an idle machine; the bound only ends a wait for a count that never comes.
    for (let i = 0; i < 400 && (await cancelled()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await cancelled()).toBe(1);
    // The service goes on answering.
    expect((await fetch(`${s.url}/ping`)).status).toBe(204);
  });
});
