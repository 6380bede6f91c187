// The scheduled tasks (src/tasks/index.ts): rollup and retention as functions of a clock the test sets, their ticks
// fired by the test through an injected scheduler, one smoke check of the real node-cron wiring, and the overlap guard.
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, HOUR } from '../../test/support/helpers.js';
import { fixedClock } from '../clock.js';
import { type Logger, silentLogger } from '../logger.js';
import { DuckDBStore } from '../store/duckdb/index.js';
import { runRetention, runRollup, type Scheduler, skipWhileRunning, startTasks } from './index.js';

const T0 = Date.UTC(2026, 10, 21, 10);
let store: DuckDBStore | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

describe('scheduled tasks', () => {
  it('rolls up closed hours as the clock moves, and reports the lag', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const clock = fixedClock(T0 + 30 * 60_000);
    await store.write(
      batchOf([
        { t: T0 - 2 * HOUR, latency: 1 },
        { t: T0 + 60_000, latency: 2 },
      ]),
    );
    expect((await store.status(clock.now())).rollupLagSeconds).toBe(2 * 3600);
    const r1 = await runRollup({ store, clock, logger: silentLogger });
    expect(r1!.hourlyWatermark).toBe(T0); // the open hour stays raw
    expect((await store.status(clock.now())).rollupLagSeconds).toBe(0);
    clock.advance(HOUR);
    const r2 = await runRollup({ store, clock, logger: silentLogger });
    expect(r2!.hourlyWatermark).toBe(T0 + HOUR);
    expect(r2!.hoursRolledUp).toBe(1);
  });

  it('applies retention per level', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const clock = fixedClock(T0);
    await store.write(
      batchOf([
        { t: T0 - 40 * 24 * HOUR, latency: 1 },
        { t: T0 - HOUR, latency: 2 },
      ]),
    );
    const r = await runRetention(
      { store, clock, logger: silentLogger },
      { rawDays: 30, hourlyDays: 400, dailyDays: 0 },
    );
    expect(r).toMatchObject({ rawDeleted: 1, hourlyDeleted: 0, dailyDeleted: 0 });
  });

  it('rolls up at start and on each rollup tick, and applies retention on its own tick', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const clock = fixedClock(T0 + 30 * 60_000);
    await store.write(
      batchOf([
        { t: T0 - 40 * 24 * HOUR, latency: 1 },
        { t: T0 - 5 * HOUR, latency: 1 },
      ]),
    );
    // The ticks are fired by the test (src/tasks/index.ts Scheduler), not by a clock.
    const ticks = new Map<string, { expression: string; tick: () => Promise<unknown> }>();
    const scheduler: Scheduler = {
      schedule: (expression, tick, name) => {
        ticks.set(name, { expression, tick });
        return { destroy: () => void ticks.delete(name) };
      },
    };
    const stop = startTasks(
      { store, clock, logger: silentLogger },
      {
        rollupCron: '*/5 * * * *',
        retentionCron: '0 3 * * *',
        retention: { rawDays: 30, hourlyDays: 400, dailyDays: 0 },
      },
      scheduler,
    );
    try {
      expect([...ticks].map(([name, t]) => [name, t.expression])).toEqual([
        ['rollup', '*/5 * * * *'],
        ['retention', '0 3 * * *'],
      ]);
      // The catch-up run at start, before any tick: a tick while it runs returns that run.
      await ticks.get('rollup')!.tick();
      expect((await store.status(clock.now())).rollupLagSeconds).toBe(0);
      await store.write(batchOf([{ t: T0 - 4 * HOUR, latency: 9 }])); // late: dirty until the next tick
      expect((await store.status(clock.now())).dirtyHours).toBe(1);
      await ticks.get('rollup')!.tick();
      expect((await store.status(clock.now())).dirtyHours).toBe(0);
      expect(await ticks.get('retention')!.tick()).toMatchObject({ rawDeleted: 1 });
    } finally {
      await stop();
    }
    expect(ticks.size).toBe(0);
  });

  it('runs the rollup on a real cron schedule (node-cron wiring)', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const clock = fixedClock(T0 + 30 * 60_000);
    await store.write(batchOf([{ t: T0 - 5 * HOUR, latency: 1 }]));
    const stop = startTasks(
      { store, clock, logger: silentLogger },
      {
        rollupCron: '* * * * * *',
        retentionCron: '0 0 1 1 *',
        retention: { rawDays: 30, hourlyDays: 400, dailyDays: 0 },
      },
    );
    // A tick a second; the bounds only catch a schedule that never fires, and leave room for a busy machine.
    const until = async (done: () => Promise<boolean>): Promise<void> => {
      for (let i = 0; i < 250 && !(await done()); i++) await new Promise((r) => setTimeout(r, 100));
    };
    try {
      await until(async () => (await store!.status(clock.now())).rollupLagSeconds === 0);
      expect((await store.status(clock.now())).rollupLagSeconds).toBe(0);
      await store.write(batchOf([{ t: T0 - 4 * HOUR, latency: 9 }])); // late: dirty until the next tick
      await until(async () => (await store!.status(clock.now())).dirtyHours === 0);
      expect((await store.status(clock.now())).dirtyHours).toBe(0);
    } finally {
      await stop();
    }
  }, 90_000);

  it('skips a tick while the same task still runs, says so at debug, and runs again once it has finished', async () => {
    const debug: unknown[] = [];
    const logger: Logger = {
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      debug: (obj: object | string) => void debug.push(obj),
      child: () => logger,
    };
    let calls = 0;
    let finish: () => void = () => undefined;
    const tick = skipWhileRunning('rollup', logger, () => {
      calls++;
      return new Promise<void>((r) => (finish = r));
    });
    const first = tick();
    const second = tick();
    expect(calls).toBe(1);
    expect(second).toBe(first);
    expect(debug).toEqual([{ task: 'rollup' }]);
    finish();
    await first;
    const third = tick();
    expect(calls).toBe(2);
    finish();
    await third;
  });

  it('a failed run does not keep later ticks from running', async () => {
    let calls = 0;
    const tick = skipWhileRunning('notify', silentLogger, async () => {
      calls++;
      throw new Error('boom');
    });
    await expect(tick()).rejects.toThrow('boom');
    await expect(tick()).rejects.toThrow('boom');
    expect(calls).toBe(2);
  });
});
