// End to end with the official InfluxDB JavaScript client: its WriteApi, gzip on, against the running service.
// A loopback proxy in front of the service records what the client really sent.

import { createServer, request, type Server } from 'node:http';
import { HttpError, InfluxDB, Point, setLogger } from '@influxdata/influxdb-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server.js';

// The client logs every failed write to the console; the test checks the errors itself.
setLogger({ error: () => undefined, warn: () => undefined });

let srv: TestServer | null = null;
let proxy: Server | null = null;
afterEach(async () => {
  proxy?.close();
  proxy = null;
  await srv?.close();
  srv = null;
});

/** Forwards every request to `target` and records method, path and content encoding. */
async function recordingProxy(
  target: string,
): Promise<{ url: string; seen: { path: string; encoding: string | undefined }[] }> {
  const t = new URL(target);
  const seen: { path: string; encoding: string | undefined }[] = [];
  proxy = createServer((req, res) => {
    seen.push({ path: req.url ?? '', encoding: req.headers['content-encoding'] });
    const fwd = request(
      { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(fwd);
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', () => r()));
  const addr = proxy.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, seen };
}

const T0 = Date.UTC(2026, 10, 21, 10);

describe('the official @influxdata/influxdb-client', () => {
  it('writes through WriteApi with gzip, and every point shows in the aggregates', async () => {
    srv = await startTestServer({ authTokens: ['client-token-123'] });
    const { url, seen } = await recordingProxy(srv.url);
    const influx = new InfluxDB({ url, token: 'client-token-123' });
    // batchSize above the point count and an explicit flush: WriteApi.close() alone does not wait for batches
    // already sent (seen with @influxdata/influxdb-client 1.35).
    const writeApi = influx.getWriteApi('my-org', 'my-bucket', 'ns', {
      batchSize: 10_000,
      gzipThreshold: 0,
      flushInterval: 0,
    });
    const n = 2500;
    for (let i = 0; i < n; i++) {
      const p = new Point('test_result')
        .tag('endpoint', `ep ${i % 5}`) // a space, escaped by the client
        .tag('region', i % 2 ? 'eu,west' : 'us=east') // a comma and an equals sign, escaped too
        .booleanField('success', i % 10 !== 0)
        .floatField('latency_ms', 10 + (i % 7))
        .intField('retries', i % 3)
        .timestamp(new Date(T0 + i * 1000));
      if (i % 10 === 0) p.stringField('error', 'timeout "after" 5 s \\ retry');
      writeApi.writePoint(p);
    }
    await writeApi.flush();
    await writeApi.close();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.path.startsWith('/api/v2/write?') && r.encoding === 'gzip')).toBe(true);

    const res = await fetch(
      `${srv.url}/api/v1/aggregates?period=day&start=2026-11-21T00:00:00Z&stop=2026-11-22T00:00:00Z&group_by=region`,
      { headers: { Authorization: 'Token client-token-123' } },
    );
    const body = (await res.json()) as {
      series: { group: { region: string }; buckets: { test_count: number; failure_count: number }[] }[];
    };
    expect(body.series.map((s) => s.group.region)).toEqual(['eu,west', 'us=east']);
    expect(body.series.reduce((a, s) => a + s.buckets[0]!.test_count, 0)).toBe(n);
    expect(body.series.reduce((a, s) => a + s.buckets[0]!.failure_count, 0)).toBe(n / 10);
    const page = await srv.store.results({
      start: 0,
      stop: 1e16,
      filters: { endpoint: ['ep 0'] },
      success: false,
      limit: 1,
    });
    expect(page.results[0]).toMatchObject({ error: 'timeout "after" 5 s \\ retry', metrics: { retries: 0 } });
  });

  it('gets a 400 it does not retry for an invalid point, with the line in the message', async () => {
    srv = await startTestServer();
    const influx = new InfluxDB({ url: srv.url });
    const writeApi = influx.getWriteApi('o', 'b', 'ns', { batchSize: 100, flushInterval: 0, maxRetries: 0 });
    writeApi.writeRecord(`test_result,endpoint=x success=true ${T0}000000`);
    writeApi.writeRecord(`test_result,endpoint=x latency_ms=1 ${T0}000000`);
    const err = await writeApi.flush().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).statusCode).toBe(400);
    expect((err as HttpError).body).toMatch(/line 2: field \\?"success\\?" is missing/);
    await writeApi.close().catch(() => undefined);
    const page = await srv.store.results({ start: 0, stop: 1e16, filters: {}, limit: 10 });
    expect(page.results).toHaveLength(0);
  });
});
