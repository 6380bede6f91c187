// POST /api/v1/reports on a real server over a real DuckDB store.
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, HOUR, type Row } from '../../test/helpers.js';
import { startTestServer, type TestServer } from '../../test/server.js';

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
    rows.push({ t: NOW - h * HOUR, latency: 20 + (h % 5), success: h % 10 !== 0, tags: { endpoint: 'api', region: 'eu' } });
  }
  await srv.store.write(batchOf(rows));
  return srv;
}

const post = (s: TestServer, body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  fetch(`${s.url}/api/v1/reports`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('POST /api/v1/reports', () => {
  it('fills every section of the comprehensive report from the service\'s own analyses and forecaster', async () => {
    srv = await startTestServer({ now: NOW });
    const rows: Row[] = [];
    // Four days, three workers (one doing twice the work), a daily latency cycle, a recurring timeout.
    for (let h = 1; h <= 4 * 24; h++) {
      const t = NOW - h * HOUR;
      for (const [w, n] of [['w1', 2], ['w2', 2], ['w3', 4]] as const) {
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
    const report = (await res.json()) as { start: string; stop: string; sections: { id: string; available: boolean; figures?: { label: string; value: unknown }[] }[] };
    for (const s of report.sections) expect(s.available, s.id).toBe(true);
    expect(report.sections.map((s) => s.id)).toEqual(
      expect.arrayContaining(['trends', 'regressions', 'anomalies', 'failure-patterns', 'flaky-tests', 'circuit-breakers', 'workload', 'forecast']),
    );
    // The same numbers as the analysis endpoint over the same window.
    const workload = (await (await fetch(`${srv.url}/api/v1/analysis/workload?start=${report.start}&stop=${report.stop}`)).json()) as { gini: number };
    const gini = report.sections.find((s) => s.id === 'workload')!.figures!.find((f) => /Gini/.test(f.label))!.value as number;
    expect(gini).toBeCloseTo(workload.gini, 5);
    expect(workload.gini).toBeGreaterThan(0.1);
    const patterns = (await (await fetch(`${srv.url}/api/v1/analysis/failure-patterns?start=${report.start}&stop=${report.stop}`)).json()) as { patterns: unknown[] };
    const count = report.sections.find((s) => s.id === 'failure-patterns')!.figures!.find((f) => f.label === 'Failure patterns')!.value;
    expect(count).toBe(patterns.patterns.length);
  }, 60_000);

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
      expect(res.headers.get('content-disposition')).toMatch(new RegExp(`filename="resultant-summary-2026-11-23\\.`));
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
    const res = await post(s, { type: 'summary', format: 'json', days: 3, filter: { region: 'us' }, tz: 'Asia/Kolkata' });
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
      [{ unknown: 1 }, ''],
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
    expect((await post(s, { format: 'json' }, { 'Content-Type': 'application/json', Authorization: 'Bearer t0k' })).status).toBe(200);
  });
});
