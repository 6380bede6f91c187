// The Grafana endpoints on a real Resultant (loopback HTTP, in-memory DuckDB) against a stand-in of Grafana's HTTP
// API on another loopback port: listing, provisioning, idempotence, and the 401/404/412/network/timeout errors.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeGrafana, startFakeGrafana } from '../../test/support/grafana-fake.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { buildDashboards } from '../grafana/index.js';

let srv: TestServer | null = null;
let grafana: FakeGrafana | null = null;
afterEach(async () => {
  await srv?.close();
  await grafana?.close();
  srv = null;
  grafana = null;
});

const generated = buildDashboards();
const post = (url: string, headers: Record<string, string> = {}) => fetch(url, { method: 'POST', headers });
const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

async function withGrafana(opts: Parameters<typeof startTestServer>[0] = {}) {
  grafana = await startFakeGrafana();
  srv = await startTestServer({ grafana: { url: grafana.url, token: grafana.token }, ...opts });
  return { s: srv, g: grafana };
}

describe('GET /api/v1/grafana/dashboards', () => {
  it('lists the six dashboards with their fixed uids and JSON', async () => {
    srv = await startTestServer();
    const body = await json(await fetch(`${srv.url}/api/v1/grafana/dashboards`));
    const list = body.dashboards as { uid: string; variant: string; dashboard: { uid: string; panels: unknown[] } }[];
    expect(list.map((d) => d.uid)).toEqual(generated.map((f) => f.dashboard.uid));
    for (const d of list) {
      expect(d.dashboard.uid).toBe(d.uid);
      expect(d.dashboard.panels.length).toBeGreaterThan(3);
    }
  });

  it('filters by variant and rejects an unknown variant or parameter', async () => {
    srv = await startTestServer();
    const api = await json(await fetch(`${srv.url}/api/v1/grafana/dashboards?variant=api`));
    expect((api.dashboards as { variant: string }[]).map((d) => d.variant)).toEqual(['api', 'api', 'api']);
    const bad = await fetch(`${srv.url}/api/v1/grafana/dashboards?variant=prometheus`);
    expect(bad.status).toBe(400);
    expect((await json(bad)).message).toMatch(/variant/);
    expect((await fetch(`${srv.url}/api/v1/grafana/dashboards?varient=api`)).status).toBe(400);
  });

  it('is described in /openapi.json', async () => {
    srv = await startTestServer();
    const doc = await json(await fetch(`${srv.url}/openapi.json`));
    expect(Object.keys(doc.paths as object)).toEqual(
      expect.arrayContaining(['/api/v1/grafana/dashboards', '/api/v1/grafana/provision']),
    );
  });

  it('needs a read token when tokens are configured', async () => {
    srv = await startTestServer({ authTokens: ['secret-token-1'] });
    expect((await fetch(`${srv.url}/api/v1/grafana/dashboards`)).status).toBe(401);
    const ok = await fetch(`${srv.url}/api/v1/grafana/dashboards`, {
      headers: { Authorization: 'Token secret-token-1' },
    });
    expect(ok.status).toBe(200);
  });
});

describe('POST /api/v1/grafana/provision', () => {
  it('pushes the API variant for the embedded store into the Resultant folder, exactly as generated', async () => {
    const { s, g } = await withGrafana();
    const res = await post(`${s.url}/api/v1/grafana/provision`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.variant).toBe('api');
    const results = body.dashboards as { uid: string; result: string; version: number }[];
    expect(results.map((r) => r.result)).toEqual(['created', 'created', 'created']);
    expect(g.folders.get('resultant')).toBe('Resultant');
    for (const f of generated.filter((x) => x.variant === 'api')) {
      const stored = g.dashboards.get(f.dashboard.uid)!;
      expect(stored.folderUid).toBe('resultant');
      const { id: _stored, ...got } = stored.dashboard;
      // Grafana assigns id and version itself.
      const { id: _ours, version: _v, ...want } = f.dashboard;
      expect(got).toEqual(want);
    }
    for (const r of g.requests) expect(r.auth).toBe(`Bearer ${g.token}`);
  });

  it('is idempotent: a second run changes nothing and writes nothing; an edited dashboard is put back', async () => {
    const { s, g } = await withGrafana({ store: 'influxdb' });
    const first = await json(await post(`${s.url}/api/v1/grafana/provision`));
    expect(first.variant).toBe('all');
    expect((first.dashboards as unknown[]).length).toBe(6);
    const saves = () => g.requests.filter((r) => r.method === 'POST' && r.path === '/api/dashboards/db').length;
    expect(saves()).toBe(6);

    const second = await json(await post(`${s.url}/api/v1/grafana/provision`));
    expect((second.dashboards as { result: string }[]).every((d) => d.result === 'unchanged')).toBe(true);
    expect(saves()).toBe(6);

    // Someone edits one in Grafana: the next run restores it, and only it.
    const edited = g.dashboards.get('resultant-influx-overview')!;
    edited.dashboard.title = 'changed in the UI';
    const third = await json(await post(`${s.url}/api/v1/grafana/provision`));
    const results = third.dashboards as { uid: string; result: string; version: number }[];
    expect(results.filter((d) => d.result === 'updated').map((d) => d.uid)).toEqual(['resultant-influx-overview']);
    expect(results.find((d) => d.uid === 'resultant-influx-overview')!.version).toBe(2);
    expect(g.dashboards.get('resultant-influx-overview')!.dashboard.title).toBe('Resultant: overview (InfluxDB)');
    expect(saves()).toBe(7);
  });

  it('says so when Grafana is not configured', async () => {
    srv = await startTestServer();
    const res = await post(`${srv.url}/api/v1/grafana/provision`);
    expect(res.status).toBe(503);
    expect((await json(res)).message).toMatch(/GRAFANA_URL and GRAFANA_TOKEN/);
  });

  it('needs a write token when tokens are configured, and then never calls Grafana', async () => {
    const { s, g } = await withGrafana({ authTokens: ['secret-token-1'], publicRead: true });
    expect((await post(`${s.url}/api/v1/grafana/provision`)).status).toBe(401);
    expect(g.requests).toEqual([]);
    const ok = await post(`${s.url}/api/v1/grafana/provision`, { Authorization: 'Bearer secret-token-1' });
    expect(ok.status).toBe(200);
  });

  it('explains a rejected GRAFANA_TOKEN (401)', async () => {
    grafana = await startFakeGrafana();
    srv = await startTestServer({ grafana: { url: grafana.url, token: 'wrong' } });
    const res = await post(`${srv.url}/api/v1/grafana/provision`);
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body.grafana_status).toBe(401);
    expect(body.message).toMatch(/rejected GRAFANA_TOKEN \(401 Unauthorized\)/);
    expect(String(body.message)).not.toContain('wrong');
  });

  it('explains a wrong GRAFANA_URL path (404)', async () => {
    grafana = await startFakeGrafana();
    srv = await startTestServer({ grafana: { url: `${grafana.url}/not-grafana`, token: grafana.token } });
    const body = await json(await post(`${srv.url}/api/v1/grafana/provision`));
    expect(body.grafana_status).toBe(404);
    expect(body.message).toMatch(/404 Not Found.*GRAFANA_URL is Grafana's root URL/);
  });

  it('explains a title clash (412 name-exists) and lists what was pushed before it', async () => {
    const { s, g } = await withGrafana();
    g.folders.set('resultant', 'Resultant');
    g.dashboards.set('someone-elses', {
      dashboard: { uid: 'someone-elses', title: 'Resultant: endpoint (API)' },
      folderUid: 'resultant',
      version: 3,
    });
    const res = await post(`${s.url}/api/v1/grafana/provision`);
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body.grafana_status).toBe(412);
    expect(body.grafana_reason).toBe('name-exists');
    expect(body.message).toMatch(/"resultant-api-endpoint".*412 name-exists.*rename or delete/);
    expect((body.provisioned as { uid: string }[]).map((d) => d.uid)).toEqual(['resultant-api-overview']);
  });

  it('explains a version conflict (412 version-mismatch)', async () => {
    const { s, g } = await withGrafana();
    g.forceSave = {
      status: 412,
      body: { status: 'version-mismatch', message: 'The dashboard has been changed by someone else' },
    };
    const body = await json(await post(`${s.url}/api/v1/grafana/provision`));
    expect(body.grafana_reason).toBe('version-mismatch');
    expect(body.message).toMatch(/412 version-mismatch.*run the provisioning again/);
  });

  it('explains an unreachable Grafana', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    srv = await startTestServer({ grafana: { url: `http://127.0.0.1:${port}`, token: 't' } });
    const res = await post(`${srv.url}/api/v1/grafana/provision`);
    expect(res.status).toBe(503);
    expect((await json(res)).message).toMatch(/cannot reach Grafana at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('gives up on a Grafana that does not answer', async () => {
    grafana = await startFakeGrafana();
    grafana.hang = true;
    srv = await startTestServer({ grafana: { url: grafana.url, token: grafana.token, timeoutMs: 300 } });
    const res = await post(`${srv.url}/api/v1/grafana/provision`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect((await json(res)).message).toMatch(/did not answer within 0\.3 s/);
  });
});
