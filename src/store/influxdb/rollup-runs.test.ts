// rollup() and rebuildRollups() run the flux/ programs through /api/v2/query with explicit aligned bounds
// (observed at a loopback imitation of the query endpoint).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchOf } from '../../../test/support/helpers.js';
import { csv, InfluxImitation } from '../../../test/support/influx-imitation.js';
import { imitationStore } from '../../../test/support/influx-imitation-contract.js';
import { HOUR_MS } from '../../time/buckets.js';

let influx: InfluxImitation;
let clock = 0;
const open = (timezone = 'UTC') => imitationStore(influx, { timezone, now: () => clock });

beforeEach(async () => {
  influx = await new InfluxImitation().start();
  influx.queryAnswer = (_r, res) => csv(res, '');
});
afterEach(async () => {
  await influx.stop();
});

/** [program, start, stop] of every rollup run sent (the hourly rollup, the daily one, the analysis summaries). */
function allRuns(): [string, string, string][] {
  return influx.requests
    .filter((r) => r.path === '/api/v2/query')
    .map((r) => (JSON.parse(r.body) as { query: string }).query)
    .filter((q) => q.includes('src_bucket = '))
    .map((q) => {
      expect(q).not.toMatch(/^option task/m);
      expect(q).not.toContain('now()');
      const kind = q.includes('"test_run_summary"') ? 'analysis' : q.includes('resultant_hourly') ? 'hourly' : 'daily';
      const m =
        kind !== 'daily'
          ? /start = time\(v: "([^"]+)"\)\nstop = time\(v: "([^"]+)"\)/.exec(q)
          : /dayStart = time\(v: "([^"]+)"\)\ndayStop = time\(v: "([^"]+)"\)\ndue = true/.exec(q);
      return [kind, m![1]!, m![2]!];
    });
}

/** The rollup runs, after checking that every hourly rollup run comes with an analysis run over the same hours. */
function runs(): [string, string, string][] {
  const all = allRuns();
  const hourly = all.filter((x) => x[0] === 'hourly');
  expect(all.filter((x) => x[0] === 'analysis').map((x) => ['hourly', x[1], x[2]])).toEqual(hourly);
  return all.filter((x) => x[0] !== 'analysis');
}

describe('rollup runs', () => {
  it("does the tasks' regular work once per hour and day, and recomputes hours and days of late writes", async () => {
    const s = open();
    clock = Date.UTC(2026, 10, 21, 12, 20);
    await s.rollup(clock);
    expect(runs()).toEqual([
      ['hourly', '2026-11-21T09:00:00.000Z', '2026-11-21T12:00:00.000Z'],
      ['daily', '2026-11-20T00:00:00.000Z', '2026-11-21T00:00:00.000Z'],
    ]);
    await s.rollup(clock + 60_000);
    expect(runs()).toHaveLength(2); // same hour, same day: nothing new
    // A late result five hours back: outside the task's three-hour lookback.
    await s.write(batchOf([{ t: Date.UTC(2026, 10, 21, 7, 30), latency: 5 }]));
    expect((await s.status(clock)).dirtyHours).toBe(1);
    await s.rollup(clock + 120_000);
    expect(runs().slice(2)).toEqual([['hourly', '2026-11-21T07:00:00.000Z', '2026-11-21T08:00:00.000Z']]);
    // The day it fell in is not over yet: recomputed once it is.
    clock = Date.UTC(2026, 10, 22, 0, 30);
    await s.rollup(clock);
    expect(runs().slice(3)).toEqual([
      ['hourly', '2026-11-21T21:00:00.000Z', '2026-11-22T00:00:00.000Z'],
      ['daily', '2026-11-21T00:00:00.000Z', '2026-11-22T00:00:00.000Z'],
    ]);
    expect((await s.status(clock)).dirtyHours).toBe(0);
    await s.close();
  });

  it('brings the rollups up to date when the analysis program fails, and tries the failed work again next time', async () => {
    influx.queryAnswer = (r, res) => {
      if ((JSON.parse(r.body) as { query: string }).query.includes('"test_run_summary"')) {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"code":"invalid","message":"runtime error: to: schema collision"}');
      } else csv(res, '');
    };
    const s = open();
    clock = Date.UTC(2026, 10, 21, 12, 20);
    await expect(s.rollup(clock)).rejects.toThrow(/schema collision/);
    expect(allRuns()).toEqual([
      ['hourly', '2026-11-21T09:00:00.000Z', '2026-11-21T12:00:00.000Z'],
      ['daily', '2026-11-20T00:00:00.000Z', '2026-11-21T00:00:00.000Z'],
      ['analysis', '2026-11-21T09:00:00.000Z', '2026-11-21T12:00:00.000Z'],
    ]);
    await expect(s.rollup(clock)).rejects.toThrow(/schema collision/);
    // The same hours again (not recorded as done); the day was done.
    expect(allRuns().slice(3)).toEqual([
      ['hourly', '2026-11-21T09:00:00.000Z', '2026-11-21T12:00:00.000Z'],
      ['analysis', '2026-11-21T09:00:00.000Z', '2026-11-21T12:00:00.000Z'],
    ]);
    await s.close();
  });

  it('rebuilds a range in whole hours (24 per query) and whole local days, a DST day included', async () => {
    const s = open('Europe/Berlin');
    clock = Date.UTC(2026, 3, 10);
    const r = await s.rebuildRollups(Date.UTC(2026, 2, 28, 0, 10), Date.UTC(2026, 2, 30, 0));
    expect(r.hoursRolledUp).toBe(47);
    const all = runs();
    expect(all.filter((x) => x[0] === 'hourly')).toEqual([
      ['hourly', '2026-03-28T01:00:00.000Z', '2026-03-29T01:00:00.000Z'],
      ['hourly', '2026-03-29T01:00:00.000Z', '2026-03-30T00:00:00.000Z'],
    ]);
    // Only local days wholly inside the range: 2026-03-29 in Berlin, 23 hours long (clocks go forward).
    expect(all.filter((x) => x[0] === 'daily')).toEqual([
      ['daily', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z'],
    ]);
    expect(Date.parse(all.find((x) => x[0] === 'daily')![2]) - Date.parse(all.find((x) => x[0] === 'daily')![1])).toBe(
      23 * HOUR_MS,
    );
    await s.close();
  });
});
