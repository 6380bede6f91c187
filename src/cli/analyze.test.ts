// `resultant analyze` as a real child process, on a real database file and against a real server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, serve } from '../../test/support/child.js';
import { batchOf, type Row } from '../../test/support/helpers.js';
import { startTestServer } from '../../test/support/server.js';
import { DuckDBStore } from '../store/duckdb/index.js';
import { bodyFromArgs, summarize } from './analyze.js';

const dir = mkdtempSync(join(tmpdir(), 'resultant-analyze-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;
const now = Date.now();
/** 40 hours: "api" latency rises 2 ms per hour from 100 with a spike of 400 at hour 30; "db" flat at 50 ± 1. */
function rows(): Row[] {
  const out: Row[] = [];
  for (let h = 0; h < 40; h++) {
    const t = now - 40 * HOUR + h * HOUR;
    out.push({ t, latency: h === 30 ? 400 : 100 + 2 * h, tags: { endpoint: 'api' } });
    out.push({ t, latency: 50 + ((h % 3) - 1), tags: { endpoint: 'db' } });
  }
  return out;
}

describe('resultant analyze', () => {
  it('analyses the database file and prints JSON or a summary', async () => {
    const db = join(dir, 'a.duckdb');
    const s = await DuckDBStore.open({ path: db, timezone: 'UTC', rawRetentionDays: 3650 });
    await s.write(batchOf(rows()));
    await s.close();
    const r = await cli([
      'analyze',
      '--days',
      '2',
      '--types',
      'trends,anomalies',
      '--filter',
      '{"endpoint":"api"}',
      '--db',
      db,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout) as Record<string, any>; // any: nested JSON of the result
    expect(Object.keys(body)).toEqual(['trends', 'anomalies']);
    expect(body.trends.trends).toHaveLength(1);
    expect(body.trends.trends[0].direction).toBe('increasing');
    expect(body.anomalies.anomalies.map((a: any) => a.value)).toEqual([400]);
    // Stored once: a second run gives the same anomaly id.
    const again = JSON.parse(
      (await cli(['analyze', '--days', '2', '--types', 'anomalies', '--db', db, '--json'])).stdout,
    ) as Record<string, any>;
    expect(again.anomalies.anomalies.map((a: any) => a.id)).toEqual(body.anomalies.anomalies.map((a: any) => a.id));

    const text = await cli(['analyze', '--days', '2', '--types', 'trends', '--group-by', 'endpoint', '--db', db]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('== trends');
    expect(text.stdout).toMatch(/2 series: 1 trending, 1 stable/);
    expect(text.stdout).toMatch(/increasing\s+endpoint=api latency_ms/);
  });

  it('asks a running server with --url', async () => {
    const srv = await startTestServer({ now });
    try {
      await srv.store.write(batchOf(rows()));
      const r = await cli(['analyze', '--days', '2', '--types', 'regressions', '--url', srv.url, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const body = JSON.parse(r.stdout) as Record<string, any>; // any: nested JSON of the result
      expect(body.regressions.kind).toBe('regressions');
      const bad = await cli(['analyze', '--types', 'trends', '--metric', 'success', '--url', srv.url]);
      expect(bad.code).toBe(2);
    } finally {
      await srv.close();
    }
  });

  it('exits 2 with a message that names the flag on bad arguments', async () => {
    const cases: [string[], RegExp][] = [
      [['--filter', 'endpoint=api'], /--filter must be a JSON object/],
      [['--filter', '{"_x":"1"}'], /--filter: .*\(at filter\._x\)/],
      [['--types', 'trends,bogus'], /--types: must be one of/],
      [['--days', 'ten'], /--days must be a positive number/],
      [['--days', '500'], /--days: /],
    ];
    for (const [args, re] of cases) {
      const r = await cli(['analyze', ...args, '--db', join(dir, 'none.duckdb')]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
  });

  it('finds the server that holds the database file, leaves comparison out without --dimension, and names what it found', async () => {
    const db = join(dir, 'served.duckdb');
    const s = await DuckDBStore.open({ path: db, timezone: 'UTC', rawRetentionDays: 3650 });
    const w: Row[] = [];
    // Worker w3 fails a quarter of its runs with one error; the others rarely. Test t1 alternates.
    for (let i = 0; i < 400; i++) {
      const worker = `w${i % 4}`;
      const fail = worker === 'w3' ? i % 16 === 3 : i % 97 === 0;
      w.push({
        t: now - 10 * HOUR + i * 60_000,
        success: !fail,
        latency: 10,
        tags: { worker, endpoint: 'api' },
        ...(fail ? { error: `timeout after ${5000 + i} ms` } : {}),
      });
      w.push({
        t: now - 10 * HOUR + i * 60_000 + 1,
        success: i % 2 === 0,
        tags: { test: 't1', worker },
        ...(i % 2 ? { error: 'expected 200 but got 500' } : {}),
      });
    }
    await s.write(batchOf(w));
    await s.close();
    const server = await serve({ RESULTANT_DB_PATH: db });
    try {
      const env = { RESULTANT_DB_PATH: db, RESULTANT_PORT: new URL(server.url).port };
      const r = await cli(['analyze', '--days', '1'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/in use by the server at http:\/\/127\.0\.0\.1:\d+; asking it/);
      // Every analysis but comparison, which needs a dimension.
      for (const kind of [
        'trends',
        'regressions',
        'anomalies',
        'failure-patterns',
        'flaky-tests',
        'workload',
        'circuit-breakers',
      ]) {
        expect(r.stdout).toContain(`== ${kind} (`);
      }
      expect(r.stdout).not.toContain('== comparison');
      // The findings are named with their figures: the failing worker, the flaky test, the error pattern.
      expect(r.stdout).toMatch(/worker=w3: 62\.5 % of 200 runs failed \(overall 28\.6 %/);
      expect(r.stdout).toMatch(/flaky\s+test=t1: 200 of 400 runs failed, flip rate 1\.00/);
      expect(r.stdout).toMatch(/\d+ timeout\s+timeout after <duration>/);
      expect(r.stdout).toMatch(/lowest success rate: w3 at/);
      const withDim = await cli(['analyze', '--days', '1', '--types', 'comparison', '--dimension', 'worker'], env);
      expect(withDim.code, withDim.stderr).toBe(0);
      expect(withDim.stdout).toMatch(/by worker \(latency_ms\): best w\d/);
      const noDim = await cli(['analyze', '--days', '1', '--types', 'comparison'], env);
      expect(noDim.code).toBe(2);
      expect(noDim.stderr).toMatch(/--types comparison needs --dimension/);
    } finally {
      server.proc.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });

  it('summarises kinds it has no special form for by their list sizes', () => {
    expect(summarize({ other: { start: 'a', stop: 'b', things: [1, 2] } })).toContain('2 things');
    expect(bodyFromArgs({ days: '3', types: 'trends' }).analysis_types).toEqual(['trends']);
    expect(bodyFromArgs({ days: '3', dimension: 'hardware' }).options).toEqual({
      comparison: { dimension: 'hardware' },
    });
  });
});
