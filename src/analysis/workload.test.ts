import fc from 'fast-check';
import * as ss from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { batchWith, type FullRow, request, storePerTest } from '../../test/support/analysis-helpers.js';
import { DAY, HOUR } from '../../test/support/helpers.js';
import { analyseWorkload, gini, type WorkerCounts, workloadRunner } from './workload.js';

const T0 = Date.UTC(2026, 10, 10);

/** Gini from its definition: mean absolute difference over all ordered pairs / (2 × mean). */
function giniDirect(x: number[]): number {
  const n = x.length;
  const mu = x.reduce((s, v) => s + v, 0) / n;
  let sum = 0;
  for (const a of x) for (const b of x) sum += Math.abs(a - b);
  return sum / (2 * n * n * mu);
}

const wc = (worker: string, tasks: number, successes = tasks, latencySum = 0, latencyCount = 0): WorkerCounts => ({
  worker,
  tasks,
  successes,
  latencySum,
  latencyCount,
});

describe('gini and workload (pure)', () => {
  it('matches the pairwise definition of the Gini coefficient', () => {
    expect(gini([1, 1, 1, 1])).toBe(0);
    expect(gini([0, 0, 0, 10])).toBeCloseTo(0.75, 12); // (n-1)/n
    expect(gini([1, 2, 3, 4])).toBeCloseTo(0.25, 12); // hand: pairs |diffs| sum 20, 20/(2*16*2.5)
    expect(gini([])).toBeNull();
    expect(gini([0, 0])).toBeNull();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 40 }), (x) => {
        if (x.every((v) => v === 0)) return;
        expect(gini(x)!).toBeCloseTo(giniDirect(x), 10);
      }),
    );
  });

  it('gives shares, rates, CV and the idle and overloaded workers by the stated rules', () => {
    const r = analyseWorkload(
      [wc('a', 100, 90, 1000, 100), wc('b', 100), wc('c', 100), wc('d', 380), wc('e', 20), wc('f', 0)],
      { idleRatio: 0.25, overloadRatio: 2 },
    );
    const tasks = [100, 100, 100, 380, 20, 0];
    expect(r.total_tasks).toBe(700);
    expect(r.mean_tasks).toBeCloseTo(700 / 6, 12);
    expect(r.cv!).toBeCloseTo(ss.standardDeviation(tasks) / ss.mean(tasks), 12);
    expect(r.gini!).toBeCloseTo(giniDirect(tasks), 12);
    const a = r.workers.find((w) => w.worker === 'a')!;
    expect(a).toMatchObject({ tasks: 100, success_rate: 0.9, mean_duration_ms: 10, status: 'normal' });
    expect(a.share).toBeCloseTo(100 / 700, 12);
    expect(r.workers[0]!.worker).toBe('d'); // most tasks first
    expect(r.overloaded).toEqual(['d']); // 380 > 2 × 116.7
    expect(r.idle).toEqual(['e', 'f']); // 20 < 0.25 × 116.7; f ran nothing
    expect(r.workers.find((w) => w.worker === 'f')).toMatchObject({
      success_rate: null,
      mean_duration_ms: null,
      share: 0,
    });
  });

  it('flags by mean + 2 sd in a large fleet even below twice the mean', () => {
    const fleet = [...Array.from({ length: 19 }, (_, i) => wc(`w${i}`, 100)), wc('big', 180)];
    const r = analyseWorkload(fleet, { idleRatio: 0.25, overloadRatio: 2 });
    expect(r.overloaded).toEqual(['big']); // 180 < 2 × 104, but z = 4.36
    expect(r.workers[0]!.z_score!).toBeCloseTo((180 - 104) / ss.standardDeviation(fleet.map((w) => w.tasks)), 12);
  });
});

describe('workload runner on a DuckDB store', () => {
  const newStore = storePerTest();

  it('counts tasks per worker in the window and lists a worker that stopped as idle', async () => {
    const store = await newStore();
    const rows: FullRow[] = [];
    // w4 only ran the day before the window.
    rows.push({ t: T0 - 12 * HOUR, success: true, latency: 1, tags: { worker: 'w4' } });
    const plan: Record<string, number> = { w1: 30, w2: 30, w3: 90 };
    for (const [w, n] of Object.entries(plan)) {
      for (let i = 0; i < n; i++)
        rows.push({
          t: T0 + i * 10_000,
          success: i % 10 !== 0,
          latency: w === 'w1' ? 20 + (i % 3) : 50,
          tags: { worker: w, test: 't' },
        });
    }
    rows.push({ t: T0 + 1000, success: true, tags: { test: 't' } }); // no worker tag
    rows.push({ t: T0 + DAY + 1000, success: true, tags: { worker: 'w1' } }); // after the window
    await store.write(batchWith(rows));
    const res = await workloadRunner({ store, now: T0 + 2 * DAY }, request(T0, T0 + DAY));
    const workers = res.workers as {
      worker: string;
      tasks: number;
      success_rate: number | null;
      mean_duration_ms: number | null;
      share: number;
      status: string;
    }[];
    expect(workers.map((w) => [w.worker, w.tasks, w.status])).toEqual([
      ['w3', 90, 'overloaded'], // 90 > 2 × 37.5
      ['w1', 30, 'normal'],
      ['w2', 30, 'normal'],
      ['w4', 0, 'idle'],
    ]);
    expect(workers[1]!.success_rate).toBeCloseTo(27 / 30, 12);
    expect(workers[1]!.mean_duration_ms).toBeCloseTo(21, 12); // 20, 21, 22 repeated
    expect(workers[0]!.share).toBeCloseTo(90 / 150, 12);
    expect(res.gini).toBeCloseTo(giniDirect([90, 30, 30, 0]), 12);
    expect(res.cv).toBeCloseTo(ss.standardDeviation([90, 30, 30, 0]) / 37.5, 12);
    expect(res.summary).toMatchObject({ unattributed_tasks: 1, total_tasks: 150 });
    // Without the lookback, w4 is not part of the fleet.
    const narrow = await workloadRunner(
      { store, now: T0 + 2 * DAY },
      request(T0, T0 + DAY, { options: { lookback_days: '0' } }),
    );
    expect((narrow.workers as unknown[]).length).toBe(3);
    expect(narrow.gini).toBeCloseTo(giniDirect([90, 30, 30]), 12);
    await expect(
      workloadRunner({ store, now: T0 }, request(T0, T0 + DAY, { options: { idle_ratio: '-1' } })),
    ).rejects.toMatchObject({ details: { parameter: 'idle_ratio' } });
  });
});
