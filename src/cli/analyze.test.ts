// `resultant analyze` as a real child process, on a real database file and against a real server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchOf, type Row } from '../../test/helpers.js';
import { cli } from '../../test/child.js';
import { startTestServer } from '../../test/server.js';
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
    const r = await cli(['analyze', '--days', '2', '--types', 'trends,anomalies', '--filter', '{"endpoint":"api"}', '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout) as Record<string, any>; // any: nested JSON of the result
    expect(Object.keys(body)).toEqual(['trends', 'anomalies']);
    expect(body.trends.trends).toHaveLength(1);
    expect(body.trends.trends[0].direction).toBe('increasing');
    expect(body.anomalies.anomalies.map((a: any) => a.value)).toEqual([400]);
    // Stored once: a second run gives the same anomaly id.
    const again = JSON.parse((await cli(['analyze', '--days', '2', '--types', 'anomalies', '--db', db, '--json'])).stdout) as Record<string, any>;
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

  it('summarises kinds it has no special form for by their list sizes', () => {
    expect(summarize({ workload: { start: 'a', stop: 'b', workers: [1, 2], gini: 0.1 } })).toContain('2 workers');
    expect(bodyFromArgs({ days: '3', types: 'trends' }).analysis_types).toEqual(['trends']);
  });
});
