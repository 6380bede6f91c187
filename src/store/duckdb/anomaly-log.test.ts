import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../clock.js';
import { silentLogger } from '../../logger.js';
import { runRetention } from '../../tasks/index.js';
import type { AnomalyRecord } from '../state.js';
import { DuckDBAnomalyLog } from './anomaly-log.js';
import { DuckDBStore } from './index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T = Date.UTC(2026, 10, 21, 10);
const rec = (o: Partial<AnomalyRecord> = {}): AnomalyRecord => ({
  series: { endpoint: 'api', region: 'eu' },
  metric: 'latency_ms',
  method: 'robust_z',
  time: T,
  value: 50,
  expected: 10,
  score: 9,
  ...o,
});

describe('DuckDB anomaly log', () => {
  it('stores each (series, metric, method, time) once: a second run updates, never adds', async () => {
    const store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const log = await DuckDBAnomalyLog.open(store);
    const first = await log.upsert([rec(), rec({ time: T + 3_600_000 }), rec({ method: 'seasonal_mad' })], T + 10);
    expect(first.map((a) => a.id)).toEqual([1, 2, 3]);
    // Same keys (tag order differs), new score: same ids, updated values, first detection time kept.
    const again = await log.upsert(
      [rec({ series: { region: 'eu', endpoint: 'api' }, score: 12 }), rec({ time: T + 3_600_000 })],
      T + 99,
    );
    expect(again.map((a) => a.id)).toEqual([1, 2]);
    expect(again[0]!.score).toBe(12);
    expect(again[0]!.detectedAt).toBe(T + 10);
    const all = await log.list({ start: 0, stop: T * 2, limit: 100 });
    expect(all).toHaveLength(3);
    expect(all[0]!.time).toBe(T + 3_600_000);
    expect(all.find((a) => a.id === 1)!.series).toEqual({ endpoint: 'api', region: 'eu' });
    await store.close();
  });

  it('acknowledges once, filters by acknowledgement and keeps it across a restart', async () => {
    const d = mkdtempSync(join(tmpdir(), 'resultant-anomalies-'));
    dirs.push(d);
    const path = join(d, 'a.duckdb');
    let store = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
    let log = await DuckDBAnomalyLog.open(store);
    await log.upsert([rec(), rec({ metric: 'throughput' })], T);
    const acked = await log.acknowledge(2, T + 5);
    expect(acked).toMatchObject({ id: 2, acknowledged: true, acknowledgedAt: T + 5, metric: 'throughput' });
    expect((await log.acknowledge(2, T + 50))!.acknowledgedAt).toBe(T + 5);
    expect(await log.acknowledge(99, T)).toBeNull();
    await store.close();

    store = await DuckDBStore.open({ path, timezone: 'UTC', rawRetentionDays: 3650 });
    log = await DuckDBAnomalyLog.open(store);
    expect((await log.list({ start: 0, stop: T * 2, limit: 10, acknowledged: true })).map((a) => a.id)).toEqual([2]);
    expect((await log.list({ start: 0, stop: T * 2, limit: 10, acknowledged: false })).map((a) => a.id)).toEqual([1]);
    // Ids continue after a restart; the re-detected anomaly keeps its acknowledgement.
    const more = await log.upsert([rec({ metric: 'throughput' }), rec({ time: T + 1 })], T + 100);
    expect(more.map((a) => [a.id, a.acknowledged])).toEqual([
      [2, true],
      [more[1]!.id, false],
    ]);
    expect(more[1]!.id).toBeGreaterThan(2);
    await store.close();
  });

  it('drops anomalies older than the hourly retention in the retention task', async () => {
    const store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const log = await DuckDBAnomalyLog.open(store);
    const DAY = 86_400_000;
    await log.upsert([rec({ time: T - 500 * DAY }), rec({ time: T - 10 * DAY }), rec({ time: T })], T);
    const r = await runRetention(
      { store, clock: fixedClock(T), logger: silentLogger, anomalyLog: log },
      { rawDays: 30, hourlyDays: 400, dailyDays: 0 },
    );
    expect(r).not.toBeNull();
    expect((await log.list({ start: 0, stop: T * 2, limit: 10 })).map((a) => a.time)).toEqual([T, T - 10 * DAY]);
    expect(await log.prune(T + 1)).toBe(2);
    await store.close();
  });
});
