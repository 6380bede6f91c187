// Telegraf writing to a real service on loopback: examples/telegraf.conf's output section is what the server accepts,
// and the line protocol Telegraf's influxdb_v2 output sends for its http_response, ping and net_response inputs comes
// back through the aggregates as results with the right success and latency. Unknown measurements: partial writes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { TELEGRAF_MAPPINGS } from '../../src/ingest/mapping.js';
import { startTestServer, type TestServer } from '../support/server.js';

const root = new URL('../..', import.meta.url).pathname;
const TOKEN = 'telegraf-token-1';

let srv: TestServer | null = null;
afterEach(async () => {
  await srv?.close();
  srv = null;
});

/** Telegraf's TOML, as far as the example uses it: [table] and [[array.of.tables]], key = string | number | bool | [strings]. */
function tomlTables(text: string): { name: string; keys: Map<string, unknown> }[] {
  const tables: { name: string; keys: Map<string, unknown> }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const head = /^\[\[?([\w.]+)\]\]?$/.exec(line);
    if (head) {
      tables.push({ name: head[1]!, keys: new Map() });
      continue;
    }
    const kv = /^(\w+)\s*=\s*(.+)$/.exec(line);
    expect(kv, line).not.toBeNull();
    expect(tables.length, line).toBeGreaterThan(0);
    tables[tables.length - 1]!.keys.set(kv![1]!, JSON.parse(kv![2]!));
  }
  return tables;
}

const example = tomlTables(readFileSync(join(root, 'examples/telegraf.conf'), 'utf8'));
const section = (name: string) => example.filter((t) => t.name === name);
const output = section('outputs.influxdb_v2')[0]!.keys;

/** The write URL Telegraf's influxdb_v2 output builds (makeWriteURL): the url's path joined with /api/v2/write, bucket and org. */
function telegrafWriteUrl(base: string, serverUrl: string): string {
  const loc = new URL(base);
  const served = new URL(serverUrl);
  loc.host = served.host; // the example's port, replaced by the test server's
  loc.pathname = `${loc.pathname.replace(/\/$/, '')}/api/v2/write`;
  loc.search = new URLSearchParams({
    bucket: String(output.get('bucket')),
    org: String(output.get('organization')),
  }).toString();
  return loc.toString();
}

/** What Telegraf's output sends: tags sorted by key, ints with "i", strings quoted, nanosecond timestamps. */
const T0 = Date.UTC(2026, 10, 21, 10);
const ns = (ms: number) => `${ms}000000`;
const httpLine = (url: string, minute: number, seconds: number | null, status = 200) =>
  seconds === null
    ? `http_response,host=probe-1,method=GET,region=eu-west,result=timeout,server=${url} result_code=4i,result_type="timeout" ${ns(T0 + minute * 60_000)}`
    : `http_response,host=probe-1,method=GET,region=eu-west,result=success,server=${url},status_code=${status} content_length=1256i,http_response_code=${status}i,response_time=${seconds},result_code=0i,result_type="success" ${ns(T0 + minute * 60_000)}`;

async function write(url: string, body: string, token = TOKEN): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', Authorization: `Token ${token}` },
  });
}

interface Bucket {
  test_count: number;
  success_count: number;
  stats: { count: number; mean: number | null; max: number | null };
}
async function byEndpoint(s: TestServer): Promise<Record<string, Bucket>> {
  const res = await fetch(
    `${s.url}/api/v1/aggregates?period=hour&start=2026-11-21T10:00:00Z&stop=2026-11-21T11:00:00Z&group_by=endpoint`,
    {
      headers: { Authorization: `Token ${TOKEN}` },
    },
  );
  expect(res.status).toBe(200);
  const body = (await res.json()) as { series: { group: { endpoint: string }; buckets: Bucket[] }[] };
  return Object.fromEntries(body.series.map((x) => [x.group.endpoint, x.buckets[0]!]));
}

describe('examples/telegraf.conf', () => {
  it('writes to what the server serves: InfluxDB 2 write path, a token, an org and a bucket; only mapped inputs', () => {
    const urls = output.get('urls') as string[];
    expect(urls).toHaveLength(1);
    const u = new URL(urls[0]!);
    expect(u.protocol).toBe('http:');
    const config = loadConfig({});
    expect(`${u.hostname}:${u.port}`).toBe(`${config.host}:${config.port}`);
    expect(telegrafWriteUrl(urls[0]!, 'http://127.0.0.1:1')).toBe(
      'http://127.0.0.1:1/api/v2/write?bucket=resultant&org=resultant',
    );
    expect(output.get('token')).toBe('${RESULTANT_TOKEN}');
    // Every input of the example, and everything the output lets through, has a built-in mapping.
    const inputs = example.filter((t) => t.name.startsWith('inputs.')).map((t) => t.name.slice('inputs.'.length));
    expect(inputs.sort()).toEqual(['http_response', 'net_response', 'ping']);
    expect(Object.keys(loadConfig({}).ingest.mappings)).toEqual(expect.arrayContaining(inputs));
    expect((output.get('namepass') as string[]).sort()).toEqual(inputs);
    expect(section('inputs.http_response')[0]!.keys.get('urls')).toHaveLength(2);
  });
});

describe('Telegraf line protocol over HTTP', () => {
  it('comes back through the aggregates with success and latency in ms per probed endpoint', async () => {
    const s = (srv = await startTestServer({ authTokens: [TOKEN], ingest: loadConfig({}).ingest }));
    const [a, b] = section('inputs.http_response')[0]!.keys.get('urls') as string[];
    const pingHost = (section('inputs.ping')[0]!.keys.get('urls') as string[])[0]!;
    const [tcpHost, tcpPort] = String(section('inputs.net_response')[0]!.keys.get('address')).split(':');
    const body = [
      httpLine(a!, 0, 0.1),
      httpLine(b!, 0, 0.5),
      `net_response,host=probe-1,port=${tcpPort},protocol=tcp,region=eu-west,result=success,server=${tcpHost} response_time=0.004,result_code=0i,result_type="success" ${ns(T0)}`,
      `ping,host=probe-1,region=eu-west,url=${pingHost} average_response_ms=20,maximum_response_ms=24.64,minimum_response_ms=15.5,packets_received=3i,packets_transmitted=3i,percent_packet_loss=0,result_code=0i,standard_deviation_ms=0.809,ttl=56i ${ns(T0)}`,
      httpLine(a!, 1, 0.3),
      httpLine(b!, 1, null),
      `ping,host=probe-1,region=eu-west,url=${pingHost} packets_received=0i,packets_transmitted=3i,percent_packet_loss=100,result_code=1i ${ns(T0 + 60_000)}`,
      httpLine(a!, 2, 0.2),
      httpLine(b!, 2, 0.25, 503),
      `net_response,host=probe-1,port=${tcpPort},protocol=tcp,region=eu-west,result=timeout,server=${tcpHost} result_code=1i,result_type="timeout" ${ns(T0 + 120_000)}`,
    ].join('\n');
    const res = await write(telegrafWriteUrl((output.get('urls') as string[])[0]!, s.url), body);
    expect(res.status).toBe(204);
    const got = await byEndpoint(s);
    expect(Object.keys(got).sort()).toEqual([a, b, `${tcpHost}:${tcpPort}`, pingHost].sort());
    expect(got[a!]).toMatchObject({ test_count: 3, success_count: 3, stats: { count: 3, max: 300 } });
    expect(got[a!]!.stats.mean).toBeCloseTo(200, 9);
    // b: one success (500 ms), one timeout (no latency), one 503 (a failure with its latency).
    expect(got[b!]).toMatchObject({ test_count: 3, success_count: 1, stats: { count: 2 } });
    expect(got[b!]!.stats.mean).toBeCloseTo(375, 9);
    expect(got[pingHost]).toMatchObject({ test_count: 2, success_count: 1, stats: { count: 1, mean: 20 } });
    expect(got[`${tcpHost}:${tcpPort}`]).toMatchObject({ test_count: 2, success_count: 1, stats: { count: 1 } });
    expect(got[`${tcpHost}:${tcpPort}`]!.stats.mean).toBeCloseTo(4, 9);
    // The failures carry why, and the kept tags.
    const page = await s.store.results({ start: 0, stop: 1e16, filters: { endpoint: [b!] }, limit: 10 });
    expect(page.results.map((r) => [r.success, r.error_type]).sort()).toEqual([
      [false, 'http_503'],
      [false, 'timeout'],
      [true, null],
    ]);
    expect(page.results[0]!.tags).toEqual({
      endpoint: b,
      method: 'GET',
      region: 'eu-west',
      type: 'http',
      worker: 'probe-1',
    });
  });

  it('stores the probes of a batch with other measurements and answers 422 naming what it skipped, as InfluxDB 2 does', async () => {
    const s = (srv = await startTestServer({ authTokens: [TOKEN], ingest: loadConfig({}).ingest }));
    const body = [
      `cpu,cpu=cpu-total,host=probe-1 usage_idle=99.1,usage_user=0.5 ${ns(T0)}`,
      httpLine('https://a.example/', 0, 0.1),
      `mem,host=probe-1 used_percent=41.5 ${ns(T0)}`,
      `cpu,cpu=cpu-total,host=probe-1 usage_idle=98.9,usage_user=0.6 ${ns(T0 + 60_000)}`,
    ].join('\n');
    const res = await write(`${s.url}/api/v2/write?org=resultant&bucket=resultant`, body);
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      code: 'unprocessable entity',
      message:
        'partial write: points of measurements that are neither test_result, circuit_breaker nor mapped ("cpu", "mem") dropped=3; written=1',
      written: 1,
      skipped: 3,
      skipped_measurements: ['cpu', 'mem'],
    });
    expect(Object.keys(await byEndpoint(s))).toEqual(['https://a.example/']);
    // The v1 endpoint too, and a body of unknown measurements only: nothing to write, still a partial-write answer.
    const v1 = await write(`${s.url}/write?db=resultant`, `disk,host=probe-1 used=1i ${ns(T0)}`);
    expect(v1.status).toBe(422);
    expect(await v1.json()).toMatchObject({ written: 0, skipped: 1, skipped_measurements: ['disk'] });
    const metrics = await (await fetch(`${s.url}/metrics`, { headers: { Authorization: `Token ${TOKEN}` } })).text();
    expect(metrics).toMatch(/^# TYPE resultant_points_skipped_total counter$/m);
    expect(metrics).toMatch(/^resultant_points_skipped_total 4$/m);
    expect(metrics).toMatch(/^resultant_points_written_total\{measurement="test_result"\} 1$/m);
  });

  it('refuses the whole batch when RESULTANT_UNKNOWN_MEASUREMENTS=refuse', async () => {
    const ingest = loadConfig({ RESULTANT_UNKNOWN_MEASUREMENTS: 'refuse' }).ingest;
    const s = (srv = await startTestServer({ authTokens: [TOKEN], ingest }));
    const res = await write(
      `${s.url}/api/v2/write?org=o&bucket=b`,
      [httpLine('https://a.example/', 0, 0.1), `cpu,host=p usage_idle=1 ${ns(T0)}`].join('\n'),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: 'invalid',
      line: 2,
      message: expect.stringMatching(/^line 2: measurement "cpu" is not accepted/),
    });
    expect(await byEndpoint(s)).toEqual({});
  });

  it('takes a mapping of its own from RESULTANT_MEASUREMENT_MAPPINGS through the parse workers', async () => {
    const ingest = loadConfig({
      RESULTANT_MEASUREMENT_MAPPINGS: JSON.stringify({
        dns_query: {
          success: [{ field: 'rcode_value', equals: 0 }],
          latency: { field: 'query_time_ms', unit: 'ms' },
          tags: { endpoint: '{server}/{domain}' },
        },
      }),
    }).ingest;
    expect(Object.keys(ingest.mappings)).toEqual([...Object.keys(TELEGRAF_MAPPINGS), 'dns_query']);
    const s = (srv = await startTestServer({ authTokens: [TOKEN], ingest, parseWorkers: 2 }));
    const res = await write(
      `${s.url}/api/v2/write?org=o&bucket=b`,
      `dns_query,domain=example.com,host=p,rcode=NOERROR,record_type=A,result=success,server=1.1.1.1 query_time_ms=12.5,rcode_value=0i,result_code=0i ${ns(T0)}`,
    );
    expect(res.status).toBe(204);
    expect(await byEndpoint(s)).toMatchObject({
      '1.1.1.1/example.com': { test_count: 1, success_count: 1, stats: { mean: 12.5 } },
    });
  });
});
