// The five analyses on the demo fleet's data (src/demo/generate.ts), which plants incidents with known answers:
// a worker failing 20 % of its probes, a flaky functional test, a 40-minute regional outage that trips its
// endpoint's breaker, and a breaker that trips every 20 minutes for 3 hours.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../test/support/analysis-helpers.js';
import { DemoFleet } from '../demo/generate.js';
import { decodeLineProtocol, SeriesCache } from '../ingest/validate.js';
import { DuckDBStore } from '../store/duckdb/index.js';
import { circuitBreakersRunner } from './circuit-breakers.js';
import { comparisonRunner } from './comparison.js';
import { failurePatternsRunner, HOUR_OF_DAY } from './failure-patterns.js';
import { flakyTestsRunner } from './flaky-tests.js';
import { workloadRunner } from './workload.js';

const DAY = 86_400_000;
const STOP = Date.UTC(2026, 10, 20);
const START = STOP - DAY;
const fleet = new DemoFleet({ start: START, stop: STOP, seed: 7, endpoints: 5, regions: 2, workersPerRegion: 3 });
const incident = (kind: string) => fleet.incidents.find((i) => i.kind === kind)!;
let store: DuckDBStore;
const ctx = () => ({ store, now: STOP + 3_600_000 });

beforeAll(async () => {
  store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
  const cache = new SeriesCache();
  let lines: string[] = [];
  const flush = async () => {
    const d = decodeLineProtocol(lines.join('\n'), { precision: 'ns', nowUs: STOP * 1000 + 1e9, cache });
    if (!d.ok) throw new Error(d.message);
    await store.write(d.batch);
    lines = [];
  };
  for (let t = START; t < STOP; t += 60_000) {
    lines.push(...fleet.minute(t));
    if (lines.length >= 5000) await flush();
  }
  await flush();
});
afterAll(async () => {
  await store.close();
});

describe('analyses on the demo fleet find the planted incidents', () => {
  it('failure-patterns: the bad worker and the outage hour, and one fingerprint per message shape', async () => {
    const res = await failurePatternsRunner(ctx(), request(START, STOP));
    const corr = res.correlations as { dimension: string; value: string }[];
    const bad = incident('bad_worker').tags.worker!;
    expect(corr.filter((c) => c.dimension === 'worker').map((c) => c.value)).toEqual([bad]);
    const outageHour = String(new Date(incident('outage').start).getUTCHours()).padStart(2, '0');
    expect(corr.filter((c) => c.dimension === HOUR_OF_DAY).map((c) => c.value)).toContain(outageHour);
    const patterns = res.patterns as { pattern: string; category: string }[];
    // Probe errors: three shapes whatever the address, host or request id.
    expect(patterns.filter((p) => p.pattern.startsWith('timeout after')).map((p) => p.pattern)).toEqual([
      'timeout after <duration> connecting to <ip>',
    ]);
    expect(patterns.filter((p) => p.pattern.startsWith('HTTP 503')).map((p) => p.pattern)).toEqual([
      'HTTP 503 from <url> (request id <id>)',
    ]);
    expect(
      patterns.filter((p) => p.pattern.startsWith('connection refused')).map((p) => [p.pattern, p.category]),
    ).toEqual([['connection refused by <host>', 'connection']]);
  });

  it('flaky-tests: checkout_flow is flaky in both regions and nothing is broken', async () => {
    const res = await flakyTestsRunner(ctx(), request(START, STOP));
    const tests = res.tests as { series: Record<string, string>; status: string }[];
    expect(tests.filter((t) => t.series.test === 'checkout_flow').map((t) => t.status)).toEqual(['flaky', 'flaky']);
    expect(tests.filter((t) => t.status === 'broken')).toEqual([]);
  });

  it('workload: an even fleet (every worker has its turn), with the bad worker visible in its success rate', async () => {
    const res = await workloadRunner(ctx(), request(START, STOP));
    const workers = res.workers as { worker: string; success_rate: number; status: string }[];
    expect(workers).toHaveLength(6);
    expect(res.gini as number).toBeLessThan(0.01);
    expect(workers.every((w) => w.status === 'normal')).toBe(true);
    const worst = [...workers].sort((a, b) => a.success_rate - b.success_rate)[0]!;
    expect(worst.worker).toBe(incident('bad_worker').tags.worker);
  });

  it('circuit-breakers: the flapping breaker and the outage breaker with its failed probes', async () => {
    const res = await circuitBreakersRunner(ctx(), request(START, STOP));
    const list = res.breakers as Record<string, unknown>[];
    const flap = list.find((b) => b.breaker === incident('breaker_flapping').tags.breaker)!;
    expect(flap).toMatchObject({ trips: 9, flapping: 8, half_open_success_rate: 1 });
    const outage = incident('outage');
    const cart = list.find((b) => b.breaker === `${outage.tags.endpoint}-client`)!;
    expect(cart).toMatchObject({ trips: 1, reopens: 3, half_open_success_rate: 0.25 });
    // Open from 1 minute into the 40-minute outage until the probe after it: about 40 minutes.
    expect(cart.open_seconds as number).toBeGreaterThan(38 * 60);
    expect(cart.open_seconds as number).toBeLessThan(41 * 60);
    // Probes of the endpoint from that region (one a minute) all failed during the outage; the breaker stays open
    // until the probe after it ends, so up to a minute of calls after the outage would have passed.
    const fp = cart.failures_prevented as { results_during_open: number; failed_during_open: number; region: string };
    expect(fp.region).toBe(outage.tags.region);
    expect(fp.results_during_open).toBeGreaterThanOrEqual(38);
    expect(fp.results_during_open).toBeLessThanOrEqual(41);
    expect(fp.failed_during_open).toBeGreaterThanOrEqual(fp.results_during_open - 2);
  });

  it('comparison: gpu-a100 is the fastest hardware for every model, significantly', async () => {
    for (const model of ['resnet50', 'bert-base', 'llama-7b']) {
      const res = await comparisonRunner(
        ctx(),
        request(START, STOP, { filters: { model: [model] }, options: { dimension: 'hardware' } }),
      );
      expect(res).toMatchObject({ best: 'gpu-a100', significant: true });
      const thr = await comparisonRunner(
        ctx(),
        request(START, STOP, { metric: 'throughput', filters: { model: [model] }, options: { dimension: 'hardware' } }),
      );
      expect(thr.best).toBe('gpu-a100');
    }
  });
});
