import { describe, expect, it } from 'vitest';
import { batchWith, type FullRow, request, storePerTest } from '../../test/support/analysis-helpers.js';
import { expectedOf, relErr } from '../../test/support/helpers.js';
import type { DuckDBStore } from '../store/duckdb/index.js';
import { betterOf, comparisonRunner } from './comparison.js';
import { holm } from './significance.js';

const T0 = Date.UTC(2026, 10, 12);
const A = [10, 12, 11, 13, 9, 10, 12, 11];
const B = [14, 15, 13, 16, 14, 15, 17, 13];
const C = [10.5, 11, 12, 10, 11, 12, 10, 12];

describe('comparison helpers', () => {
  it('Holm–Bonferroni matches a hand computation', () => {
    // sorted 0.005×5, 0.01×4, 0.03×3, 0.04×2 (raised to 0.09 by monotonicity), 0.2×1
    const q = holm([0.01, 0.04, 0.03, 0.005, 0.2]);
    for (const [i, v] of [0.04, 0.09, 0.09, 0.025, 0.2].entries()) expect(q[i]).toBeCloseTo(v, 12);
  });
  it('knows which way is better for common metrics', () => {
    expect(betterOf('latency_ms')).toBe('lower');
    expect(betterOf('memory_mb')).toBe('lower');
    expect(betterOf('throughput')).toBe('higher');
    // Names that only contain a throughput-like word are not throughput.
    for (const m of ['packet_drops', 'errors_per_sec', 'gc_stops', 'timeouts_per_second'])
      expect(betterOf(m), m).toBe('lower');
    expect(betterOf('requests_per_sec')).toBe('higher');
  });
});

describe('comparison runner on a DuckDB store', () => {
  const newStore = storePerTest();

  async function seed(): Promise<{ store: DuckDBStore; rows: FullRow[] }> {
    const store = await newStore();
    const rows: FullRow[] = [];
    const add = (hw: string, vals: number[], failFirst = 0) => {
      for (const [i, v] of vals.entries())
        rows.push({
          t: T0 + i * 60_000,
          success: i >= failFirst,
          latency: v,
          metrics: { throughput: 1000 / v },
          tags: { hardware: hw, region: i % 2 ? 'eu' : 'us', test: 'bench' },
        });
    };
    add('a100', A);
    add('cpu', B, 2);
    add('h100', C);
    rows.push({ t: T0, success: true, latency: 1, tags: { test: 'bench' } }); // no hardware tag
    await store.write(batchWith(rows));
    return { store, rows };
  }

  it('gives exact per-group statistics, the best group and Welch p-values that match SciPy', async () => {
    const { store, rows } = await seed();
    const res = await comparisonRunner(
      { store, now: T0 + 86_400_000 },
      request(T0, T0 + 3_600_000, { options: { dimension: 'hardware' } }),
    );
    expect(res).toMatchObject({
      kind: 'comparison',
      dimension: 'hardware',
      metric: 'latency_ms',
      best: 'a100',
      significant: true,
      best_availability: 'a100',
    });
    const groups = res.groups;
    expect(groups.map((g) => g.value)).toEqual(['a100', 'cpu', 'h100']);
    for (const g of groups) {
      const e = expectedOf(rows.filter((r) => r.tags?.hardware === g.value).map(({ error: _e, ...r }) => r));
      expect(g.test_count).toBe(e.test_count);
      expect(g.availability_pct).toBeCloseTo(e.availability_pct!, 12);
      for (const k of ['count', 'mean', 'min', 'max', 'stddev', 'p50', 'p95', 'p99'] as const) {
        expect(relErr(g.stats[k]!, e.stats[k]!)).toBeLessThan(1e-12);
      }
    }
    expect(groups[0]!.vs_best).toBeNull();
    // SciPy 1.17.1 ttest_ind(A, B, equal_var=False) and (A, C); Holm over the two.
    expect(relErr(groups[1]!.vs_best!.p_value!, 0.00010757289701618651)).toBeLessThan(1e-6);
    expect(relErr(groups[1]!.vs_best!.p_adjusted!, 0.00021514579403237303)).toBeLessThan(1e-6);
    expect(relErr(groups[2]!.vs_best!.p_value!, 0.9121036080867851)).toBeLessThan(1e-6);
    expect(groups.map((g) => g.vs_best?.significant ?? null)).toEqual([null, true, false]);
    // Availability: cpu failed 2 of 8; fisher_exact([[2,6],[0,8]], 'greater') = 0.2333: not significant.
    expect(res.availability_significant).toBe(false);
    expect(res.summary).toMatchObject({ untagged_results: 1, better: 'lower' });
  });

  it('picks the highest mean for a higher-is-better metric and compares several tags at once', async () => {
    const { store } = await seed();
    const res = await comparisonRunner(
      { store, now: T0 + 86_400_000 },
      request(T0, T0 + 3_600_000, { metric: 'throughput', options: { dimension: 'hardware' } }),
    );
    expect(res.best).toBe('a100'); // 1000/v is largest where latency is smallest (mean of 1000/v: a100 > h100)
    const multi = await comparisonRunner(
      { store, now: T0 + 86_400_000 },
      request(T0, T0 + 3_600_000, { options: { dimension: 'hardware,region' } }),
    );
    expect((multi.groups as { value: string }[]).map((g) => g.value)).toEqual([
      'hardware=a100,region=eu',
      'hardware=a100,region=us',
      'hardware=cpu,region=eu',
      'hardware=cpu,region=us',
      'hardware=h100,region=eu',
      'hardware=h100,region=us',
    ]);
  });

  it('needs a dimension and refuses bad options (400 naming the option)', async () => {
    const store = await newStore();
    const run = (options: Record<string, string>) =>
      comparisonRunner({ store, now: T0 }, request(T0, T0 + 1000, { options }));
    await expect(run({})).rejects.toMatchObject({ code: 'invalid', details: { parameter: 'dimension' } });
    await expect(run({ dimension: '_x' })).rejects.toMatchObject({
      code: 'invalid',
      details: { parameter: 'dimension' },
    });
    await expect(run({ dimension: 'hardware', better: 'up' })).rejects.toMatchObject({
      details: { parameter: 'better' },
    });
    await expect(
      comparisonRunner({ store, now: T0 }, request(T0, T0, { options: { dimension: 'hardware' } })),
    ).rejects.toThrow(/stop must be after start/);
    const grouped = await comparisonRunner(
      { store, now: T0 },
      request(T0, T0 + 1000, { groupBy: ['region'], options: { dimension: 'hardware' } }),
    );
    expect(grouped.warnings).toEqual(['group_by is not used by comparison and was ignored']);
  });
});
