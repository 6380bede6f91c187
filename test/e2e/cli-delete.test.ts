// `resultant delete` as a real child process: against a running server (loopback, real DuckDB) with --url and a
// token, on a database file, and its refusals of bad arguments (exit 2) before anything is touched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBStore } from '../../src/store/duckdb/index.js';
import { cli } from '../support/child.js';
import { batchOf, HOUR, type Row } from '../support/helpers.js';
import { startTestServer } from '../support/server.js';

const dir = mkdtempSync(join(tmpdir(), 'resultant-cli-delete-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.UTC(2026, 10, 21, 12);
const T0 = NOW - 10 * HOUR;
const rows: Row[] = [];
for (let i = 0; i < 60; i++) {
  for (const endpoint of ['api', 'web']) rows.push({ t: T0 + i * 10 * 60_000, latency: i, tags: { endpoint } });
}
const iso = (ms: number) => new Date(ms).toISOString();
const count = (s: DuckDBStore, endpoint: string) =>
  s.results({ start: 0, stop: 1e16, filters: { endpoint: [endpoint] }, limit: 1000 }).then((p) => p.results.length);

describe('resultant delete', () => {
  it('deletes on a running server with --url and a token, and prints what it deleted', async () => {
    const srv = await startTestServer({ now: NOW, authTokens: ['cli-token'] });
    try {
      await srv.store.write(batchOf(rows));
      await srv.store.rollup(NOW);
      // 13:00 to 15:00 inclusive: 13 results of endpoint=api (every 10 minutes, both ends).
      const range = ['--start', iso(T0 + HOUR), '--stop', iso(T0 + 3 * HOUR)];
      const refused = await cli(['delete', ...range, '--tag', 'endpoint=api', '--url', srv.url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/a token is required/);
      const r = await cli(
        ['delete', ...range, '--measurement', 'test_result', '--tag', 'endpoint=api', '--url', srv.url],
        { RESULTANT_TOKEN: 'cli-token' },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('deleted 13 results and 0 circuit-breaker events');
      expect(await count(srv.store, 'api')).toBe(60 - 13);
      expect(await count(srv.store, 'web')).toBe(60);
      // The hourly aggregate of 13:00 holds only endpoint=web now (the rollup was recomputed).
      const res = await fetch(
        `${srv.url}/api/v1/aggregates?period=hour&start=${iso(T0 + HOUR)}&stop=${iso(T0 + 2 * HOUR)}&group_by=endpoint`,
        { headers: { Authorization: 'Token cli-token' } },
      );
      const body = (await res.json()) as { series: { group: { endpoint: string } }[] };
      expect(body.series.map((g) => g.group.endpoint)).toEqual(['web']);
      const json = await cli([
        'delete',
        '--start',
        iso(T0),
        '--stop',
        iso(NOW),
        '--predicate',
        'endpoint="web"',
        '--json',
        '--url',
        srv.url,
        '--token',
        'cli-token',
      ]);
      expect(JSON.parse(json.stdout)).toEqual({ resultsDeleted: 60, breakerEventsDeleted: 0, seriesDeleted: 1 });
    } finally {
      await srv.close();
    }
  });

  it('deletes on the database file when no server is asked for', async () => {
    const db = join(dir, 'file.duckdb');
    const s = await DuckDBStore.open({ path: db, timezone: 'UTC', rawRetentionDays: 3650 });
    await s.write(batchOf(rows));
    await s.close();
    const r = await cli(['delete', '--start', '0', '--stop', String(NOW), '--tag', 'endpoint=web', '--db', db]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(
      'deleted 60 results and 0 circuit-breaker events; 1 series left with no data were removed',
    );
    const after = await DuckDBStore.open({ path: db, timezone: 'UTC', rawRetentionDays: 3650 });
    try {
      expect([await count(after, 'api'), await count(after, 'web')]).toEqual([60, 0]);
    } finally {
      await after.close();
    }
  });

  it('exits with 2 and says why on bad arguments, before opening anything', async () => {
    const range = [
      '--start',
      '2026-11-21T00:00:00Z',
      '--stop',
      '2026-11-22T00:00:00Z',
      '--db',
      join(dir, 'never', 'x.duckdb'),
    ];
    const cases: [string[], RegExp][] = [
      [[...range, '--predicate', 'endpoint="a" OR endpoint="b"'], /"predicate" OR is not supported.*\(column 14\)/],
      [[...range, '--predicate', 'endpoint="a"', '--tag', 'region=eu'], /either --predicate or --measurement\/--tag/],
      [[...range, '--tag', 'region'], /--tag must be key=value/],
      [[...range, '--measurement', 'cpu'], /Allowed choices are test_result, circuit_breaker/],
      [['delete', '--start', 'yesterday', '--stop', '2026-11-22T00:00:00Z'], /--start must be an RFC 3339 time/],
      [
        ['delete', '--start', '2026-11-22T00:00:00Z', '--stop', '2026-11-21T00:00:00Z'],
        /"stop" must not be before "start"/,
      ],
      [['delete', '--start', '2026-11-22T00:00:00Z'], /required option '--stop <time>'/],
    ];
    for (const [args, re] of cases) {
      const full = args[0] === 'delete' ? args : ['delete', ...args];
      const r = await cli(full);
      expect(r.code, full.join(' ')).toBe(2);
      expect(r.stderr, full.join(' ')).toMatch(re);
    }
  });
});
