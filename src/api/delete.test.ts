// POST /api/v2/delete on a real loopback server with a real DuckDB store: what it deletes, that the aggregates and
// the analyses then answer as on a database where the deleted rows were never written, its 400s, and its auth.
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, expectedOf, HOUR, type Row } from '../../test/support/helpers.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const NOW = Date.UTC(2026, 10, 21, 12);
const START = NOW - 30 * HOUR;
const M = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Tests a and b on three workers and two endpoints over 30 h; failures with a few different messages. */
function rows(): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < 30 * 6; i++) {
    for (const worker of ['w1', 'w2', 'w3']) {
      const fail = (i * 7 + worker.charCodeAt(1)) % 6 === 0;
      out.push({
        t: START + i * 10 * M + Number(worker[1]) * 1000,
        success: !fail,
        latency: 20 + ((i * 13 + worker.charCodeAt(1)) % 37),
        tags: { test: i % 2 ? 'a' : 'b', endpoint: i % 3 ? 'api' : 'web', worker },
        ...(fail ? { error: i % 4 ? `timeout after ${i} ms` : `connect ECONNREFUSED 10.0.0.${i}:5432` } : {}),
      });
    }
  }
  return out;
}

async function server(o: Parameters<typeof startTestServer>[0] = {}, data: Row[] = rows()): Promise<TestServer> {
  const s = await startTestServer({ now: NOW, ...o });
  servers.push(s);
  await s.store.write(batchOf(data));
  await s.store.rollup(NOW);
  return s;
}

const del = (s: TestServer, body: unknown, headers: Record<string, string> = {}, query = 'org=acme&bucket=resultant') =>
  fetch(`${s.url}/api/v2/delete?${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const getJson = async (s: TestServer, path: string): Promise<unknown> => {
  const res = await fetch(`${s.url}${path}`);
  expect(res.status, path).toBe(200);
  return res.json();
};

describe('POST /api/v2/delete', () => {
  it('deletes the range of one series with 204, says how many, and the aggregates equal those of the remaining rows', async () => {
    const s = await server();
    const data = rows();
    const from = START + 5 * HOUR + 25 * M;
    const to = START + 20 * HOUR + 35 * M;
    const gone = (r: Row) => r.tags!.worker === 'w2' && r.tags!.endpoint === 'api' && r.t >= from && r.t <= to;
    const res = await del(s, {
      start: iso(from),
      stop: iso(to),
      predicate: '_measurement="test_result" AND worker="w2" AND endpoint="api"',
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(res.headers.get('resultant-deleted-results')).toBe(String(data.filter(gone).length));
    expect(res.headers.get('resultant-deleted-series')).toBe('0');
    const left = data.filter((r) => !gone(r));
    for (const period of ['hour', 'day'] as const) {
      const body = (await getJson(
        s,
        `/api/v1/aggregates?period=${period}&start=${iso(START - 12 * HOUR)}&stop=${iso(NOW)}&group_by=worker`,
      )) as {
        series: {
          group: { worker: string };
          buckets: {
            start: string;
            end: string;
            test_count: number;
            failure_count: number;
            stats: { mean: number; stddev: number; p95: number };
          }[];
        }[];
      };
      for (const g of body.series) {
        for (const b of g.buckets) {
          const inside = left.filter(
            (r) => r.tags!.worker === g.group.worker && r.t >= Date.parse(b.start) && r.t < Date.parse(b.end),
          );
          const exp = expectedOf(inside);
          expect([b.test_count, b.failure_count], `${period} ${g.group.worker} ${b.start}`).toEqual([
            exp.test_count,
            exp.failure_count,
          ]);
          expect(b.stats.mean).toBeCloseTo(exp.stats.mean!, 9);
          expect(b.stats.stddev).toBeCloseTo(exp.stats.stddev!, 9);
          expect(b.stats.p95).toBeCloseTo(exp.stats.p95!, 9);
        }
      }
    }
  });

  it('leaves flaky-tests and failure-patterns answering as on a database where the deleted rows were never written', async () => {
    const from = START + 3 * HOUR + 25 * M;
    const to = START + 14 * HOUR + 5 * M;
    const gone = (r: Row) => r.tags!.worker === 'w2' && r.t >= from && r.t <= to;
    const a = await server();
    const b = await server(
      {},
      rows().filter((r) => !gone(r)),
    );
    expect((await del(a, { start: iso(from), stop: iso(to), predicate: 'worker="w2"' })).status).toBe(204);
    const window = `start=${iso(START)}&stop=${iso(NOW)}`;
    for (const path of [
      `/api/v1/analysis/flaky-tests?${window}`,
      `/api/v1/analysis/failure-patterns?${window}`,
      `/api/v1/analysis/flaky-tests?${window}&tz=Asia/Kolkata`,
    ]) {
      const got = await getJson(a, path);
      expect(got, path).toEqual(await getJson(b, path));
    }
    // The deletion changed the answer (the comparison above is not between two equal databases).
    const c = await server();
    expect(await getJson(c, `/api/v1/analysis/failure-patterns?${window}`)).not.toEqual(
      await getJson(b, `/api/v1/analysis/failure-patterns?${window}`),
    );
  });

  it('deletes everything in the range with an empty or missing predicate, and series left empty leave the series list', async () => {
    const s = await server();
    const res = await del(s, { start: '1970-01-01T00:00:00Z', stop: '2100-01-01T00:00:00Z', predicate: '' });
    expect(res.status).toBe(204);
    expect(res.headers.get('resultant-deleted-results')).toBe(String(rows().length));
    expect(res.headers.get('resultant-deleted-series')).toBe('12');
    expect(await getJson(s, '/api/v1/series')).toMatchObject({ series: [] });
    expect((await del(s, { start: '1970-01-01T00:00:00Z', stop: '2100-01-01T00:00:00Z' })).status).toBe(204);
  });

  it('refuses predicates it does not support with a 400 that says what and at which column, and deletes nothing', async () => {
    const s = await server();
    const cases: [string, RegExp, number][] = [
      ['worker="w1" OR worker="w2"', /OR is not supported/, 13],
      ['worker!="w1"', /operator "!=" is not supported/, 7],
      ['worker=~/w1/', /regular expressions \("=~"\) are not supported/, 7],
      ['worker=/w1/', /regular expressions are not supported/, 8],
      ['(worker="w1")', /parentheses are not supported/, 1],
      ['_measurement="cpu"', /unknown measurement "cpu": the measurements are test_result and circuit_breaker/, 14],
      ['_field="latency_ms"', /tag key "_field" starts with "_", which is reserved/, 1],
      ['worker=w1', /the value of "worker" must be a double-quoted string/, 8],
      ["worker='w1'", /must be a double-quoted string/, 8],
      ['worker="w1', /is not closed/, 8],
      ['worker="w1" AND', /a term key="value" is missing after AND/, 16],
      ['worker="w1" endpoint="api"', /AND or the end of the predicate is expected, found "endpoint"/, 13],
      ['worker="w1" AND worker="w2"', /"worker" is given twice \(first at column 1\)/, 17],
    ];
    for (const [predicate, message, column] of cases) {
      const res = await del(s, { start: iso(START), stop: iso(NOW), predicate });
      expect(res.status, predicate).toBe(400);
      const body = (await res.json()) as { code: string; message: string; errors: { path: string; column: number }[] };
      expect(body.code).toBe('invalid');
      expect(body.message, predicate).toMatch(message);
      expect(body.message, predicate).toContain(`(column ${column})`);
      expect(body.errors[0], predicate).toMatchObject({ path: 'predicate', column });
    }
    const body = (await getJson(
      s,
      `/api/v1/aggregates?period=day&start=${iso(START - 12 * HOUR)}&stop=${iso(NOW)}`,
    )) as { series: { buckets: { test_count: number }[] }[] };
    expect(body.series[0]!.buckets.reduce((n, b) => n + b.test_count, 0)).toBe(rows().length);
    // AND in any case, spaces around "=", quotes escaped in values: accepted.
    expect(
      (await del(s, { start: iso(START), stop: iso(START), predicate: ' test = "a\\"b"  and worker="w1" ' })).status,
    ).toBe(204);
  });

  it('refuses bodies without a valid range, of another type, or too large', async () => {
    const s = await server();
    const bad = async (body: unknown, path: string, message: RegExp) => {
      const res = await del(s, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const b = (await res.json()) as { message: string; errors: { path: string }[] };
      expect(b.message).toMatch(message);
      expect(b.errors[0]!.path).toBe(path);
    };
    await bad({ stop: iso(NOW) }, 'start', /"start" is required/);
    await bad({ start: iso(START), stop: 'yesterday' }, 'stop', /"stop" must be an RFC 3339 time/);
    await bad({ start: iso(NOW), stop: iso(START) }, 'stop', /must not be before "start"/);
    await bad({ start: iso(START), stop: iso(NOW), predicate: 3 }, 'predicate', /must be a string/);
    await bad({ start: iso(START), stop: iso(NOW), where: 'x' }, 'where', /is not known here/);
    expect((await del(s, 'not json')).status).toBe(400);
    const text = await fetch(`${s.url}/api/v2/delete`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
    const huge = await del(s, { start: iso(START), stop: iso(NOW), predicate: `worker="${'x'.repeat(70_000)}"` });
    expect(huge.status).toBe(413);
  });

  it('needs a write token when tokens are configured: none or a wrong one 401, a read-only one 403', async () => {
    const s = await server({ authTokens: ['full-token'], readTokens: ['read-token'] });
    const body = { start: iso(START), stop: iso(NOW), predicate: 'worker="w1"' };
    expect((await del(s, body)).status).toBe(401);
    expect((await del(s, body, { Authorization: 'Token wrong' })).status).toBe(401);
    expect((await del(s, body, { Authorization: 'Token read-token' })).status).toBe(403);
    const series = async () =>
      (await s.store.series({ start: 0, stop: 1e16, filters: { worker: ['w1'] }, limit: 100 })).reduce(
        (n, x) => n + x.count,
        0,
      );
    expect(await series()).toBeGreaterThan(0);
    expect((await del(s, body, { Authorization: 'Bearer full-token' })).status).toBe(204);
    expect(await series()).toBe(0);
  });
});
