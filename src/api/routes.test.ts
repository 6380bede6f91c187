// The declared response schemas (route.ts) against real answers: a real server on loopback (test/support/server.ts)
// with data in it answers a request to every declared route with a JSON body, and each answer parses with the
// schema its route declares for the status, whole (nothing of the answer is left out of the schema).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGrafana, startFakeGrafana } from '../../test/support/grafana-fake.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { ROUTES } from './routes.js';

const NOW = Date.UTC(2026, 10, 21, 12);
const HOUR = 3_600_000;

let srv: TestServer;
let grafana: FakeGrafana;
beforeAll(async () => {
  grafana = await startFakeGrafana();
  srv = await startTestServer({ now: NOW, grafana: { url: grafana.url, token: grafana.token } });
  const lines: string[] = [];
  for (let i = 0; i < 240; i++) {
    const t = NOW - (240 - i) * HOUR + 60_000;
    for (const endpoint of ['api', 'web'])
      lines.push(
        `test_result,test=probe,endpoint=${endpoint},region=eu success=${i % 5 === 0 ? 'false' : 'true'},latency_ms=${i === 232 ? 5000 : 50 + (i % 7) * 3}${i % 5 === 0 ? ',error="timeout",error_type="timeout"' : ''} ${t}000000`,
      );
  }
  lines.push(`circuit_breaker,breaker=db,endpoint=api state="open",failures=3i ${NOW - HOUR}000000`);
  const res = await fetch(`${srv.url}/api/v2/write`, { method: 'POST', body: lines.join('\n') });
  expect(res.status, await res.text()).toBe(204);
  await srv.store.rollup(NOW);
});
afterAll(async () => {
  await srv?.close();
  await grafana?.close();
});

/** Answers so far, by declared path: later requests take ids from them. */
const answers = new Map<string, unknown>();
const firstAnomalyId = (): number =>
  (answers.get('/api/v1/anomalies') as { anomalies: { id: number }[] }).anomalies[0]!.id;

/**
 * Requests whose answers are checked, in order: method, the route's declared path, the URL path with query (or how
 * to make it from earlier answers), a JSON body.
 */
const REQUESTS: [string, string, string | (() => string), unknown?][] = [
  ['get', '/health', '/health'],
  ['get', '/query', '/query?q=SHOW%20DATABASES%3B%20SHOW%20RETENTION%20POLICIES%3B%20SHOW%20MEASUREMENTS'],
  ['post', '/query', '/query?q=CREATE%20DATABASE%20telegraf'],
  [
    'post',
    '/api/v1/results',
    '/api/v1/results',
    [{ time: '2026-11-21T11:30:00Z', success: true, latency_ms: 42, tags: { test: 'probe', endpoint: 'json' } }],
  ],
  ['get', '/openapi.json', '/openapi.json'],
  ['get', '/api/v1/aggregates', '/api/v1/aggregates?period=hour&group_by=endpoint'],
  ['get', '/api/v1/aggregates', '/api/v1/aggregates?period=day&fill=true&tag.endpoint=api'],
  ['get', '/api/v1/results', '/api/v1/results?limit=5'],
  ['get', '/api/v1/results', '/api/v1/results?success=false&tag.endpoint=web'],
  ['get', '/api/v1/series', '/api/v1/series?limit=2'],
  ['get', '/api/v1/series', '/api/v1/series?measurement=circuit_breaker'],
  [
    'post',
    '/api/v1/notifications/rules',
    '/api/v1/notifications/rules',
    { name: 'avail', kind: 'availability_below', threshold: 99.9, min_tests: 1, window_minutes: 1440 },
  ],
  ['get', '/api/v1/notifications/rules', '/api/v1/notifications/rules'],
  ['post', '/api/v1/notifications/evaluate', '/api/v1/notifications/evaluate'],
  ['get', '/api/v1/notifications', '/api/v1/notifications'],
  ['get', '/api/v1/grafana/dashboards', '/api/v1/grafana/dashboards?variant=api'],
  ['post', '/api/v1/grafana/provision', '/api/v1/grafana/provision'],
  ['get', '/api/v1/analysis/:kind', '/api/v1/analysis/trends?group_by=endpoint'],
  ['get', '/api/v1/analysis/:kind', '/api/v1/analysis/anomalies?period=hour&start=2026-11-19T12:00:00Z'],
  ['get', '/api/v1/analysis/:kind', '/api/v1/analysis/regressions'],
  ['post', '/api/v1/analyze', '/api/v1/analyze', { days: 3, analysis_types: ['trends', 'anomalies'] }],
  ['get', '/api/v1/anomalies', '/api/v1/anomalies'],
  ['get', '/api/v1/forecast', '/api/v1/forecast?tag.endpoint=api&horizon=6'],
  ['post', '/api/v1/anomalies/:id/acknowledge', () => `/api/v1/anomalies/${firstAnomalyId()}/acknowledge`],
];

describe('the declared response schemas', () => {
  const checked = new Set<string>();

  it.each(REQUESTS)('%s %s: %s answers what its route declares', async (method, path, url, body) => {
    const decl = ROUTES.find((r) => r.method === method && r.path === path);
    expect(decl, `${method} ${path} is declared`).toBeDefined();
    const res = await fetch(`${srv.url}${typeof url === 'string' ? url : url()}`, {
      method: method.toUpperCase(),
      ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const response = decl!.responses[String(res.status)];
    expect(response, `${res.status} is a declared answer: ${await res.clone().text()}`).toBeDefined();
    expect(response!.body, `${res.status} of ${method} ${path} has a declared JSON body`).toBeDefined();
    const json: unknown = await res.json();
    const parsed = response!.body!.safeParse(json);
    expect(parsed.error?.issues ?? []).toEqual([]);
    // Nothing of the answer is outside the schema (an object schema drops keys it does not know).
    expect(parsed.data).toEqual(json);
    answers.set(path, json);
    checked.add(`${method} ${path} ${res.status}`);
  });

  it('every declared JSON answer of a success status was checked', () => {
    const declared = ROUTES.flatMap((r) =>
      Object.entries(r.responses)
        .filter(([status, d]) => d.body && status.startsWith('2'))
        .map(([status]) => `${r.method} ${r.path} ${status}`),
    );
    expect(declared.filter((d) => !checked.has(d))).toEqual([]);
  });
});
