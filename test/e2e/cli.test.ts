// The `resultant` command line, run as real child processes against real database files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBStore } from '../../src/store/duckdb/index.js';
import { cli, serve } from '../support/child.js';
import { batchOf } from '../support/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'resultant-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = () => join(dir, `db${n++}.duckdb`);

async function withStore<R>(path: string, fn: (s: DuckDBStore) => Promise<R>): Promise<R> {
  const s = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const HOUR = 3_600_000;
const now = Date.now();
const lp = (ms: number, extra = '') => `test_result,endpoint=api${extra} success=true,latency_ms=5 ${ms}000000`;

describe('resultant command line', () => {
  it('prints help for the program and every command with exit code 0', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['serve', 'ingest', 'demo', 'rollup', 'cleanup', 'forecast']) expect(top.stdout).toContain(c);
    for (const c of ['serve', 'ingest', 'demo', 'rollup', 'cleanup', 'forecast']) {
      const r = await cli([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout).toMatch(/Usage: resultant/);
    }
  });

  it('exits with 2 and a message on bad arguments and bad configuration', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['frobnicate'], {}, /unknown command/],
      [['cleanup', '--keep-days', 'abc'], {}, /--keep-days must be a whole number/],
      [['rollup', '--stop', '2026-01-01T00:00:00Z'], {}, /--stop needs --start/],
      [['rollup', '--start', 'yesterday'], {}, /RFC 3339/],
      [['demo', '--days', '-3'], {}, /--days must be a positive number|unknown option/],
      [['ingest'], {}, /missing required argument/],
      [
        ['serve'],
        { RESULTANT_TIMEZONE: 'Mars/Olympus' },
        /invalid configuration: RESULTANT_TIMEZONE must be an IANA time zone/,
      ],
      [['serve', '--port', '99999'], {}, /invalid configuration: RESULTANT_PORT must be a whole number/],
    ];
    for (const [args, env, re] of cases) {
      const r = await cli(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
  });

  it('ingests a line-protocol file into the database file, and refuses a file with a bad line without writing', async () => {
    const db = dbPath();
    const file = join(dir, 'good.lp');
    const lines = ['# results of a run', ''];
    for (let i = 0; i < 12_000; i++) lines.push(lp(now - 2 * HOUR + i * 100, `,worker=w${i % 4}`));
    writeFileSync(file, `${lines.join('\r\n')}\n`);
    const ok = await cli(['ingest', file, '--db', db, '--batch-size', '5000']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/wrote 12000 points/);

    const bad = join(dir, 'bad.lp');
    writeFileSync(bad, [lp(now), lp(now), 'test_result,endpoint=api latency_ms=5', lp(now)].join('\n'));
    const r = await cli(['ingest', bad, '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 3: field "success" is missing/);
    await withStore(db, async (s) => {
      const series = await s.series({ start: 0, stop: 1e16, filters: {}, limit: 100 });
      expect(series.reduce((a, x) => a + x.count, 0)).toBe(12_000);
    });
  });

  it('ingests Telegraf probes under the same mapping rules as the server, into the file and with --url, and says what it skipped', async () => {
    const file = join(dir, 'telegraf.lp');
    const ns = (ms: number) => `${ms}000000`;
    const lines = [
      // As Telegraf's influxdb_v2 output writes them: tags sorted, integers with i, strings quoted.
      `http_response,host=w1,method=GET,result=success,server=https://example.com,status_code=200 content_length=1256i,http_response_code=200i,response_time=0.120,result_code=0i,result_type="success" ${ns(now - HOUR)}`,
      `http_response,host=w1,method=GET,result=connection_failed,server=https://example.org result_code=3i,result_type="connection_failed",response_time=5.0 ${ns(now - HOUR + 1000)}`,
      `cpu,cpu=cpu-total,host=w1 usage_idle=97.5 ${ns(now - HOUR)}`,
    ];
    writeFileSync(file, lines.join('\n'));
    const check = async (db: string) =>
      withStore(db, async (s) => {
        const page = await s.results({ start: 0, stop: 1e16, filters: {}, limit: 10 });
        expect(page.results.map((r) => [r.tags.endpoint, r.success, r.latency_ms]).sort()).toEqual([
          ['https://example.com', true, 120],
          ['https://example.org', false, 5000],
        ]);
      });
    const db = dbPath();
    const r = await cli(['ingest', file, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote 2 points/);
    expect(r.stderr).toMatch(/skipped 1 points of measurements that are neither results nor mapped \(cpu\)/);
    await check(db);
    // Refused whole when the settings say so.
    const refused = await cli(['ingest', file, '--db', dbPath()], { RESULTANT_UNKNOWN_MEASUREMENTS: 'refuse' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/line 3: .*cpu/);
    // Through a running server: its 422 (a partial write) is not a failure.
    const served = dbPath();
    const server = await serve({ RESULTANT_DB_PATH: served });
    try {
      const u = await cli(['ingest', file, '--url', server.url]);
      expect(u.code, u.stderr).toBe(0);
      expect(u.stderr).toMatch(/skipped 1 points .*\(cpu\)/);
    } finally {
      server.proc.kill('SIGTERM');
      await server.exited;
    }
    await check(served);
  });

  it('ingests JSON lines from standard input', async () => {
    const db = dbPath();
    const input = [
      JSON.stringify({
        time: new Date(now - HOUR).toISOString(),
        success: true,
        latency_ms: 3,
        tags: { endpoint: 'a' },
      }),
      JSON.stringify([
        { success: false, error: 'x', tags: { endpoint: 'b' } },
        { success: true, tags: { endpoint: 'b' } },
      ]),
    ].join('\n');
    const r = await cli(['ingest', '-', '--db', db], {}, input);
    expect(r.code, r.stderr).toBe(0);
    await withStore(db, async (s) => {
      const page = await s.results({ start: 0, stop: 1e16, filters: {}, limit: 10 });
      expect(page.results).toHaveLength(3);
    });
  });

  it('cleanup --keep-days really deletes older data, and rollup rebuilds a range', async () => {
    const db = dbPath();
    const file = join(dir, 'old.lp');
    writeFileSync(file, [lp(now - 20 * 86_400_000), lp(now - 20 * 86_400_000 + 1000), lp(now - HOUR)].join('\n'));
    const env = { RESULTANT_RETENTION_RAW_DAYS: '60', RESULTANT_RETENTION_HOURLY_DAYS: '60' };
    expect((await cli(['ingest', file, '--db', db], env)).code).toBe(0);
    const rb = await cli(
      ['rollup', '--start', new Date(now - 21 * 86_400_000).toISOString(), '--db', db, '--json'],
      env,
    );
    expect(rb.code, rb.stderr).toBe(0);
    const report = JSON.parse(rb.stdout) as { rebuilt: { hoursRolledUp: number } };
    expect(report.rebuilt.hoursRolledUp).toBeGreaterThan(20 * 24);
    const r = await cli(['cleanup', '--keep-days', '5', '--db', db, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rawDeleted: 2 });
    await withStore(db, async (s) => {
      const page = await s.results({ start: 0, stop: 1e16, filters: {}, limit: 10 });
      expect(page.results).toHaveLength(1);
    });
  });

  it('forecasts from the database file, as JSON on a clean stdout, and as a table; bad options exit 2', async () => {
    const db = dbPath();
    const hourStart = Math.floor(now / HOUR) * HOUR;
    await withStore(db, async (s) => {
      const rows = [];
      for (let h = 7 * 24; h >= 1; h--) {
        const t = hourStart - h * HOUR;
        rows.push({
          t,
          latency: 50 + 10 * Math.sin((2 * Math.PI * (t / HOUR)) / 24) + (h % 7),
          tags: { endpoint: 'api' },
        });
      }
      await s.write(batchOf(rows));
    });
    // An explicit stop: the run may cross an hour boundary, which would add an empty closed hour to the history.
    const stop = new Date(hourStart).toISOString();
    const r = await cli(['forecast', '--db', db, '--tag', 'endpoint=api', '--horizon', '12', '--stop', stop, '--json']);
    expect(r.code, r.stderr).toBe(0);
    // The arima candidate's C code prints to stdout; it must not reach ours.
    const f = JSON.parse(r.stdout) as {
      forecast: unknown[];
      history: unknown[];
      candidates: { name: string; skipped?: string }[];
    };
    expect(f.candidates.find((c) => c.name === 'arima')?.skipped).toBeUndefined();
    expect(f.forecast).toHaveLength(12);
    expect(f.history).toHaveLength(7 * 24);
    const table = await cli(['forecast', '--db', db, '--tag', 'endpoint=api', '--horizon', '3', '--level', '80']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/mean of latency_ms, hourly, 80 % interval \(UTC\)/);
    expect(table.stdout).toMatch(/backtest \(\d+ origins x 3 steps\): MASE/);
    for (const [args, re] of [
      [['--horizon', '0'], /--horizon must be a whole number from 1 to 336/],
      [['--level', '90'], /--level must be one of 80, 95/],
      [['--tag', 'endpoint'], /--tag must look like key=value/],
      [['--statistic', 'median'], /--statistic must be one of/],
    ] as [string[], RegExp][]) {
      const bad = await cli(['forecast', '--db', db, ...args]);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr, args.join(' ')).toMatch(re);
    }
    const short = await cli(['forecast', '--db', db, '--tag', 'endpoint=none']);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/not enough history to forecast: needs at least 72 hourly buckets/);
  }, 60_000);

  it('writes demo data with its incidents into the database file', async () => {
    const db = dbPath();
    const r = await cli([
      'demo',
      '--days',
      '0.1',
      '--endpoints',
      '8',
      '--regions',
      '2',
      '--workers-per-region',
      '2',
      '--db',
      db,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/incident: outage/);
    const points = Number(/wrote (\d+) points/.exec(r.stderr)![1]);
    // 8 endpoints x 2 regions x 144 minutes of probes, plus functional tests and benchmarks.
    expect(points).toBeGreaterThan(8 * 2 * 144);
    await withStore(db, async (s) => {
      const series = await s.series({ start: 0, stop: 1e16, filters: {}, limit: 1000 });
      expect(series.reduce((a, x) => a + x.count, 0)).toBe(points);
      expect(new Set(series.map((x) => x.tags.type))).toEqual(
        new Set(['network', 'functional', 'benchmark', undefined]),
      );
    });
  });

  it('sends demo data to the running server when the server holds the database file', async () => {
    const db = dbPath();
    const server = await serve({ RESULTANT_DB_PATH: db });
    try {
      const port = new URL(server.url).port;
      const r = await cli(
        ['demo', '--days', '0.02', '--endpoints', '3', '--regions', '1', '--workers-per-region', '1'],
        {
          RESULTANT_DB_PATH: db,
          RESULTANT_PORT: port,
        },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/in use by the server at http:\/\/127\.0\.0\.1:\d+; sending the data there/);
      const body = (await (await fetch(`${server.url}/api/v1/series`)).json()) as { series: { count: number }[] };
      expect(body.series.reduce((a, x) => a + x.count, 0)).toBe(Number(/wrote (\d+) points/.exec(r.stderr)![1]));
      // A maintenance command that needs the file says why it cannot have it.
      const locked = await cli(['cleanup', '--keep-days', '3', '--db', db]);
      expect(locked.code).toBe(1);
      expect(locked.stderr).toMatch(/in use by another process/);
    } finally {
      server.proc.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });
});
