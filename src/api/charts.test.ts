// GET /api/v1/charts/<type>.svg|.png on a real server over a real DuckDB store.
import { afterEach, describe, expect, it } from 'vitest';
import * as f from '../../test/support/fixtures/charts.js';
import { batchOf, HOUR, type Row } from '../../test/support/helpers.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { decodePng, findAll, hasClass, linePaths, parseXml, textsIn } from '../../test/support/svg.js';
import { invalid } from '../errors.js';
import { storeSources } from '../report/sources.js';

let srv: TestServer | null = null;
afterEach(async () => {
  await srv?.close();
  srv = null;
});

const T0 = Date.UTC(2026, 10, 21, 0);
const NOW = T0 + 24 * HOUR;

/** 6 hours of results for two endpoints; "checkout" fails every result in hour 3. */
function rows(): Row[] {
  const out: Row[] = [];
  for (let h = 0; h < 6; h++) {
    for (let i = 0; i < 10; i++) {
      out.push({ t: T0 + h * HOUR + i * 60_000, latency: 10 + i, tags: { endpoint: 'api', region: 'eu' } });
      out.push({
        t: T0 + h * HOUR + i * 60_000,
        latency: 50 + i,
        success: h !== 3,
        tags: { endpoint: 'checkout', region: 'eu' },
      });
    }
  }
  return out;
}

async function serverWithData(o: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  srv = await startTestServer({ now: NOW, ...o });
  await srv.store.write(batchOf(rows()));
  return srv;
}

const range = `start=${new Date(T0).toISOString()}&stop=${new Date(T0 + 6 * HOUR).toISOString()}`;

describe('GET /api/v1/charts', () => {
  it('draws latency per endpoint from the aggregates as SVG', async () => {
    const s = await serverWithData();
    const res = await fetch(`${s.url}/api/v1/charts/latency.svg?period=hour&group_by=endpoint&${range}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const root = parseXml(await res.text());
    expect(linePaths(root)).toHaveLength(4);
    expect(textsIn(root, 'role-legend-label')).toEqual(expect.arrayContaining(['api', 'checkout']));
    expect(textsIn(root, 'role-axis-title')).toEqual(expect.arrayContaining(['latency_ms (ms)', 'time (UTC)']));
  });

  it("draws a chart at the width asked for (a dashboard panel's), values on hover", async () => {
    const s = await serverWithData();
    const res = await fetch(`${s.url}/api/v1/charts/availability.svg?period=hour&group_by=endpoint&width=540&${range}`);
    expect(res.status).toBe(200);
    const root = parseXml(await res.text());
    expect(Number(root.attrs.width)).toBe(540);
    expect(findAll(root, (n) => n.tag === 'title').length).toBeGreaterThan(0);
  });

  it('shades the hour checkout was down on the availability chart, as PNG too', async () => {
    const s = await serverWithData();
    const svg = await (
      await fetch(`${s.url}/api/v1/charts/availability.svg?group_by=endpoint&${range}&tz=Europe/Berlin`)
    ).text();
    const root = parseXml(svg);
    const outages = findAll(root, (n) => hasClass('mark-rect')(n) && hasClass('role-mark')(n)).flatMap(
      (g) => g.children,
    );
    expect(outages).toHaveLength(1);
    expect(textsIn(root, 'role-axis-title')).toContain('time (Europe/Berlin)');
    const png = await fetch(`${s.url}/api/v1/charts/availability.png?group_by=endpoint&${range}`);
    expect(png.headers.get('content-type')).toBe('image/png');
    const size = decodePng(Buffer.from(await png.arrayBuffer()));
    expect(size.width).toBe(2 * Number(root.attrs.width));
  });

  it('draws circuit-breaker transitions from the store', async () => {
    const s = await serverWithData();
    const lines = ['closed', 'open', 'half_open', 'closed']
      .map((st, i) => `circuit_breaker,breaker=payments,worker=w-1 state="${st}" ${(T0 + i * HOUR) * 1e6}`)
      .join('\n');
    expect((await fetch(`${s.url}/api/v2/write?precision=ns`, { method: 'POST', body: lines })).status).toBe(204);
    const res = await fetch(`${s.url}/api/v1/charts/circuit-breakers.svg?start=${T0}&stop=${T0 + 6 * HOUR}`);
    expect(res.status).toBe(200);
    const root = parseXml(await res.text());
    expect(
      findAll(root, (n) => hasClass('mark-rect')(n) && hasClass('role-mark')(n)).flatMap((g) => g.children),
    ).toHaveLength(4);
  });

  it("draws the analysis charts from the service's analyses", async () => {
    const s = await serverWithData();
    for (const type of ['trends', 'anomalies', 'workload', 'failure-patterns']) {
      const res = await fetch(`${s.url}/api/v1/charts/${type}.svg`);
      expect(res.status, type).toBe(200);
      expect(res.headers.get('content-type'), type).toMatch(/^image\/svg\+xml/);
      const root = parseXml(await res.text());
      expect(textsIn(root, 'role-title-text').join(' '), type).not.toBe('');
    }
  });

  it("draws a forecast from the service's forecaster, and says how much history it needs", async () => {
    srv = await startTestServer({ now: NOW });
    // Six days of hourly results with a daily cycle, for one endpoint.
    const rows: Row[] = [];
    for (let h = 6 * 24; h > 0; h--) {
      const t = NOW - h * HOUR;
      for (let i = 0; i < 3; i++)
        rows.push({
          t: t + i * 60_000,
          latency: 100 + 20 * Math.sin((2 * Math.PI * (t / HOUR)) / 24) + i,
          tags: { endpoint: 'api' },
        });
    }
    await srv.store.write(batchOf(rows));
    const res = await fetch(`${srv.url}/api/v1/charts/forecast.svg?tag.endpoint=api&horizon=12&tz=Europe/Berlin`);
    expect(res.status).toBe(200);
    const root = parseXml(await res.text());
    expect(linePaths(root)).toHaveLength(2);
    expect(
      findAll(root, (n) => hasClass('mark-area')(n) && hasClass('role-mark')(n)).flatMap((g) => g.children),
    ).toHaveLength(1);
    expect(textsIn(root, 'role-title-text').join(' ')).toContain('Forecast of mean latency_ms per hour for api');
    expect(textsIn(root, 'role-title-subtitle').join(' ')).toMatch(/model \w+ · backtest MASE \d/);
    expect(textsIn(root, 'role-axis-title')).toContain('time (Europe/Berlin)');
    // Too little history (no results for this endpoint): the forecaster's 400, which says the minimum.
    const short = await fetch(`${srv.url}/api/v1/charts/forecast.png?tag.endpoint=search`);
    expect(short.status).toBe(400);
    expect(((await short.json()) as { message: string }).message).toMatch(/needs at least \d+ hourly buckets/);
  });

  it('draws an analysis once a source provides it', async () => {
    const s = await serverWithData({
      sources: (store, now) => storeSources(store, now, { analysis: f.canned({ workload: f.workload() }) }),
    });
    const root = parseXml(await (await fetch(`${s.url}/api/v1/charts/workload.svg`)).text());
    expect(textsIn(root, 'role-title-text').join(' ')).toContain('Gini 0.089');
  });

  it('passes a forecast source\'s "too little history" on as a 400', async () => {
    const s = await serverWithData({
      sources: (store, now) =>
        storeSources(store, now, {
          forecast: async (p) => {
            expect(p).toMatchObject({
              metric: 'latency_ms',
              statistic: 'p95',
              period: 'day',
              horizon: 7,
              level: 95,
              filters: { endpoint: ['api'] },
            });
            throw invalid('need at least 14 days of history, have 1');
          },
        }),
    });
    const res = await fetch(
      `${s.url}/api/v1/charts/forecast.svg?statistic=p95&period=day&horizon=7&level=95&tag.endpoint=api`,
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe('need at least 14 days of history, have 1');
  });

  it('rejects bad parameters with a 400 that names them, and unknown chart types with a 404', async () => {
    const s = await serverWithData();
    const cases: [string, string][] = [
      ['latency.svg?period=fortnight', 'period'],
      ['latency.svg?groupby=endpoint', 'groupby'],
      ['latency.svg?tz=Mars/Olympus', 'tz'],
      ['latency.svg?limit=9', 'limit'],
      ['latency.svg?width=100', 'width'],
      ['latency.svg?width=wide', 'width'],
      ['availability.svg?outage_below=101', 'outage_below'],
      ['forecast.svg?period=week', 'period'],
      ['forecast.svg?model=prophet', 'model'],
      ['forecast.svg?horizon=100000', 'horizon'],
      ['latency.svg?start=2026-11-22T00:00:00Z&stop=2026-11-21T00:00:00Z', 'stop'],
      ['latency.svg?tag._reserved=x', 'tag._reserved'],
      ['latency.svg?period=hour&start=2026-01-01T00:00:00Z&stop=2026-11-21T00:00:00Z', 'period'],
    ];
    for (const [path, parameter] of cases) {
      const res = await fetch(`${s.url}/api/v1/charts/${path}`);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { parameter?: string }).parameter, path).toBe(parameter);
    }
    expect((await fetch(`${s.url}/api/v1/charts/pie.svg`)).status).toBe(404);
    expect((await fetch(`${s.url}/api/v1/charts/latency.gif`)).status).toBe(404);
  });

  it('needs a read token when tokens are configured', async () => {
    const s = await serverWithData({ authTokens: ['secret'] });
    expect((await fetch(`${s.url}/api/v1/charts/latency.svg`)).status).toBe(401);
    const ok = await fetch(`${s.url}/api/v1/charts/latency.svg`, { headers: { Authorization: 'Token secret' } });
    expect(ok.status).toBe(200);
  });
});
