// The HTTP API on a real loopback server with a real DuckDB store: happy paths, errors and security cases.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf } from '../../test/support/helpers.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { diskStatus } from './app.js';

let srv: TestServer | null = null;
afterEach(async () => {
  await srv?.close();
  srv = null;
});
const start = async (o: Parameters<typeof startTestServer>[0] = {}) => (srv = await startTestServer(o));

const T0 = Date.UTC(2026, 10, 21, 10);
/** Debian's prometheus package has it; where it is missing the naming rules above still run. */
const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));
const ns = (ms: number) => `${ms}000000`;

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'text/plain', ...headers } });
}

async function count(s: TestServer): Promise<number> {
  const page = await s.store.results({ start: 0, stop: 1e16, filters: {}, limit: 10_000 });
  return page.results.length;
}

const netmonitor = [10, 11, 12, 13, 14]
  .map((v, i) => `test_result,endpoint=api,region=eu success=true,latency_ms=${v} ${ns(T0 + i * 60_000)}`)
  .concat([`test_result,endpoint=api,region=eu success=false,error="timeout after 5000 ms" ${ns(T0 + 30 * 60_000)}`])
  .join('\n');

describe('writes', () => {
  it('accepts line protocol on /api/v2/write with 204 and shows it in the aggregates', async () => {
    const s = await start();
    const res = await post(`${s.url}/api/v2/write?org=o&bucket=b&precision=ns`, netmonitor);
    expect(res.status).toBe(204);
    const agg = await fetch(
      `${s.url}/api/v1/aggregates?period=hour&start=2026-11-21T10:00:00Z&stop=2026-11-21T11:00:00Z&group_by=endpoint`,
    );
    expect(agg.status).toBe(200);
    const body = (await agg.json()) as Record<string, unknown>;
    expect(body).toEqual({
      period: 'hour',
      tz: 'UTC',
      metric: 'latency_ms',
      group_by: ['endpoint'],
      start: '2026-11-21T10:00:00Z',
      stop: '2026-11-21T11:00:00Z',
      series: [
        {
          group: { endpoint: 'api' },
          buckets: [
            {
              start: '2026-11-21T10:00:00Z',
              end: '2026-11-21T11:00:00Z',
              partial: false,
              test_count: 6,
              success_count: 5,
              failure_count: 1,
              availability_pct: (100 * 5) / 6,
              stats: { count: 5, mean: 12, min: 10, max: 14, stddev: Math.SQRT2, p50: 12, p95: 13.8, p99: 13.96 },
            },
          ],
        },
      ],
    });
  });

  it('accepts every v1 precision on /write', async () => {
    const s = await start();
    const cases: [string, string][] = [
      ['n', ns(T0)],
      ['u', `${T0}000`],
      ['ms', `${T0}`],
      ['s', `${T0 / 1000}`],
      ['m', `${T0 / 60_000}`],
      ['h', `${T0 / 3_600_000}`],
    ];
    for (const [p, ts] of cases) {
      const res = await post(`${s.url}/write?db=x&precision=${p}`, `test_result,p=${p} success=true ${ts}`);
      expect(res.status, p).toBe(204);
    }
    const page = await s.store.results({ start: 0, stop: 1e16, filters: {}, limit: 10 });
    expect(page.results.map((r) => r.time)).toEqual(cases.map(() => T0 * 1000));
  });

  it('accepts gzip bodies', async () => {
    const s = await start();
    const res = await post(`${s.url}/api/v2/write`, gzipSync(netmonitor), { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(204);
    expect(await count(s)).toBe(6);
  });

  it('answers 400 naming the first bad line, and writes nothing of the request', async () => {
    const s = await start();
    const body = `${netmonitor}\n# comment\n\ntest_result,endpoint=api latency_ms=3 ${ns(T0)}\ntest_result bad`;
    const res = await post(`${s.url}/api/v2/write`, body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 'invalid', message: 'line 9: field "success" is missing', line: 9 });
    expect(await count(s)).toBe(0);
  });

  it('rejects unknown measurements, naming the accepted ones', async () => {
    const s = await start();
    const res = await post(`${s.url}/api/v2/write`, 'cpu,host=a usage=1');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/test_result and circuit_breaker/);
  });

  it('rejects an invalid precision, invalid gzip, an unknown encoding and an empty body', async () => {
    const s = await start();
    expect((await post(`${s.url}/api/v2/write?precision=h`, netmonitor)).status).toBe(400);
    const gz = await post(`${s.url}/api/v2/write`, 'not gzip at all', { 'Content-Encoding': 'gzip' });
    expect(gz.status).toBe(400);
    expect(((await gz.json()) as { message: string }).message).toMatch(/gzip/);
    expect((await post(`${s.url}/api/v2/write`, netmonitor, { 'Content-Encoding': 'br' })).status).toBe(415);
    const empty = await post(`${s.url}/api/v2/write`, '\n# nothing\n');
    expect(empty.status).toBe(400);
    expect(await count(s)).toBe(0);
  });

  it('answers 413 for a body over the limit, also when only the decompressed size is over it', async () => {
    const s = await start({ maxBodyBytes: 10_000 });
    const big = Array.from({ length: 400 }, (_, i) => `test_result,i=${i} success=true ${ns(T0)}`).join('\n');
    const plain = await post(`${s.url}/api/v2/write`, big);
    expect(plain.status).toBe(413);
    expect(((await plain.json()) as { code: string }).code).toBe('request too large');
    const zipped = gzipSync(big);
    expect(zipped.length).toBeLessThan(10_000);
    expect((await post(`${s.url}/api/v2/write`, zipped, { 'Content-Encoding': 'gzip' })).status).toBe(413);
    expect(await count(s)).toBe(0);
  });

  it('answers 503 with Retry-After when the ingest queue is full', async () => {
    const s = await start({ queueMaxPoints: 1000 });
    const rows = Array.from({ length: 300_000 }, (_, i) => ({ t: T0 + i, latency: 1, tags: { e: String(i % 50) } }));
    const pending = s.queue.submit(batchOf(rows)); // larger than the queue: accepted because nothing else waits
    const res = await post(`${s.url}/api/v2/write`, netmonitor);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { code: string }).code).toBe('unavailable');
    await pending;
    expect((await post(`${s.url}/api/v2/write`, netmonitor)).status).toBe(204);
  });

  it('refuses points older than the raw retention, naming the line', async () => {
    const s = await start({ rawRetentionDays: 7 });
    const body = `test_result success=true ${ns(T0)}\ntest_result success=true ${ns(T0 - 30 * 86_400_000)}`;
    const res = await post(`${s.url}/api/v2/write`, body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      line: 2,
      message: expect.stringMatching(/^line 2: .*older than the raw retention/),
    });
  });

  it('keeps a result at the latest time it accepts visible in results, series and aggregates', async () => {
    const s = await start({ now: T0 });
    expect(
      (await post(`${s.url}/api/v2/write`, 'test_result,endpoint=edge success=true 9007199254740991000')).status,
    ).toBe(204);
    // Later ones would be rounded on the way (before, this one was counted in aggregates but missing from results).
    expect(
      (await post(`${s.url}/api/v2/write`, 'test_result,endpoint=edge success=true 9223372036854775000')).status,
    ).toBe(400);
    const read = (await (await fetch(`${s.url}/api/v1/results?tag.endpoint=edge`)).json()) as {
      results: { time: string }[];
    };
    expect(read.results.map((r) => r.time)).toEqual(['2255-06-05T23:47:34.740991Z']);
    const series = (await (await fetch(`${s.url}/api/v1/series`)).json()) as {
      series: { tags: Record<string, string> }[];
    };
    expect(series.series.map((x) => x.tags.endpoint)).toContain('edge');
    const agg = await fetch(
      `${s.url}/api/v1/aggregates?period=day&start=2255-06-05T00:00:00Z&stop=2255-06-06T00:00:00Z&tag.endpoint=edge`,
    );
    const body = (await agg.json()) as { series: { buckets: { test_count: number }[] }[] };
    expect(body.series[0]!.buckets.map((b) => b.test_count)).toEqual([1]);
  });

  it('accepts JSON results with 201 and the count', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/api/v1/results`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([
        {
          time: '2026-11-21T10:00:00.123456Z',
          success: true,
          latency_ms: 5,
          tags: { endpoint: 'a' },
          metrics: { throughput: 3 },
        },
        { time: T0 + 1, success: false, error: 'boom', error_type: 'http', tags: { endpoint: 'a' } },
      ]),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ written: 2 });
    const read = (await (await fetch(`${s.url}/api/v1/results?tag.endpoint=a`)).json()) as { results: unknown[] };
    expect(read.results).toEqual([
      {
        time: '2026-11-21T10:00:00.123456Z',
        success: true,
        latency_ms: 5,
        metrics: { throughput: 3 },
        error: null,
        error_type: null,
        tags: { endpoint: 'a' },
      },
      {
        time: '2026-11-21T10:00:00.001Z',
        success: false,
        latency_ms: null,
        metrics: null,
        error: 'boom',
        error_type: 'http',
        tags: { endpoint: 'a' },
      },
    ]);
  });

  it('answers 400 with the index and path of every bad JSON record, and writes none', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/api/v1/results`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ success: true }, { success: true, latency_ms: -1 }, { latency_ms: 2 }]),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; errors: { index: number; path: string }[] };
    expect(body.code).toBe('invalid');
    expect(body.errors.map((e) => [e.index, e.path])).toEqual([
      [1, 'latency_ms'],
      [2, 'success'],
    ]);
    expect(await count(s)).toBe(0);
  });

  it('answers 415 for JSON without a JSON content type and 400 for malformed JSON', async () => {
    const s = await start();
    expect((await post(`${s.url}/api/v1/results`, '{"success":true}')).status).toBe(415);
    const bad = await fetch(`${s.url}/api/v1/results`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"success":',
    });
    expect(bad.status).toBe(400);
  });
});

describe('authentication', () => {
  const token = 'secret-token-1';

  it('needs a token for writes and reads when tokens are configured', async () => {
    const s = await start({ authTokens: [token, 'another-token'] });
    const none = await post(`${s.url}/api/v2/write`, netmonitor);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe('unauthorized');
    expect((await post(`${s.url}/api/v2/write`, netmonitor, { Authorization: 'Token wrong-token' })).status).toBe(401);
    expect((await post(`${s.url}/api/v2/write`, netmonitor, { Authorization: `Token ${token}` })).status).toBe(204);
    expect((await post(`${s.url}/api/v2/write`, netmonitor, { Authorization: 'Bearer another-token' })).status).toBe(
      204,
    );
    expect((await fetch(`${s.url}/api/v1/aggregates?period=hour`)).status).toBe(401);
    expect(
      (await fetch(`${s.url}/api/v1/aggregates?period=hour`, { headers: { Authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    // Liveness and health stay open for probes.
    expect((await fetch(`${s.url}/ping`)).status).toBe(204);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it('takes the v1 token from ?p= or a basic-auth password on /write only', async () => {
    const s = await start({ authTokens: [token] });
    expect((await post(`${s.url}/write?db=x&u=me&p=${token}`, netmonitor)).status).toBe(204);
    const basic = `Basic ${Buffer.from(`me:${token}`).toString('base64')}`;
    expect((await post(`${s.url}/write?db=x`, netmonitor, { Authorization: basic })).status).toBe(204);
    expect((await post(`${s.url}/api/v2/write?p=${token}`, netmonitor)).status).toBe(401);
  });

  it('lets a read-only token read everything and change nothing (403), while a full token still can', async () => {
    const reader = 'dashboard-token-1';
    const s = await start({ authTokens: [token], readTokens: [reader] });
    const as = (t: string) => ({ Authorization: `Token ${t}` });
    for (const path of [
      '/api/v1/aggregates?period=hour',
      '/api/v1/results',
      '/api/v1/series',
      '/metrics',
      '/api/v1/notifications/rules',
    ]) {
      expect((await fetch(`${s.url}${path}`, { headers: as(reader) })).status, path).toBe(200);
    }
    const writes: [string, string, string][] = [
      ['POST', '/api/v2/write', netmonitor],
      ['POST', '/write?db=x', netmonitor],
      ['POST', '/api/v1/results', '{"success": true}'],
      ['POST', '/api/v1/notifications/rules', '{}'],
      ['POST', '/api/v1/notifications/evaluate', '{}'],
      ['DELETE', '/api/v1/notifications/rules/1', ''],
      ['POST', '/api/v1/grafana/provision', '{}'],
      ['POST', '/api/v1/anomalies/1/acknowledge', '{}'],
    ];
    for (const [method, path, body] of writes) {
      const res = await fetch(`${s.url}${path}`, {
        method,
        headers: { ...as(reader), 'Content-Type': 'application/json' },
        ...(body ? { body } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(((await res.json()) as { message: string }).message).toMatch(/may only read \(RESULTANT_READ_TOKENS\)/);
    }
    const v1 = await post(`${s.url}/write?db=x&u=me&p=${reader}`, netmonitor);
    expect(v1.status).toBe(403);
    expect((await post(`${s.url}/api/v2/write`, netmonitor, as(token))).status).toBe(204);
    expect((await post(`${s.url}/api/v2/write`, netmonitor, as('not-a-token'))).status).toBe(401);
  });

  it('lets anyone read with RESULTANT_PUBLIC_READ, but not write', async () => {
    const s = await start({ authTokens: [token], publicRead: true });
    expect((await fetch(`${s.url}/api/v1/aggregates?period=hour`)).status).toBe(200);
    expect((await post(`${s.url}/api/v2/write`, netmonitor)).status).toBe(401);
  });
});

describe('reads', () => {
  it('names the parameter in every 400', async () => {
    const s = await start();
    const cases: [string, RegExp][] = [
      ['period=', /"period" is required/],
      ['period=year', /"period" must be one of hour, day, week, month/],
      ['period=hour&tz=Mars/Olympus', /"tz" must be an IANA time zone/],
      ['period=hour&start=yesterday', /"start" must be an RFC 3339/],
      ['period=hour&start=2026-11-21T10:00:00Z&stop=2026-11-21T09:00:00Z', /stop must be after start/],
      ['period=hour&groupby=region', /"groupby" is not known/],
      ['period=hour&group_by=_secret', /reserved/],
      ['period=hour&fill=yes', /"fill" must be true or false/],
      ['period=hour&metric=success', /not a numeric metric/],
      ['period=hour&start=2000-01-01T00:00:00Z&stop=2026-01-01T00:00:00Z', /more than 20000 hour buckets/],
      ['period=hour&period=day', /given more than once/],
    ];
    for (const [q, re] of cases) {
      const res = await fetch(`${s.url}/api/v1/aggregates?${q}`);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('invalid');
      expect(body.message, q).toMatch(re);
    }
  });

  it('answers 400 for start or stop past the year 9999, where reads failed with a 500', async () => {
    // Past 2262 the store's timestamps overflow, past 275760 dates do (found by test/e2e/fuzz-soak.test.ts).
    const s = await start();
    const late = ['99999999999999999999', '9223372036854775807', '8640000000000001', '253402300800001']; // the last: 10000-01-01T00:00:00.001Z
    for (const path of ['/api/v1/aggregates?period=day&', '/api/v1/results?', '/api/v1/series?']) {
      for (const [i, t] of late.entries()) {
        const q = `${path}${i % 2 ? 'start=0&stop' : 'stop'}=${t}`;
        const res = await fetch(`${s.url}${q}`);
        expect(res.status, q).toBe(400);
        expect(await res.json(), q).toMatchObject({
          code: 'invalid',
          parameter: 'stop',
          message: 'parameter "stop" must not be after the end of the year 9999',
        });
      }
      const last = await fetch(`${s.url}${path}start=9999-12-31T00:00:00Z&stop=9999-12-31T23:59:59.999999Z`);
      expect(last.status, path).toBe(200);
    }
  });

  it('pages raw results with next_cursor, filters them, and refuses a forged cursor', async () => {
    const s = await start();
    const lines = Array.from(
      { length: 30 },
      (_, i) => `test_result,endpoint=e${i % 2} success=${i % 5 !== 0},latency_ms=${i} ${ns(T0 + i * 1000)}`,
    );
    expect((await post(`${s.url}/api/v2/write`, lines.join('\n'))).status).toBe(204);
    const seen: number[] = [];
    let url = `${s.url}/api/v1/results?limit=7&tag.endpoint=e0`;
    for (;;) {
      const page = (await (await fetch(url)).json()) as {
        results: { latency_ms: number }[];
        next_cursor: string | null;
      };
      seen.push(...page.results.map((r) => r.latency_ms));
      if (!page.next_cursor) break;
      url = `${s.url}/api/v1/results?limit=7&tag.endpoint=e0&cursor=${encodeURIComponent(page.next_cursor)}`;
    }
    expect(seen).toEqual(Array.from({ length: 15 }, (_, i) => 28 - 2 * i));
    const failed = (await (await fetch(`${s.url}/api/v1/results?success=false`)).json()) as { results: unknown[] };
    expect(failed.results).toHaveLength(6);
    expect((await fetch(`${s.url}/api/v1/results?cursor=abc`)).status).toBe(400);
    expect((await fetch(`${s.url}/api/v1/results?limit=10001`)).status).toBe(400);
  });

  it('lists series with first and last time and counts', async () => {
    const s = await start();
    await post(`${s.url}/api/v2/write`, netmonitor);
    const body = (await (await fetch(`${s.url}/api/v1/series?tag.endpoint=api`)).json()) as { series: unknown[] };
    expect(body.series).toEqual([
      {
        measurement: 'test_result',
        tags: { endpoint: 'api', region: 'eu' },
        first_time: '2026-11-21T10:00:00Z',
        last_time: '2026-11-21T10:30:00Z',
        count: 6,
      },
    ]);
  });

  it('answers 404 with the error body for unknown routes', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/api/v1/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'not found', message: 'no route for GET /api/v1/nothing' });
  });

  it('hides internals in a 500', async () => {
    const s = await start();
    expect((await post(`${s.url}/api/v2/write`, netmonitor)).status).toBe(204);
    await s.store.close(); // the store now fails every query with its own error text
    const res = await fetch(`${s.url}/api/v1/aggregates?period=hour`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ code: 'internal error', message: 'internal error' });
  });
});

/** The metric families of a Prometheus text exposition: name -> type, from its # TYPE lines. */
function metricTypes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

describe('service endpoints', () => {
  it("reports the database file's size and the free disk in /health and /metrics", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'resultant-disk-'));
    try {
      const s = await start({ path: join(dir, 'r.duckdb') });
      await post(`${s.url}/api/v2/write`, netmonitor);
      const health = (await (await fetch(`${s.url}/health`)).json()) as {
        checks: { name: string; status: string; database_bytes?: number; free_bytes?: number }[];
      };
      const disk = health.checks.find((c) => c.name === 'disk')!;
      expect(disk.database_bytes).toBeGreaterThan(0);
      const fs = statfsSync(dir);
      // The same file system's free space (other writers on the machine move it a little meanwhile).
      expect(Math.abs(disk.free_bytes! - fs.bavail * fs.bsize)).toBeLessThan(1024 ** 3);
      expect(disk.status).toBe(diskStatus(disk.free_bytes!));
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`resultant_database_size_bytes ${disk.database_bytes}\\b`));
      expect(metrics).toMatch(/resultant_disk_free_bytes \d+/);
      await srv?.close();
      srv = null;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers browsers of the RESULTANT_CORS_ORIGINS origins (preflights without a token), and no others', async () => {
    const dash = 'https://dash.example.com';
    const s = await start({ corsOrigins: [dash], authTokens: ['secret-token-1'] });
    const auth = { Authorization: 'Token secret-token-1' };
    const ok = await fetch(`${s.url}/api/v1/aggregates?period=hour`, { headers: { ...auth, Origin: dash } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(dash);
    expect(ok.headers.get('vary')).toMatch(/Origin/);
    const other = await fetch(`${s.url}/api/v1/aggregates?period=hour`, {
      headers: { ...auth, Origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${s.url}/api/v2/write`, {
      method: 'OPTIONS',
      headers: {
        Origin: dash,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(dash);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/POST/);
    await srv?.close();
    srv = null;
    const closed = await start();
    const none = await fetch(`${closed.url}/ping`, { headers: { Origin: dash } });
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('warns below 1 GiB of free disk and fails below 64 MiB', () => {
    expect([10 * 1024 ** 3, 1024 ** 3, 1024 ** 3 - 1, 64 * 1024 ** 2, 64 * 1024 ** 2 - 1, 0].map(diskStatus)).toEqual([
      'pass',
      'pass',
      'warn',
      'warn',
      'fail',
      'fail',
    ]);
  });

  it('serves ping, health, metrics, openapi and a request id', async () => {
    const s = await start();
    await post(`${s.url}/api/v2/write`, netmonitor);
    const ping = await fetch(`${s.url}/ping`, { headers: { 'X-Request-Id': 'abc-123' } });
    expect(ping.status).toBe(204);
    expect(ping.headers.get('x-request-id')).toBe('abc-123');
    const health = (await (await fetch(`${s.url}/health`)).json()) as { status: string; checks: { name: string }[] };
    expect(health.status).toBe('pass');
    expect(health.checks.map((c) => c.name)).toEqual(['store', 'rollup', 'ingest_queue']);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/resultant_points_written_total\{measurement="test_result"\} 6/);
    expect(metrics).toMatch(/resultant_http_requests_total\{method="POST",route="\/api\/v2\/write",status="204"\} 1/);
    expect(metrics).toMatch(/resultant_http_request_duration_seconds_bucket/);
    expect(metrics).toMatch(/resultant_ingest_queue_points 0/);
    expect(metrics).toMatch(/resultant_rollup_lag_seconds \d+/);
    expect(metrics).toMatch(/resultant_rollup_dirty_buckets \d+/);
    // Prometheus's naming rules, as promtool checks them: counters and only counters end in _total, base units.
    const types = metricTypes(metrics);
    expect(types.size).toBeGreaterThan(10);
    for (const [name, type] of types) {
      expect(name.endsWith('_total'), `${name} (${type})`).toBe(type === 'counter');
      expect(name, name).not.toMatch(
        /_(hours|minutes|days|milliseconds|microseconds|nanoseconds|kilobytes|megabytes)(_|$)/,
      );
    }
    if (promtool) {
      const check = spawnSync(promtool, ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
      expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
      expect(check.status).toBe(0);
    }
    const openapi = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/v2/write',
        '/api/v2/delete',
        '/write',
        '/api/v1/results',
        '/api/v1/aggregates',
        '/api/v1/series',
        '/health',
      ]),
    );
  });
});
