// /query as InfluxDB 1.x clients and Telegraf use it at start: real HTTP on loopback.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { splitStatements } from './influx-query.js';

let srv: TestServer | null = null;
afterEach(async () => {
  await srv?.close();
  srv = null;
});

const q = (s: string) => encodeURIComponent(s);

describe('/query', () => {
  it('answers SHOW DATABASES, CREATE DATABASE, SHOW RETENTION POLICIES and SHOW MEASUREMENTS as InfluxDB 1.x does', async () => {
    srv = await startTestServer();
    const show = await fetch(`${srv.url}/query?q=${q('SHOW DATABASES')}`);
    expect(show.status).toBe(200);
    expect(await show.json()).toEqual({
      results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['resultant']] }] }],
    });
    // Telegraf's influxdb output and the Python client send CREATE DATABASE with POST, in the URL or a form body.
    const created = await fetch(`${srv.url}/query?q=${q('CREATE DATABASE "telegraf"')}`, { method: 'POST' });
    expect(created.status).toBe(200);
    expect(await created.json()).toEqual({ results: [{ statement_id: 0 }] });
    const form = await fetch(`${srv.url}/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `q=${q('CREATE DATABASE IF NOT EXISTS metrics WITH DURATION 30d; SHOW RETENTION POLICIES ON metrics')}`,
    });
    expect(await form.json()).toEqual({
      results: [
        { statement_id: 0 },
        {
          statement_id: 1,
          series: [
            {
              columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'],
              values: [['autogen', '0s', '168h0m0s', 1, true]],
            },
          ],
        },
      ],
    });
    const measurements = (await (await fetch(`${srv.url}/query?q=${q('show measurements')}`)).json()) as {
      results: { series: { values: string[][] }[] }[];
    };
    expect(measurements.results[0]!.series[0]!.values).toEqual([['circuit_breaker'], ['test_result']]);
  });

  it('refuses other statements with a 400 that points to the aggregates API, and CREATE by GET', async () => {
    srv = await startTestServer();
    const select = await fetch(`${srv.url}/query?q=${q('SELECT mean(latency_ms) FROM test_result')}`);
    expect(select.status).toBe(400);
    expect(((await select.json()) as { error: string }).error).toMatch(
      /^statement 1 is not supported: .*GET \/api\/v1\/aggregates/,
    );
    const second = await fetch(`${srv.url}/query?q=${q('SHOW DATABASES; DROP DATABASE x')}`);
    expect(((await second.json()) as { error: string }).error).toMatch(/^statement 2 is not supported/);
    expect((await fetch(`${srv.url}/query?q=${q('CREATE DATABASE x')}`)).status).toBe(405);
    expect((await fetch(`${srv.url}/query`)).status).toBe(400);
    expect((await fetch(`${srv.url}/query?q=${'x'.repeat(10_001)}`)).status).toBe(400);
  });

  it('takes v1 credentials: reads with a read token, CREATE only with a full one', async () => {
    srv = await startTestServer({ authTokens: ['full-token-1'], readTokens: ['read-token-1'] });
    expect((await fetch(`${srv.url}/query?q=${q('SHOW DATABASES')}`)).status).toBe(401);
    expect((await fetch(`${srv.url}/query?q=${q('SHOW DATABASES')}&u=me&p=read-token-1`)).status).toBe(200);
    const basic = `Basic ${Buffer.from('me:read-token-1').toString('base64')}`;
    expect(
      (
        await fetch(`${srv.url}/query?q=${q('CREATE DATABASE x')}`, {
          method: 'POST',
          headers: { Authorization: basic },
        })
      ).status,
    ).toBe(403);
    expect(
      (await fetch(`${srv.url}/query?q=${q('CREATE DATABASE x')}&u=me&p=full-token-1`, { method: 'POST' })).status,
    ).toBe(200);
  });

  it('splits statements at semicolons outside quotes', () => {
    expect(splitStatements('SHOW DATABASES; CREATE DATABASE "a;b" ;;')).toEqual([
      'SHOW DATABASES',
      'CREATE DATABASE "a;b"',
    ]);
    expect(splitStatements('CREATE DATABASE "x\\";y"')).toEqual(['CREATE DATABASE "x\\";y"']);
  });
});
