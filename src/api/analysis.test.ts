// The analysis endpoints on a real loopback server with a real DuckDB store.
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, type Row } from '../../test/support/helpers.js';
import { gauss, mulberry32 } from '../../test/support/random.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { ANALYSES } from '../analysis/index.js';

let srv: TestServer | null = null;
afterEach(async () => {
  await srv?.close();
  srv = null;
});

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 21, 12);
const START = NOW - 48 * HOUR;

/** Two endpoints over 48 h: "api" latency grows 1 ms per hour from 100, "db" stays at 50 (3 results per hour). */
function rows(): Row[] {
  const out: Row[] = [];
  for (let h = 0; h < 48; h++) {
    for (let k = 0; k < 3; k++) {
      const t = START + h * HOUR + k * 10 * 60_000;
      out.push({ t, latency: 100 + h + (k - 1) * 0.5, tags: { endpoint: 'api', region: 'eu', worker: `w${k}` } });
      out.push({ t, latency: 50 + (k - 1) * 0.5, tags: { endpoint: 'db', region: 'eu', worker: `w${k}` } });
    }
  }
  return out;
}

async function server(o: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  srv = await startTestServer({ now: NOW, ...o });
  await srv.store.write(batchOf(rows()));
  return srv;
}

const get = async (s: TestServer, path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${s.url}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // any: test reads nested JSON
};
const post = async (s: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${s.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // any: test reads nested JSON
};

describe('GET /api/v1/analysis/trends', () => {
  it('reports each endpoint with its slope per day on time and the evidence', async () => {
    const s = await server();
    const { status, body } = await get(s, `/api/v1/analysis/trends?start=${START}&stop=${NOW}&group_by=endpoint`);
    expect(status).toBe(200);
    expect(body.kind).toBe('trends');
    expect(body.start).toBe('2026-11-19T12:00:00Z');
    expect(body.stop).toBe('2026-11-21T12:00:00Z');
    const api = body.trends.find((t: any) => t.series.endpoint === 'api');
    const db = body.trends.find((t: any) => t.series.endpoint === 'db');
    expect(api.direction).toBe('increasing');
    // hourly means 100 + h: 24 per day; fitted change over 47 hours from 100
    expect(api.slope_per_day).toBeCloseTo(24, 6);
    expect(api.change_pct).toBeCloseTo(47, 6);
    expect(api.metric).toBe('latency_ms');
    expect(api.evidence.points).toBe(48);
    expect(api.evidence.results).toBe(144);
    expect(db.direction).toBe('stable');
    expect(db.slope_per_day).toBeCloseTo(0, 9);
  });

  it('filters by tag and groups by the default series keys', async () => {
    const s = await server();
    const { body } = await get(s, `/api/v1/analysis/trends?start=${START}&stop=${NOW}&tag.endpoint=db`);
    expect(body.trends).toHaveLength(1);
    expect(body.trends[0].series).toEqual({ endpoint: 'db' });
    expect(body.group_by).toEqual(['test', 'endpoint', 'hardware', 'model']);
  });

  it('answers 400 for bad parameters, naming them', async () => {
    const s = await server();
    const cases: [string, string][] = [
      ['/api/v1/analysis/bogus', 'kind'],
      [`/api/v1/analysis/trends?alpha=2`, 'alpha'],
      [`/api/v1/analysis/trends?alpah=0.1`, 'alpah'],
      [`/api/v1/analysis/trends?start=${NOW}&stop=${START}`, 'stop'],
      [`/api/v1/analysis/trends?start=2020-01-01T00:00:00Z&stop=2026-01-01T00:00:00Z`, 'start'],
      [`/api/v1/analysis/trends?statistic=p42`, 'statistic'],
      [`/api/v1/analysis/trends?tz=Mars/Base`, 'tz'],
      [`/api/v1/analysis/trends?tag._x=1`, 'tag._x'],
      [`/api/v1/analysis/trends?metric=error`, 'metric'],
    ];
    for (const [path, parameter] of cases) {
      const { status, body } = await get(s, path);
      expect(status, path).toBe(400);
      expect(body.code, path).toBe('invalid');
      expect(body.parameter, path).toBe(parameter);
    }
    const unknown = await get(s, '/api/v1/analysis/bogus');
    expect(unknown.body.message).toContain('trends, regressions, anomalies');
  });

  it('answers 404 for a kind of the contract that this build does not have', async () => {
    const s = await server();
    const saved = ANALYSES.workload;
    delete ANALYSES.workload;
    try {
      const { status, body } = await get(s, '/api/v1/analysis/workload');
      expect(status).toBe(404);
      expect(body.message).toContain('not available in this build');
    } finally {
      if (saved) ANALYSES.workload = saved;
    }
  });

  it('needs a read token when tokens are configured', async () => {
    const s = await server({ authTokens: ['secret'] });
    expect((await get(s, '/api/v1/analysis/trends')).status).toBe(401);
    expect((await get(s, '/api/v1/analysis/trends', { Authorization: 'Token secret' })).status).toBe(200);
    expect((await post(s, '/api/v1/analyze', { analysis_types: ['trends'] })).status).toBe(401);
  });
});

describe('GET /api/v1/analysis/regressions', () => {
  it('lists a step in the recent window, worse or better by the metric, with the step time', async () => {
    srv = await startTestServer({ now: NOW });
    const r = mulberry32(11);
    const data: Row[] = [];
    for (let h = 0; h < 96; h++) {
      const t = NOW - 96 * HOUR + h * HOUR + 60_000;
      const stepped = h >= 84;
      data.push({
        t,
        latency: (stepped ? 125 : 100) * (1 + 0.03 * gauss(r)),
        metrics: { items: (stepped ? 75 : 100) * (1 + 0.03 * gauss(r)) },
        tags: { endpoint: 'api' },
      });
    }
    await srv.store.write(batchOf(data));
    const base = `/api/v1/analysis/regressions?start=${NOW - 96 * HOUR}&stop=${NOW}&recent_hours=12`;
    const lat = await get(srv, base);
    expect(lat.status).toBe(200);
    expect(lat.body.regressions).toHaveLength(1);
    const reg = lat.body.regressions[0];
    expect(reg).toMatchObject({
      series: { endpoint: 'api' },
      metric: 'latency_ms',
      direction: 'worse',
      severity: 'major',
    });
    expect(reg.change_pct).toBeGreaterThan(20);
    expect(reg.change_pct).toBeLessThan(30);
    expect(reg.p_value).toBeLessThan(1e-6);
    expect(Date.parse(reg.change_time)).toBe(NOW - 12 * HOUR);
    // "items" falls 25 %: better by default (lower is better), worse once declared higher-is-better.
    const ops = await get(srv, `${base}&metric=items`);
    expect(ops.body.regressions[0].direction).toBe('better');
    const opsUp = await get(srv, `${base}&metric=items&higher_is_better=items`);
    expect(opsUp.body.regressions[0].direction).toBe('worse');
    expect((await get(srv, `${base}&test=t-test`)).status).toBe(400);
    expect(
      (await get(srv, `/api/v1/analysis/regressions?start=${NOW - 96 * HOUR}&stop=${NOW}&recent_hours=96`)).status,
    ).toBe(400);
  });
});

describe('long windows', () => {
  it('use daily buckets: a step in the last week of 60 days is a regression, and the moving average is bounded', async () => {
    srv = await startTestServer({ now: NOW });
    const DAY = 24 * HOUR;
    const data: Row[] = [];
    for (let d = 0; d < 60; d++) {
      for (let k = 0; k < 4; k++) {
        const t = NOW - 60 * DAY + d * DAY + k * 6 * HOUR;
        data.push({ t, latency: (d >= 53 ? 125 : 100) + ((d % 3) - 1) + k * 0.1, tags: { endpoint: 'api' } });
      }
    }
    await srv.store.write(batchOf(data));
    const range = `start=${NOW - 60 * DAY}&stop=${NOW}`;
    const reg = await get(srv, `/api/v1/analysis/regressions?${range}`);
    expect(reg.status).toBe(200);
    expect(reg.body.period).toBe('day');
    expect(reg.body.recent_start).toBe(new Date(NOW - 7 * DAY).toISOString().replace('.000', ''));
    expect(reg.body.regressions).toHaveLength(1);
    expect(reg.body.regressions[0]).toMatchObject({ direction: 'worse', severity: 'major' });
    // Daily buckets start at midnight UTC; the step began on the day that starts 7 days and 12 hours before NOW.
    expect(reg.body.regressions[0].change_time).toBe(
      new Date(NOW - 7 * DAY - 12 * HOUR).toISOString().replace('.000', ''),
    );

    const hourly = await get(srv, `/api/v1/analysis/trends?${range}&period=hour`);
    expect(hourly.body.period).toBe('hour');
    const t = hourly.body.trends[0];
    expect(t.evidence.points).toBe(240);
    expect(t.moving_average.length).toBeLessThanOrEqual(250);
    expect(t.moving_average.at(-1).time).toBe(new Date(NOW - 6 * HOUR).toISOString().replace('.000', ''));
    const none = await get(srv, `/api/v1/analysis/trends?${range}&moving_average=false`);
    expect(none.body.trends[0].moving_average).toBeUndefined();
    // Bounded work: hourly buckets over at most 92 days, any analysis over at most 400.
    const longHourly = await get(srv, `/api/v1/analysis/trends?start=${NOW - 100 * DAY}&stop=${NOW}&period=hour`);
    expect(longHourly.status).toBe(400);
    expect(longHourly.body.message).toMatch(/period=hour covers at most 92 days/);
    const chart = await fetch(`${srv.url}/api/v1/charts/trends.svg?start=1973-01-01T00:00:00Z`);
    expect(chart.status).toBe(400);
    expect(((await chart.json()) as { message: string }).message).toMatch(/at most 400 days/);
  });
});

describe('GET /api/v1/analysis/regressions on a short window', () => {
  it('lists nothing under 48 hours of hourly buckets and says why (the daily cycle would look like a change)', async () => {
    srv = await startTestServer({ now: NOW });
    const data: Row[] = [];
    for (let h = 1; h <= 24; h++) {
      const t = NOW - h * HOUR;
      for (let k = 0; k < 6; k++)
        data.push({
          t: t + k * 600_000,
          latency: 100 + 40 * Math.sin((2 * Math.PI * (t / HOUR)) / 24) + k,
          tags: { endpoint: 'api' },
        });
    }
    await srv.store.write(batchOf(data));
    const r = await get(srv, `/api/v1/analysis/regressions?start=${NOW - 24 * HOUR}&stop=${NOW}`);
    expect(r.status).toBe(200);
    expect(r.body.regressions).toEqual([]);
    expect(r.body.warnings[0]).toMatch(/at least 48 hours to tell a change from the daily cycle; this one has 24 h/);
  });
});

describe('GET /api/v1/analysis/anomalies', () => {
  async function spiky(o: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
    srv = await startTestServer({ now: NOW, ...o });
    const data: Row[] = [];
    for (let h = 0; h < 48; h++) {
      const t = NOW - 48 * HOUR + h * HOUR + 60_000;
      // A steady wobble of ±1 around 100, and one hour at 300.
      data.push({ t, latency: h === 40 ? 300 : 100 + ((h % 3) - 1), tags: { endpoint: 'api' } });
    }
    await srv.store.write(batchOf(data));
    return srv;
  }
  const path = `/api/v1/analysis/anomalies?start=${NOW - 48 * HOUR}&stop=${NOW}`;

  it('finds the spike, stores it once however often it runs, and acknowledges it', async () => {
    const s = await spiky({ authTokens: ['tok'] });
    const auth = { Authorization: 'Token tok' };
    const first = await get(s, path, auth);
    expect(first.status).toBe(200);
    expect(first.body.stored).toBe(true);
    expect(first.body.anomalies, JSON.stringify(first.body.anomalies)).toHaveLength(1);
    const a = first.body.anomalies[0];
    expect(a).toMatchObject({
      series: { endpoint: 'api' },
      metric: 'latency_ms',
      method: 'robust_z',
      acknowledged: false,
      time: new Date(NOW - 8 * HOUR).toISOString().replace('.000', ''),
    });
    expect(a.score).toBeGreaterThan(3);
    expect(a.value).toBe(300);
    expect(a.expected).toBe(100);
    expect(a.evidence).toMatchObject({ results: 1, history_points: 40, threshold: 3 });
    const second = await get(s, path, auth);
    expect(second.body.anomalies.map((x: any) => x.id)).toEqual([a.id]);
    const listed = await get(s, `/api/v1/anomalies?start=0&stop=${NOW}`, auth);
    expect(listed.body.anomalies).toHaveLength(1);

    // Acknowledging needs a write token (there is one token here, so a missing header is the 401 case).
    expect((await post(s, `/api/v1/anomalies/${a.id}/acknowledge`, {})).status).toBe(401);
    const ack = await post(s, `/api/v1/anomalies/${a.id}/acknowledge`, {}, auth);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ id: a.id, acknowledged: true, acknowledged_at: '2026-11-21T12:00:00Z' });
    const third = await get(s, path, auth);
    expect(third.body.anomalies[0]).toMatchObject({ id: a.id, acknowledged: true });
    expect((await get(s, `${path}&acknowledged=false`, auth)).body.anomalies).toHaveLength(0);
    expect((await post(s, '/api/v1/anomalies/999/acknowledge', {}, auth)).status).toBe(404);
    expect((await post(s, '/api/v1/anomalies/abc/acknowledge', {}, auth)).status).toBe(400);
    expect((await get(s, `${path}&threshold=1`, auth)).status).toBe(400);
    expect((await get(s, `${path}&method=isolation_forest`, auth)).status).toBe(400);
  });
});

describe('POST /api/v1/analyze', () => {
  it('runs the asked analyses over the last N days, keyed by type', async () => {
    const s = await server();
    const { status, body } = await post(s, '/api/v1/analyze', {
      filter: { endpoint: 'api' },
      days: 2,
      analysis_types: ['trends'],
    });
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['trends']);
    expect(body.trends.kind).toBe('trends');
    expect(body.trends.trends).toHaveLength(1);
    expect(body.trends.trends[0].direction).toBe('increasing');
    expect(body.trends.start).toBe('2026-11-19T12:00:00Z');
  });

  it('runs every analysis but comparison by default, and comparison too once its dimension is given', async () => {
    const s = await server();
    const all = await post(s, '/api/v1/analyze', { days: 2 });
    expect(all.status).toBe(200);
    expect(Object.keys(all.body)).toEqual([
      'trends',
      'regressions',
      'anomalies',
      'failure-patterns',
      'flaky-tests',
      'workload',
      'circuit-breakers',
    ]);
    const withDim = await post(s, '/api/v1/analyze', { days: 2, options: { comparison: { dimension: 'endpoint' } } });
    expect(withDim.status).toBe(200);
    expect(withDim.body.comparison.dimension).toBe('endpoint');
  });

  it('passes kind-specific options and rejects bad bodies with the path of each problem', async () => {
    const s = await server();
    const ok = await post(s, '/api/v1/analyze', {
      days: 2,
      analysis_types: ['trends'],
      group_by: ['endpoint'],
      options: { trends: { include_stable: false } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.trends.trends.map((t: any) => t.series.endpoint)).toEqual(['api']);

    const cases: [unknown, string][] = [
      [{ days: -1 }, 'days'],
      [{ days: 401 }, 'days'],
      [{ analysis_types: ['trends', 'nope'] }, 'analysis_types.1'],
      [{ filter: { _bad: 'x' } }, 'filter._bad'],
      [{ filter: { region: 5 } }, 'filter.region'],
      [{ extra: 1 }, 'extra'],
      [{ metric: 'success' }, 'metric'],
      [{ options: { trends: { alpha: 'x' } } }, 'alpha'],
    ];
    for (const [body, path] of cases) {
      const res = await post(s, '/api/v1/analyze', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      if (res.body.errors) expect(res.body.errors[0].path, JSON.stringify(body)).toBe(path);
      else expect(res.body.parameter, JSON.stringify(body)).toBe(path);
    }
    expect((await post(s, '/api/v1/analyze', '{not json')).status).toBe(400);
    const wrongType = await fetch(`${s.url}/api/v1/analyze`, {
      method: 'POST',
      body: '{}',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(wrongType.status).toBe(415);
  });

  it('is described in /openapi.json', async () => {
    const s = await server();
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/analysis/{kind}',
        '/api/v1/analyze',
        '/api/v1/anomalies',
        '/api/v1/anomalies/{id}/acknowledge',
      ]),
    );
    expect(doc.components.schemas.AnalyzeRequest).toMatchObject({ type: 'object', additionalProperties: false });
  });
});
