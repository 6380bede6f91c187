import { describe, expect, it } from 'vitest';
import {
  type BreakerRow,
  batchWith,
  type FullRow,
  request,
  storePerTest,
} from '../../test/support/analysis-helpers.js';
import type { BreakerEvent, BreakerState } from '../model/result.js';
import { analyseBreakers, circuitBreakersRunner } from './circuit-breakers.js';

const S = 1_000_000; // µs per second
const TAGS = { breaker: 'b1', endpoint: 'api', worker: 'w1' };
// Seconds from the window start. Before it: a trip at -600 s, so the window opens with the breaker open.
const TIMELINE: [number, BreakerState][] = [
  [-900, 'closed'],
  [-600, 'open'],
  [60, 'half_open'],
  [70, 'closed'], // probe succeeded; recovery 70 - (-600) = 670 s
  [200, 'open'], // trip 130 s after closing: flapping
  [260, 'half_open'],
  [265, 'open'], // probe failed: a re-open, not a trip
  [325, 'half_open'],
  [330, 'closed'], // recovery 330 - 200 = 130 s
  [1000, 'open'], // trip 670 s after closing: not flapping
  [1010, 'open'], // repeated state: ignored
];
const ev = (base: number, tags: Record<string, string>) =>
  TIMELINE.map(([s, state]): BreakerEvent => ({ time: base + s * S, state, failures: null, tags }));

describe('analyseBreakers (pure)', () => {
  it('counts trips, open time clipped to the window, recoveries, probes and flapping', () => {
    const [b] = analyseBreakers(ev(0, TAGS), { start: 0, end: 1200 * S }, { flapUs: 300 * S });
    expect(b).toMatchObject({
      series: { breaker: 'b1', endpoint: 'api', worker: 'w1' },
      breaker: 'b1',
      trips: 2,
      reopens: 1,
      recoveries: 2,
      mean_recovery_seconds: 400,
      max_recovery_seconds: 670,
      half_open_probes: { succeeded: 2, failed: 1 },
      flapping: 1,
      state_at_start: 'open',
      state_at_end: 'open',
      events: 8,
    });
    expect(b!.open_seconds).toBeCloseTo(60 + 60 + 60 + 200, 9);
    expect(b!.half_open_seconds).toBeCloseTo(20, 9);
    expect(b!.half_open_success_rate).toBeCloseTo(2 / 3, 12);
    expect(b!.open_share).toBeCloseTo(380 / 1200, 12);
    expect(b!.trips_per_hour).toBeCloseTo(2 / (1200 / 3600), 12);
    expect(b!.openIntervals).toEqual([
      [0, 60 * S],
      [200 * S, 260 * S],
      [265 * S, 325 * S],
      [1000 * S, 1200 * S],
    ]);
  });

  it('keeps breakers apart by tag set and counts a flap only within flap_seconds', () => {
    const other = { breaker: 'b1', endpoint: 'api', worker: 'w2' };
    const out = analyseBreakers([...ev(0, TAGS), ...ev(0, other)], { start: 0, end: 1200 * S }, { flapUs: 100 * S });
    expect(out).toHaveLength(2);
    expect(out.map((b) => b.flapping)).toEqual([0, 0]); // 130 s > 100 s
    const quiet = analyseBreakers(
      [{ time: -5 * S, state: 'closed', failures: null, tags: { breaker: 'q' } }],
      { start: 0, end: 10 * S },
      { flapUs: 0 },
    );
    expect(quiet[0]).toMatchObject({
      trips: 0,
      open_seconds: 0,
      state_at_start: 'closed',
      half_open_success_rate: null,
      mean_recovery_seconds: null,
    });
  });
});

describe('circuit-breakers runner on a DuckDB store', () => {
  const newStore = storePerTest();

  it('reads events with the lookback and estimates failures prevented from results on the endpoint', async () => {
    const store = await newStore();
    const T0 = Date.UTC(2026, 10, 5, 12);
    const breakers: BreakerRow[] = TIMELINE.map(([s, state]) => ({ t: T0 + s * 1000, state, tags: TAGS }));
    breakers.push({ t: T0 + 5000, state: 'closed', tags: { breaker: 'db' } });
    const rows: FullRow[] = [];
    for (let s = 5; s < 1200; s += 10) {
      rows.push({ t: T0 + s * 1000, success: !(s >= 200 && s < 330), tags: { endpoint: 'api', test: 'probe' } });
      rows.push({ t: T0 + s * 1000, success: false, tags: { endpoint: 'db', test: 'probe' } });
    }
    await store.write(batchWith(rows, breakers));
    const res = await circuitBreakersRunner({ store, now: T0 + 1200 * 1000 }, request(T0, T0 + 3_600_000));
    const list = res.breakers as Record<string, unknown>[];
    expect(list.map((b) => b.breaker)).toEqual(['b1', 'db']);
    const b1 = list[0]!;
    expect(b1).toMatchObject({ trips: 2, flapping: 2, mean_recovery_seconds: 400, open_intervals_total: 4 }); // both trips within the default 1800 s
    expect(b1.open_seconds).toBeCloseTo(380, 6);
    // Results at 5, 15, ... s: 6 in [0,60), 6 in [200,260), 6 in [265,325), 20 in [1000,1200); failed: [200,330).
    expect(b1.failures_prevented).toMatchObject({
      estimate: true,
      results_during_open: 38,
      failed_during_open: 12,
      failures_prevented_estimate: 12,
    });
    expect((b1.open_intervals as { start: string }[])[0]!.start).toBe('2026-11-05T12:00:00Z');
    expect(list[1]).toMatchObject({ trips: 0, open_seconds: 0, failures_prevented: null });
    const strict = await circuitBreakersRunner(
      { store, now: T0 + 1200 * 1000 },
      request(T0, T0 + 3_600_000, { options: { flap_seconds: '300' } }),
    );
    expect((strict.breakers as Record<string, unknown>[])[0]).toMatchObject({ flapping: 1 });
    // The filter applies to the breaker tags.
    const only = await circuitBreakersRunner(
      { store, now: T0 + 1200 * 1000 },
      request(T0, T0 + 3_600_000, { filters: { breaker: ['db'] } }),
    );
    expect((only.breakers as unknown[]).length).toBe(1);
    // Without a lookback the window starts in an unknown state: the first recovery has no known trip.
    const blind = await circuitBreakersRunner(
      { store, now: T0 + 1200 * 1000 },
      request(T0, T0 + 3_600_000, { options: { lookback_hours: '0' } }),
    );
    expect((blind.breakers as Record<string, unknown>[])[0]).toMatchObject({
      recoveries: 1,
      mean_recovery_seconds: 130,
      state_at_start: null,
    });
    await expect(
      circuitBreakersRunner({ store, now: T0 }, request(T0, T0 + 1, { options: { flap_seconds: 'x' } })),
    ).rejects.toMatchObject({ details: { parameter: 'flap_seconds' } });
  });
});
